//! The rules of a plugin's batch result that the WIT cannot state (see `wit/README.md`),
//! checked in one place: the host applies them to every result a component returns, and
//! `logsift_sdk::testing` to every result a plugin gives in its unit tests, so a plugin that
//! passes its tests cannot break the contract in the host.
//!
//! A result breaking a rule is refused whole ([`Broken`]). A split past the stage's
//! `max_split` is not a broken contract but a record the host dead-letters:
//! [`split_refusal`] words the reason both sides give.

use std::fmt;

/// The output the host fills with records no plugin could process.
pub const DEAD_LETTER: &str = "dead_letter";
/// The output the host fills with alerts.
pub const ALERTS: &str = "alerts";
/// The output the host fills with the alerts of shadow stages (rules on trial).
pub const ALERTS_SHADOW: &str = "alerts_shadow";
/// How many events one record may become unless the stage says otherwise.
pub const DEFAULT_MAX_SPLIT: u32 = 100;
/// The most rule costs one result may carry (a sample of the whole SigmaHQ corpus is ~4,000).
pub const MAX_COSTS: usize = 65_536;
/// The longest rule id a rule cost may name, in bytes.
pub const MAX_RULE_ID_BYTES: usize = 1024;

/// What one change does to its record, as far as the contract is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Replaced by this many of the returned events.
    Replace(u32),
    /// Kept, with the fields of one returned event set over it.
    Update,
    /// Dropped on purpose.
    Drop,
    /// Sent to a named output, as this many of the returned events (0: unchanged).
    Emit {
        /// The output's name.
        output: &'a str,
        /// How many returned events it takes.
        events: u32,
    },
    /// Rejected with a reason.
    Reject,
}

/// Which rule a result breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken(pub String);

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Broken {}

/// Output names a plugin may emit to: 1-64 characters of `a-z`, `0-9`, `_`, `-`, `.`, and not
/// one the host fills itself.
pub fn check_output_name(name: &str) -> Result<(), Broken> {
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.'));
    if !well_formed {
        return Err(Broken(format!("output name {name:?} must be 1-64 characters of a-z, 0-9, '_', '-', '.'")));
    }
    if name == DEAD_LETTER || name == ALERTS || name == ALERTS_SHADOW {
        return Err(Broken(format!("records cannot be emitted to {name:?}: reject them or raise an alert")));
    }
    Ok(())
}

/// Checks the shape of a result for a batch of `records` records: its changes (record,
/// step) in record order and inside the batch, no `replace(0)`, output names, exactly as many
/// returned events (`events`) as the changes take, and alerts (`alert_records`) on records of
/// the batch.
pub fn check_result<'a>(
    records: usize,
    changes: impl IntoIterator<Item = (u32, Step<'a>)>,
    events: usize,
    alert_records: impl IntoIterator<Item = u32>,
) -> Result<(), Broken> {
    let mut previous: Option<u32> = None;
    let mut taken: usize = 0;
    for (record, step) in changes {
        if record as usize >= records || previous.is_some_and(|p| record <= p) {
            return Err(Broken(format!("change for record {record} is out of order or past the batch of {records}")));
        }
        previous = Some(record);
        taken += match step {
            Step::Replace(0) => return Err(Broken("replace(0): use drop to remove a record".into())),
            Step::Replace(n) => n as usize,
            Step::Update => 1,
            Step::Emit { output, events } => {
                check_output_name(output)?;
                events as usize
            }
            Step::Drop | Step::Reject => 0,
        };
    }
    match taken.cmp(&events) {
        std::cmp::Ordering::Less if previous.is_none() => return Err(Broken("returned events but no change refers to them".into())),
        std::cmp::Ordering::Less => return Err(Broken("returned more events than its changes refer to".into())),
        std::cmp::Ordering::Greater => return Err(Broken("changes refer to more events than it returned".into())),
        std::cmp::Ordering::Equal => {}
    }
    for record in alert_records {
        if record as usize >= records {
            return Err(Broken(format!("alert on record {record} is past the batch of {records}")));
        }
    }
    Ok(())
}

