//! `logsift check --config FILE`: validates a configuration, its plugins, rules and tables
//! without running anything. Every problem is reported with its file, and the line and
//! column wherever the format gives them: TOML syntax, unknown or invalid keys, tables that
//! do not load, plugins that do not compile, link, `init` or pass their self-check, and
//! anything a plugin warns about while loading (a Sigma rule it refuses, with the rule file
//! and the parser's line and column).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt as _};

use crate::config::{Overrides, Settings};
use crate::runtime::Runtime;

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file it is in.
    pub file: PathBuf,
    /// Line and column, when known (1-based).
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// What a check found, and what it loaded.
#[derive(Debug, Default)]
pub struct Report {
    /// Everything wrong.
    pub problems: Vec<Problem>,
    /// Plugins loaded.
    pub plugins: usize,
    /// Tables loaded.
    pub tables: usize,
    /// What is worth knowing but not wrong (how the input's partitions meet the workers).
    pub notes: Vec<String>,
}

/// Line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where `key` (the last part of a dotted key) is first written in the TOML text.
fn find_key(text: &str, key: &str) -> Option<(usize, usize)> {
    let last = key.rsplit(['.', ']']).find(|p| !p.is_empty() && !p.starts_with('['))?;
    text.lines().enumerate().find_map(|(i, line)| {
        let trimmed = line.trim_start();
        let is_key = trimmed.starts_with(last) && trimmed[last.len()..].trim_start().starts_with('=');
        is_key.then(|| (i + 1, line.len() - trimmed.len() + 1))
    })
}

/// Where a librdkafka property (a dotted name, quoted or not) is set in the TOML text.
fn find_property(text: &str, key: &str) -> Option<(usize, usize)> {
    let quoted = format!("\"{key}\"");
    text.lines().enumerate().find_map(|(i, line)| {
        let trimmed = line.trim_start();
        let rest = trimmed.strip_prefix(quoted.as_str()).or_else(|| trimmed.strip_prefix(key))?;
        rest.trim_start().starts_with('=').then(|| (i + 1, line.len() - trimmed.len() + 1))
    })
}

/// Plugin warnings (and errors) logged while loading, as problems.
struct Capture(Arc<Mutex<Vec<String>>>);

struct Message(String, Vec<String>);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        } else {
            self.1.push(format!("{}={value:?}", field.name()));
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_owned();
        } else {
            self.1.push(format!("{}={value}", field.name()));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() > tracing::Level::WARN {
            return;
        }
        let mut message = Message(String::new(), Vec::new());
        event.record(&mut message);
        let line = if message.1.is_empty() { message.0 } else { format!("{} ({})", message.0, message.1.join(" ")) };
        self.0.lock().expect("capture").push(line);
    }
}

/// `logsift check`: prints every problem and fails if there is any.
pub fn execute(path: &Path, overrides: Overrides) -> anyhow::Result<()> {
    let report = check(path, overrides)?;
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    for note in &report.notes {
        eprintln!("{}: {note}", path.display());
    }
    if !report.problems.is_empty() {
        anyhow::bail!("{} problems in {}", report.problems.len(), path.display());
    }
    println!("{}: ok ({} plugins, {} tables)", path.display(), report.plugins, report.tables);
    Ok(())
}

/// How the input's partitions meet the workers, when the brokers answer within a few seconds.
fn sizing(settings: &Settings) -> Option<String> {
    use crate::kafka::sizing;
    let kafka = settings.kafka.as_ref()?;
    let workers = settings.worker_count();
    Some(match sizing::input_partitions(kafka, std::time::Duration::from_secs(3)) {
        Ok(partitions) => sizing::advice(workers, partitions)
            .map_or_else(|| format!("input: {partitions} partitions for {workers} workers"), |warning| format!("warning: {warning}")),
        Err(why) => format!("input partitions not checked: {why}"),
    })
}

/// Checks the configuration at `path`.
pub fn check(path: &Path, overrides: Overrides) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    if let Err(e) = text.parse::<toml::Table>() {
        let at = e.span().map(|s| line_column(&text, s.start));
        report.problems.push(Problem { file: path.to_owned(), at, message: e.message().to_owned() });
        return Ok(report);
    }
    let settings = match Settings::load_with(path, overrides, std::env::vars()) {
        Ok(settings) => settings,
        Err(e) => {
            let message = format!("{e:#}");
            let key = message.split('`').nth(1).map(str::to_owned);
            let at = key.and_then(|k| find_key(&text, &k));
            report.problems.push(Problem { file: path.to_owned(), at, message });
            return Ok(report);
        }
    };
    match crate::kafka::check_properties(&settings) {
        Err(e) => {
            let at = match &e {
                crate::kafka::ClientError::Fixed { key, .. } => find_property(&text, key),
                _ => None,
            };
            report.problems.push(Problem { file: path.to_owned(), at, message: e.to_string() });
        }
        Ok(()) => report.notes.extend(sizing(&settings)),
    }
    report.tables = settings.tables.len();
    let captured = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Capture(Arc::clone(&captured)));
    let started = tracing::subscriber::with_default(subscriber, || Runtime::start(settings, None));
    match started {
        Ok(runtime) => report.plugins = runtime.pipeline().current().stages.len(),
        Err(e) => report.problems.push(Problem { file: path.to_owned(), at: None, message: e.to_string() }),
    }
    for warning in captured.lock().expect("capture").drain(..) {
        let file =
            warning.split("file=").nth(1).and_then(|f| f.split_whitespace().next()).map(|f| PathBuf::from(f.trim_matches(['"', ')'])));
        let at = warning.split("line ").nth(1).and_then(|rest| {
            let mut numbers = rest.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty());
            let line = numbers.next()?.parse().ok()?;
            let column =
                rest.split("column ").nth(1).and_then(|c| c.split(|ch: char| !ch.is_ascii_digit()).next()?.parse().ok()).unwrap_or(1);
            Some((line, column))
        });
        let problem = Problem { file: file.unwrap_or_else(|| path.to_owned()), at, message: warning };
        // Each instance logs what it refuses; one line per problem is enough.
        if !report.problems.contains(&problem) {
            report.problems.push(problem);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_keys_become_lines_and_columns() {
        let text = "[limits]\nmemory_mb = 64\n  timeout_ms = 0\n";
        assert_eq!(line_column(text, 9), (2, 1));
        assert_eq!(find_key(text, "limits.timeout_ms"), Some((3, 3)));
        assert_eq!(find_key(text, "nothing"), None);
        let kafka = "[kafka.producer]\n\"linger.ms\" = 5\n\"message.timeout.ms\" = 300000\n";
        assert_eq!(find_property(kafka, "message.timeout.ms"), Some((3, 1)));
    }
}
