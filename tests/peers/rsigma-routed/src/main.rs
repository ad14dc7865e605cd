//! The native side of the Sigma bench's routed rows: rsigma 0.23 as published, with
//! logsource routing done the way logsift's Sigma plugin does it
//! (`plugins/sigma/src/routing.rs`), so that both sides evaluate the same rules on the same
//! events.
//!
//! `rsigma-routed ROUTES.json RULE_FILE... EVENTS.jsonl`
//!
//! `ROUTES.json` is the plugin's `logsources` setting: a list of `{"when": {field: value or
//! [values]}, "logsource": {"product", "category", "service"}}`. Every rule file is parsed
//! and all its rules compiled into one engine (filters applied after). Each event (one JSON
//! object per line) gets its logsources: every entry whose conditions hold applies, the first
//! to name a product or service sets it, categories add up; one logsource per category (one
//! without a category if none). The event is evaluated once per logsource
//! (`Engine::evaluate_pruned`: a rule is skipped where its logsource conflicts with the
//! event's, a dimension the event lacks prunes nothing), a rule counted once per event, and
//! each match written to stdout as a JSON line. Figures go to stderr as `key value` lines,
//! as `rsigma-bench` writes them.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use rsigma_eval::{Engine, JsonEvent};
use rsigma_parser::LogSource;
use serde_json::Value;

/// One routing entry, its accepted values lowercased.
struct Route {
    when: Vec<(String, Vec<String>)>,
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

/// A condition value or field value as text: strings as they are, numbers and booleans
/// written out; anything else matches nothing.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn read_routes(path: &Path) -> Vec<Route> {
    let routes: Value = serde_json::from_slice(&std::fs::read(path).expect("routes file")).expect("routes JSON");
    let dimension = |entry: &Value, key: &str| entry["logsource"][key].as_str().map(str::to_owned);
    routes
        .as_array()
        .expect("routes: a list")
        .iter()
        .map(|entry| Route {
            when: entry["when"]
                .as_object()
                .expect("when: an object")
                .iter()
                .map(|(field, value)| {
                    let values: Vec<String> = match value {
                        Value::Array(items) => items.iter().filter_map(text).collect(),
                        other => text(other).into_iter().collect(),
                    };
                    (field.clone(), values.into_iter().map(|v| v.to_lowercase()).collect())
                })
                .collect(),
            product: dimension(entry, "product"),
            category: dimension(entry, "category"),
            service: dimension(entry, "service"),
        })
        .collect()
}

/// The event's field: a top-level key, else a dotted path into nested objects.
fn field<'a>(event: &'a Value, name: &str) -> Option<&'a Value> {
    event.get(name).or_else(|| name.split('.').try_fold(event, |v, part| v.get(part)))
}

fn logsources(routes: &[Route], event: &Value) -> Vec<LogSource> {
    let mut base = LogSource::default();
    let mut categories: Vec<&str> = Vec::new();
    for route in routes {
        let holds =
            route.when.iter().all(|(name, values)| field(event, name).and_then(text).is_some_and(|v| values.contains(&v.to_lowercase())));
        if !holds {
            continue;
        }
        if base.product.is_none() {
            base.product.clone_from(&route.product);
        }
        if base.service.is_none() {
            base.service.clone_from(&route.service);
        }
        if let Some(category) = route.category.as_deref().filter(|c| !categories.contains(c)) {
            categories.push(category);
        }
    }
    if categories.is_empty() {
        return vec![base];
    }
    categories.into_iter().map(|c| LogSource { category: Some(c.to_owned()), ..base.clone() }).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: rsigma-routed ROUTES.json RULE_FILE... EVENTS.jsonl");
        std::process::exit(2);
    }
    let routes = read_routes(Path::new(&args[0]));
    let rule_files = &args[1..args.len() - 1];
    let events_path = Path::new(&args[args.len() - 1]);

    let started = Instant::now();
    let (mut rules, mut filters, mut refused) = (Vec::new(), Vec::new(), 0usize);
    for path in rule_files {
        let parsed = std::fs::read_to_string(path).ok().and_then(|text| rsigma_parser::parse_sigma_yaml(&text).ok());
        match parsed {
            Some(collection) => {
                refused += collection.errors.len();
                rules.extend(collection.rules);
                filters.extend(collection.filters);
            }
            None => refused += 1,
        }
    }
    let mut engine = Engine::new();
    refused += engine.add_rules(rules.iter()).len();
    refused += filters.iter().filter(|f| engine.apply_filter(f).is_err()).count();
    let load_s = started.elapsed().as_secs_f64();

    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(events_path).expect("events file"));
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let started = Instant::now();
    let (mut events, mut matches) = (0u64, 0u64);
    for line in input.lines() {
        let line = line.expect("events: UTF-8 lines");
        let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(&line) else { continue };
        events += 1;
        let event = JsonEvent::borrow(&value);
        let mut fired: Vec<(Option<String>, String)> = Vec::new();
        for logsource in logsources(&routes, &value) {
            for result in engine.evaluate_pruned(&event, &logsource) {
                let header = &result.header;
                let key = (header.rule_id.clone(), header.rule_title.clone());
                if fired.contains(&key) {
                    continue;
                }
                matches += 1;
                let alert = serde_json::json!({"rule": {"id": header.rule_id, "title": header.rule_title}, "event": &value});
                serde_json::to_writer(&mut out, &alert).expect("writing a match");
                out.write_all(b"\n").expect("writing a match");
                fired.push(key);
            }
        }
    }
    out.flush().expect("writing the matches");
    let eval_s = started.elapsed().as_secs_f64();
    eprintln!("rules_loaded {}", engine.rule_count());
    eprintln!("rules_refused {refused}");
    eprintln!("load_s {load_s:.3}");
    eprintln!("events {events}");
    eprintln!("eval_s {eval_s:.3}");
    eprintln!("events_per_s {:.0}", events as f64 / eval_s.max(1e-9));
    eprintln!("matches {matches}");
}