/// Checks the rule costs of a result (their rule ids): at most [`MAX_COSTS`], each id
/// 1-[`MAX_RULE_ID_BYTES`] bytes, so what a plugin reports costs the host a bounded amount.
pub fn check_costs<'a>(rule_ids: impl ExactSizeIterator<Item = &'a str>) -> Result<(), Broken> {
    if rule_ids.len() > MAX_COSTS {
        return Err(Broken(format!("{} rule costs in one result, more than {MAX_COSTS}", rule_ids.len())));
    }
    for id in rule_ids {
        if id.is_empty() || id.len() > MAX_RULE_ID_BYTES {
            return Err(Broken(format!("a rule cost's rule id must be 1-{MAX_RULE_ID_BYTES} bytes, not {}", id.len())));
        }
    }
    Ok(())
}

/// The reason a record split into `events` events is dead-lettered, or `None` within the cap.
pub fn split_refusal(events: u32, max_split: u32) -> Option<String> {
    (events > max_split).then(|| format!("split into {events} events, more than max_split = {max_split}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_costs_are_bounded_in_number_and_id_length() {
        assert!(check_costs(["a", "b"].into_iter()).is_ok());
        assert!(check_costs(std::iter::empty()).is_ok());
        let long = "x".repeat(MAX_RULE_ID_BYTES + 1);
        assert!(check_costs([long.as_str()].into_iter()).unwrap_err().0.contains("1-1024 bytes"));
        assert!(check_costs([""].into_iter()).is_err());
        let many = vec!["r"; MAX_COSTS + 1];
        assert!(check_costs(many.into_iter()).unwrap_err().0.contains("more than 65536"));
    }

    fn check(changes: &[(u32, Step<'_>)], events: usize) -> Result<(), Broken> {
        check_result(4, changes.iter().copied(), events, [])
    }

    #[test]
    fn a_well_formed_result_passes() {
        let changes = [(0, Step::Replace(2)), (1, Step::Drop), (2, Step::Emit { output: "audit", events: 1 }), (3, Step::Reject)];
        assert_eq!(check(&changes, 3), Ok(()));
        assert_eq!(check_result(4, [], 0, [0, 3]), Ok(()));
    }

    #[test]
    fn each_rule_names_what_it_caught() {
        let broken = |changes: &[(u32, Step<'_>)], events: usize| check(changes, events).unwrap_err().0;
        assert!(broken(&[(1, Step::Drop), (0, Step::Drop)], 0).contains("out of order"));
        assert!(broken(&[(1, Step::Drop), (1, Step::Drop)], 0).contains("out of order"));
        assert!(broken(&[(4, Step::Drop)], 0).contains("past the batch of 4"));
        assert!(broken(&[(0, Step::Replace(0))], 0).contains("replace(0)"));
        assert!(broken(&[(0, Step::Emit { output: "Bad Name", events: 0 })], 0).contains("must be 1-64"));
        assert!(broken(&[(0, Step::Emit { output: "dead_letter", events: 0 })], 0).contains("reject them"));
        for reserved in ["alerts", "alerts_shadow"] {
            assert!(broken(&[(0, Step::Emit { output: reserved, events: 0 })], 0).contains("raise an alert"), "{reserved}");
        }
        assert!(broken(&[(0, Step::Replace(2))], 1).contains("more events than it returned"));
        assert!(broken(&[(0, Step::Replace(1))], 2).contains("more events than its changes"));
        assert!(broken(&[], 1).contains("no change refers"));
        assert!(check_result(4, [], 0, [4]).unwrap_err().0.contains("alert on record 4"));
    }

    #[test]
    fn a_split_past_the_cap_is_refused_with_the_cap() {
        assert_eq!(split_refusal(100, DEFAULT_MAX_SPLIT), None);
        assert_eq!(split_refusal(101, 100).as_deref(), Some("split into 101 events, more than max_split = 100"));
    }
}
