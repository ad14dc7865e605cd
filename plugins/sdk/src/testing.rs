//! Run a plugin natively, in-process, on encoded batches: for plugin unit tests and the
//! native side of the benchmark. It goes through [`process_batch`], the same loop the
//! component runs, and holds every result to the contract the host enforces
//! ([`logsift_event::contract`]: change order, `replace(0)`, output names, event counts,
//! the split cap), so a plugin that passes its tests cannot break the contract in the host.

use logsift_event::contract::{self, Step};
use logsift_event::{Batch, EventWriter, ORIGINAL, Origin, Value};

use crate::{Action, Alert, Plugin, process_batch};

/// An event decoded into owned fields, for assertions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OwnedEvent {
    /// Fields in order.
    pub fields: Vec<(String, Value<'static>)>,
}

impl OwnedEvent {
    /// A field's value.
    pub fn get(&self, name: &str) -> Option<&Value<'static>> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A string field's text.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// An integer field's number.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_int)
    }
}

/// What became of one input record.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Went on: the event as it left the plugin (more than one if split).
    Passed(Vec<OwnedEvent>),
    /// Dropped.
    Dropped,
    /// Sent to a named output.
    Emitted(String, OwnedEvent),
    /// Rejected with a reason.
    Rejected(String),
}

/// The fate of one record and the alerts raised on it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordResult {
    /// What became of the record.
    pub fate: Fate,
    /// Alerts raised on it.
    pub alerts: Vec<Alert>,
}

impl RecordResult {
    /// The single event the record became, if it passed as one event.
    pub fn event(&self) -> Option<&OwnedEvent> {
        match &self.fate {
            Fate::Passed(events) if events.len() == 1 => events.first(),
            _ => None,
        }
    }
}

/// Encodes raw lines as the host does before the first stage: one event per line with
/// `event.original`, origin `test.log` line 1, 2, ….
pub fn lines_batch<S: AsRef<str>>(lines: &[S]) -> Vec<u8> {
    let mut buf = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let origin = Origin::File { path: "test.log".into(), line: i as u64 + 1 };
        let mut w = EventWriter::begin(&mut buf, &origin);
        w.field(ORIGINAL, &Value::from(line.as_ref()));
        w.finish();
    }
    buf
}

