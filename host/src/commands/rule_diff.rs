//! Comparing two rule sets over the same records (`logsift backtest --candidate`): per rule,
//! the alerts only the candidate raises, only the current set raises, and both raise, each
//! kind with its first example. Records are compared batch by batch, so memory is bounded by
//! the number of rules, whatever the range.

use std::collections::BTreeMap;
use std::fmt;

use crate::metrics::activity::{describe, original};
use crate::pipeline::{ChainOutput, InputRecord, Payload};

/// One rule's difference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleDiff {
    /// Alerts only the candidate raised.
    pub only_candidate: u64,
    /// Alerts only the current set raised.
    pub only_current: u64,
    /// Alerts both raised (on the same record).
    pub both: u64,
    /// The first record of each kind: where it came from and its start.
    pub examples: [Option<String>; 3],
}

/// The difference of every rule that fired in either set, by rule id.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// Per rule id.
    pub rules: BTreeMap<String, RuleDiff>,
}

/// Alerts per (record, rule) of one batch's output.
fn alerts(out: &ChainOutput) -> BTreeMap<(u32, &str), u64> {
    let mut by = BTreeMap::new();
    for routed in &out.routed {
        if let Payload::Alert(alert) = &routed.payload {
            *by.entry((routed.source, alert.rule_id.as_str())).or_default() += 1;
        }
    }
    by
}

impl Diff {
    /// Adds one batch: what the current and the candidate chains made of `inputs`.
    pub fn add(&mut self, inputs: &[InputRecord], current: &ChainOutput, candidate: &ChainOutput) {
        let (current, candidate) = (alerts(current), alerts(candidate));
        let mut keys: Vec<&(u32, &str)> = current.keys().chain(candidate.keys()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let (source, rule) = *key;
            let (a, b) = (current.get(key).copied().unwrap_or(0), candidate.get(key).copied().unwrap_or(0));
            let diff = self.rules.entry(rule.to_owned()).or_default();
            let kinds = [b.saturating_sub(a), a.saturating_sub(b), a.min(b)];
            diff.only_candidate += kinds[0];
            diff.only_current += kinds[1];
            diff.both += kinds[2];
            for (example, n) in diff.examples.iter_mut().zip(kinds) {
                if n > 0 && example.is_none() {
                    let input = &inputs[source as usize];
                    *example = Some(format!("{} {}", describe(&input.origin), original(&input.raw)));
                }
            }
        }
    }

    /// Whether the two sets raised exactly the same alerts.
    pub fn is_empty(&self) -> bool {
        self.rules.values().all(|r| r.only_candidate == 0 && r.only_current == 0)
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "candidate vs current, per rule:")?;
        writeln!(f, "  {:>14} {:>12} {:>8}  rule", "only candidate", "only current", "both")?;
        for (rule, d) in &self.rules {
            writeln!(f, "  {:>14} {:>12} {:>8}  {rule}", d.only_candidate, d.only_current, d.both)?;
            for (label, example) in ["only candidate", "only current"].iter().zip(&d.examples) {
                if let Some(example) = example {
                    writeln!(f, "      {label}, e.g. {example}")?;
                }
            }
        }
        if self.is_empty() {
            writeln!(f, "  the two rule sets raise the same alerts")?;
        }
        Ok(())
    }
}
