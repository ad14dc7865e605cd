//! What each rule costs to evaluate. Now and then (one event in `cost_sample_every`, by
//! default one in 64 × the number of rules and at least one in 1,024, and always the
//! instance's first event) the event is evaluated against every detection rule on its own,
//! each rule timed with the monotonic clock, and the times go to the host with the batch's
//! result (the contract's `rule-cost`).
//!
//! What is timed is matching the rule against the event: no candidate index (rsigma's index,
//! shared by all rules, decides which rules the engine evaluates at all, and is not any one
//! rule's cost) and no logsource routing. A sample costs about as much as evaluating every
//! rule once, so over `64 × rules` events it adds about 1/64 of one rule evaluation per
//! event: cheap enough to stay on.

use std::time::Instant;

use logsift_sdk::{Context, RuleCost};
use rsigma_eval::{CompiledRule, Event};

/// Events between samples when the setting does not say: 64 per rule, at least this many.
pub const MIN_SAMPLE_EVERY: u64 = 1024;

/// Decides which events are sampled.
#[derive(Debug, Clone)]
pub struct Sampler {
    every: u64,
    seen: u64,
}

/// What a sampled event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// Not sampled.
    No,
    /// The instance's first sample: each rule is evaluated once untimed before it is timed,
    /// so what is charged is a warm evaluation, not the first touch of the rule's memory.
    First,
    /// Timed as it comes.
    Warm,
}

impl Sampler {
    /// One event in `every` (0: never); by default one in 64 × `rules`, at least one in
    /// [`MIN_SAMPLE_EVERY`].
    pub fn new(every: Option<u64>, rules: usize) -> Self {
        let every = every.unwrap_or_else(|| (64 * rules as u64).max(MIN_SAMPLE_EVERY));
        Sampler { every, seen: 0 }
    }

    /// Whether the next event is sampled (the first one is).
    pub fn due(&mut self) -> Sample {
        if self.every == 0 {
            return Sample::No;
        }
        let due = self.seen.is_multiple_of(self.every);
        self.seen += 1;
        match (due, self.seen) {
            (false, _) => Sample::No,
            (true, 1) => Sample::First,
            (true, _) => Sample::Warm,
        }
    }
}

/// What reading the clock twice costs, so it is not charged to the rules: the least of a few
/// tries.
fn clock_floor() -> u64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            start.elapsed().as_nanos() as u64
        })
        .min()
        .unwrap_or(0)
}

/// Evaluates `event` against each rule on its own and reports each one's time (for the
/// first sample, after an untimed evaluation of each).
pub fn measure<E: Event>(rules: &[CompiledRule], event: &E, sample: Sample, ctx: &mut Context) {
    if sample == Sample::No {
        return;
    }
    if sample == Sample::First {
        for rule in rules {
            drop(rsigma_eval::evaluate_rule(rule, event));
        }
    }
    let floor = clock_floor();
    for rule in rules {
        let start = Instant::now();
        let matched = rsigma_eval::evaluate_rule(rule, event);
        let nanos = (start.elapsed().as_nanos() as u64).saturating_sub(floor);
        drop(matched);
        let rule_id = rule.id.clone().unwrap_or_else(|| rule.title.clone());
        ctx.rule_cost(RuleCost { rule_id, evaluations: 1, nanos });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_the_first_event_then_one_in_every() {
        let mut sampler = Sampler::new(Some(3), 10);
        let due: Vec<Sample> = (0..7).map(|_| sampler.due()).collect();
        use Sample::{First, No, Warm};
        assert_eq!(due, [First, No, No, Warm, No, No, Warm]);
        let mut never = Sampler::new(Some(0), 10);
        assert!((0..10).all(|_| never.due() == No));
    }

    #[test]
    fn by_default_the_interval_grows_with_the_rules() {
        assert_eq!(Sampler::new(None, 1).every, MIN_SAMPLE_EVERY);
        assert_eq!(Sampler::new(None, 2407).every, 64 * 2407);
    }
}