/// Encodes events given as field lists (with no origin), e.g. parsed events for a detector.
pub fn events_batch(events: &[Vec<(&str, Value<'_>)>]) -> Vec<u8> {
    let mut buf = Vec::new();
    for fields in events {
        let mut w = EventWriter::begin(&mut buf, &Origin::None);
        for (name, value) in fields {
            w.field(name, value);
        }
        w.finish();
    }
    buf
}

fn owned(frame: &[u8]) -> OwnedEvent {
    let view = logsift_event::EventView::from_frame(frame).expect("plugin wrote a malformed event");
    if let Err(e) = view.validate() {
        panic!("the plugin broke the contract: returned event: {e}");
    }
    let fields = view.decode_all().expect("plugin wrote a malformed event");
    OwnedEvent { fields: fields.into_iter().map(|(n, v)| (n.to_owned(), v.into_owned())).collect() }
}

/// Runs the plugin on a batch and reports each record's fate. Panics if the plugin's output
/// breaks the contract, with the host's words for it (a test failure). A record split into
/// more events than the host's default `max_split` is [`Fate::Rejected`] with the reason the
/// host dead-letters it with.
pub fn run<P: Plugin>(plugin: &mut P, batch: &[u8]) -> Vec<RecordResult> {
    run_measured(plugin, batch).0
}

/// Like [`run`], with the rule costs the plugin reported for the batch.
pub fn run_measured<P: Plugin>(plugin: &mut P, batch: &[u8]) -> (Vec<RecordResult>, Vec<crate::RuleCost>) {
    let inputs: Vec<_> = Batch::new(batch).map(|e| e.expect("malformed input batch").frame()).collect();
    let out = process_batch(plugin, batch);
    let steps = out.changes.iter().map(|change| {
        let step = match &change.action {
            Action::Replace(n) => Step::Replace(*n),
            Action::Update => Step::Update,
            Action::Drop => Step::Drop,
            Action::Emit { output, events } => Step::Emit { output, events: *events },
            Action::Reject(_) => Step::Reject,
        };
        (change.record, step)
    });
    let returned = Batch::new(&out.events).count();
    let alerts: Vec<Alert> = logsift_event::alert::Alerts::new(&out.alerts)
        .map(|alert| alert.unwrap_or_else(|e| panic!("the plugin broke the contract: returned alerts: {e}")))
        .collect();
    if let Err(broken) = contract::check_result(inputs.len(), steps, returned, alerts.iter().map(|a| a.record)) {
        panic!("the plugin broke the contract: {broken}");
    }
    if let Err(broken) = contract::check_costs(out.costs.iter().map(|c| c.rule_id.as_str())) {
        panic!("the plugin broke the contract: {broken}");
    }
    let mut produced = Batch::new(&out.events).map(|e| e.expect("malformed output"));
    let mut results: Vec<RecordResult> =
        inputs.iter().map(|frame| RecordResult { fate: Fate::Passed(vec![owned(frame)]), alerts: Vec::new() }).collect();
    for change in out.changes {
        let mut take =
            |n: u32| (0..n).map(|_| owned(produced.next().expect("change refers to a missing event").frame())).collect::<Vec<_>>();
        let slot = &mut results[change.record as usize];
        slot.fate = match change.action {
            Action::Replace(n) => match contract::split_refusal(n, contract::DEFAULT_MAX_SPLIT) {
                Some(reason) => {
                    take(n);
                    Fate::Rejected(reason)
                }
                None => Fate::Passed(take(n)),
            },
            Action::Update => {
                let update = produced.next().expect("change refers to a missing event");
                let base = logsift_event::EventView::from_frame(inputs[change.record as usize]).expect("input event");
                let mut merged = Vec::new();
                if let Err(e) = logsift_event::write_update(&mut merged, &base, &update) {
                    panic!("the plugin broke the contract: returned update: {e}");
                }
                Fate::Passed(vec![owned(&merged)])
            }
            Action::Drop => Fate::Dropped,
            Action::Reject(reason) => Fate::Rejected(reason),
            Action::Emit { output, events: 0 } => Fate::Emitted(output, owned(inputs[change.record as usize])),
            Action::Emit { output, events } => Fate::Emitted(output, take(events).remove(0)),
        };
    }
    for alert in alerts {
        results[alert.record as usize].alerts.push(alert);
    }
    (results, out.costs)
}

/// Builds a plugin from JSON settings text, panicking on refusal (for tests).
pub fn plugin<P: Plugin>(settings_json: &str) -> P {
    let settings = crate::Settings::from_json(settings_json).expect("settings");
    P::init(settings).unwrap_or_else(|e| panic!("plugin refused settings: {e}"))
}

/// Runs the plugin on raw lines and returns each line's result.
pub fn run_lines<P: Plugin, S: AsRef<str>>(plugin: &mut P, lines: &[S]) -> Vec<RecordResult> {
    run(plugin, &lines_batch(lines))
}

/// Finds a file of the project's shared test data (`../shared/<relative>` beside the
/// checkout). Returns `None`, after saying why on stderr, when the folder is absent in a
/// user's clone; under `CI=true` an absent file fails the test instead, since CI always has it.
pub fn shared_data(relative: &str) -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let path = root.join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("shared test data {} is missing, and CI always has it", path.display());
    }
    eprintln!("skipped: shared test data {} is absent (it lives beside the checkout as ../shared)", path.display());
    None
}

type LookupFn = Box<dyn Fn(&str, &[&str]) -> Result<Vec<Option<String>>, String>>;

thread_local! {
    static LOOKUP: std::cell::RefCell<Option<LookupFn>> = const { std::cell::RefCell::new(None) };
}

/// Answers the [`lookup`](crate::lookup) calls of plugins run natively on this thread: `f`
/// gets the table and the keys and returns, per key, a record's JSON text or none (or an
/// error, as the host does for a table that is not granted).
pub fn set_lookup(f: impl Fn(&str, &[&str]) -> Result<Vec<Option<String>>, String> + 'static) {
    LOOKUP.with(|l| *l.borrow_mut() = Some(Box::new(f)));
}

/// Answers lookups from fixed tables, `{"table": {"key": {record}}}`, by exact key; a table
/// not named is not granted.
pub fn set_tables(tables: serde_json::Value) {
    set_lookup(move |table, keys| {
        let table = tables.get(table).ok_or_else(|| format!("table {table} is not granted to this plugin"))?;
        Ok(keys.iter().map(|k| table.get(*k).map(|r| r.to_string())).collect())
    });
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn lookup(table: &str, keys: &[&str]) -> Result<Vec<Option<String>>, String> {
    LOOKUP.with(|l| match &*l.borrow() {
        Some(f) => f(table, keys),
        None => Err(format!("table {table} is not granted (natively, give tables with testing::set_lookup)")),
    })
}
