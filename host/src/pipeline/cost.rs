//! What rules cost: the measurements detectors send with their results (the contract's
//! `rule-cost`: per rule, events evaluated on their own and the nanoseconds that took), and
//! [`CostTable`], which adds them up per rule for `/metrics`, the status page and the
//! summaries of `run`, `sigma` and `backtest`.
//!
//! A measurement is the plugin's: the `sigma` plugin evaluates a sampled event against every
//! rule one by one, so a rule's cost is what matching it takes, without the candidate index
//! that all rules share (README, "What each rule costs").

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A rule as hits and costs are counted: its id, and whether a shadow stage ran it (a rule on
/// trial is counted apart from the same rule live).
pub type RuleKey = (String, bool);

/// Rules a [`CostTable`] tracks; measurements of further rules are only counted.
pub const MAX_COST_RULES: usize = 8192;

/// One rule's measurement, as a stage reported it with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCost {
    /// The rule.
    pub rule_id: String,
    /// The stage that measured it.
    pub stage: Arc<str>,
    /// Whether that stage is a shadow stage.
    pub shadow: bool,
    /// Events the rule was evaluated on, on its own.
    pub evaluations: u64,
    /// Nanoseconds they took.
    pub nanos: u64,
}

/// A rule's measurements added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CostTally {
    /// Events evaluated.
    pub evaluations: u64,
    /// Nanoseconds they took.
    pub nanos: u64,
}

impl CostTally {
    /// Mean nanoseconds per event.
    pub fn mean_ns(&self) -> f64 {
        if self.evaluations == 0 { 0.0 } else { self.nanos as f64 / self.evaluations as f64 }
    }
}

/// Costs per rule: at most [`MAX_COST_RULES`] rules by name; measurements of rules beyond
/// that are counted in [`CostTable::untracked`].
#[derive(Debug, Default, Clone)]
pub struct CostTable {
    rules: HashMap<RuleKey, CostTally>,
    untracked: u64,
}

impl CostTable {
    /// Adds a batch's measurements.
    pub fn add(&mut self, costs: &[RuleCost]) {
        for cost in costs {
            let key = (cost.rule_id.clone(), cost.shadow);
            if self.rules.len() >= MAX_COST_RULES && !self.rules.contains_key(&key) {
                self.untracked += 1;
                continue;
            }
            let tally = self.rules.entry(key).or_default();
            tally.evaluations += cost.evaluations;
            tally.nanos += cost.nanos;
        }
    }

    /// The `n` rules with the highest mean cost per event, costliest first.
    pub fn costliest(&self, n: usize) -> Vec<(&RuleKey, CostTally)> {
        let mut all: Vec<_> = self.rules.iter().filter(|(_, t)| t.evaluations > 0).map(|(k, t)| (k, *t)).collect();
        all.sort_by(|a, b| b.1.mean_ns().total_cmp(&a.1.mean_ns()).then_with(|| a.0.cmp(b.0)));
        all.truncate(n);
        all
    }

    /// A rule's tally.
    pub fn get(&self, key: &RuleKey) -> Option<CostTally> {
        self.rules.get(key).copied()
    }

    /// Rules measured.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule was measured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Measurements of rules past [`MAX_COST_RULES`], not kept by name.
    pub fn untracked(&self) -> u64 {
        self.untracked
    }

    /// The costliest `n` rules, a line each, for a summary (nothing when no rule was measured).
    pub fn write_costliest(&self, f: &mut fmt::Formatter<'_>, n: usize) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        writeln!(f, "  costliest rules (mean time to evaluate one event, over the events sampled; {} rules measured):", self.len())?;
        for ((id, shadow), tally) in self.costliest(n) {
            let mode = if *shadow { " (shadow)" } else { "" };
            writeln!(f, "  {:>9.1} µs  {:>8} sampled  {id}{mode}", tally.mean_ns() / 1e3, tally.evaluations)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(rule: &str, shadow: bool, evaluations: u64, nanos: u64) -> RuleCost {
        RuleCost { rule_id: rule.into(), stage: Arc::from("sigma"), shadow, evaluations, nanos }
    }

    #[test]
    fn costs_add_up_per_rule_and_mode_and_rank_by_mean() {
        let mut table = CostTable::default();
        table.add(&[cost("cheap", false, 1, 100), cost("dear", false, 1, 9_000), cost("dear", true, 1, 50)]);
        table.add(&[cost("cheap", false, 3, 100), cost("dear", false, 1, 1_000)]);
        assert_eq!(table.get(&("cheap".into(), false)), Some(CostTally { evaluations: 4, nanos: 200 }));
        assert_eq!(table.get(&("dear".into(), false)), Some(CostTally { evaluations: 2, nanos: 10_000 }));
        let order: Vec<_> = table.costliest(10).into_iter().map(|(k, t)| (k.clone(), t.mean_ns())).collect();
        assert_eq!(order, vec![(("dear".into(), false), 5_000.0), (("cheap".into(), false), 50.0), (("dear".into(), true), 50.0)]);
        assert_eq!(table.costliest(1).len(), 1);
    }

    #[test]
    fn the_table_is_bounded_and_counts_what_it_cannot_keep() {
        let mut table = CostTable::default();
        let many: Vec<_> = (0..MAX_COST_RULES + 5).map(|i| cost(&format!("r{i}"), false, 1, 1)).collect();
        table.add(&many);
        assert_eq!(table.len(), MAX_COST_RULES);
        assert_eq!(table.untracked(), 5);
        // Rules already kept go on adding up.
        table.add(&[cost("r0", false, 1, 1)]);
        assert_eq!(table.get(&("r0".into(), false)).map(|t| t.evaluations), Some(2));
    }
}
