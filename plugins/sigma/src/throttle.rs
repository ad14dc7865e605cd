//! Throttling repeated alerts: after a rule fires for a key (the values of the `by` fields,
//! e.g. the source address), further alerts of that rule for that key within `seconds` of
//! event time (`@timestamp`) are held back and counted; the next alert that goes out for
//! the key says how many were held back (`sigma.suppressed`). Event time, not wall time,
//! so a replay throttles the same way. State is bounded by `max_keys`: when full, keys whose
//! window has passed go first, then the oldest. `rules` sets another window or key for
//! single rules (by id).

use std::collections::{BTreeMap, HashMap};

use logsift_sdk::Event;
use serde::Deserialize;

/// Throttle settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    /// The window, in seconds of event time; 0 turns throttling off.
    pub seconds: u64,
    /// The fields whose values make the key (none: one key per rule).
    pub by: Vec<String>,
    /// The most keys remembered.
    pub max_keys: usize,
    /// Per rule id, its own window and key.
    pub rules: BTreeMap<String, RuleThrottle>,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig { seconds: 0, by: Vec::new(), max_keys: 100_000, rules: BTreeMap::new() }
    }
}

/// One rule's throttle, in place of the default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleThrottle {
    /// The window, in seconds of event time; 0 turns throttling off for the rule.
    pub seconds: u64,
    /// The fields whose values make the key; the default's when left out.
    #[serde(default)]
    pub by: Option<Vec<String>>,
}

struct Window {
    opened_ns: i64,
    window_ns: i64,
    held: u64,
}

/// The throttle's state.
pub struct Throttle {
    config: ThrottleConfig,
    windows: HashMap<(String, Vec<String>), Window>,
}

/// Whether an alert goes out, and how many of its kind were held back before it.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It goes out; `held` alerts of the same rule and key were held back since the last.
    Send {
        /// Alerts held back since the last one that went out.
        held: u64,
    },
    /// It is held back.
    Hold,
}

impl Throttle {
    /// A throttle with these settings.
    pub fn new(config: ThrottleConfig) -> Self {
        Throttle { config, windows: HashMap::new() }
    }

    /// Decides for an alert of `rule` on `event`. Events without a typed `@timestamp` are
    /// never held back.
    pub fn check(&mut self, rule: &str, event: &Event<'_>) -> Verdict {
        let own = self.config.rules.get(rule);
        let seconds = own.map_or(self.config.seconds, |r| r.seconds);
        let by = own.and_then(|r| r.by.as_ref()).unwrap_or(&self.config.by);
        let Some(now) = event.timestamp().filter(|_| seconds > 0) else { return Verdict::Send { held: 0 } };
        let window_ns = i64::try_from(seconds.saturating_mul(1_000_000_000)).unwrap_or(i64::MAX);
        let key = (rule.to_owned(), by.iter().map(|f| event.get(f).map(|v| v.to_string()).unwrap_or_default()).collect());
        if let Some(w) = self.windows.get_mut(&key) {
            if now.saturating_sub(w.opened_ns) < window_ns {
                w.held += 1;
                return Verdict::Hold;
            }
            let held = w.held;
            *w = Window { opened_ns: now, window_ns, held: 0 };
            return Verdict::Send { held };
        }
        if self.windows.len() >= self.config.max_keys.max(1) {
            self.evict(now);
        }
        self.windows.insert(key, Window { opened_ns: now, window_ns, held: 0 });
        Verdict::Send { held: 0 }
    }

    /// Keys remembered.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    fn evict(&mut self, now: i64) {
        self.windows.retain(|_, w| now.saturating_sub(w.opened_ns) < w.window_ns);
        while self.windows.len() >= self.config.max_keys.max(1) {
            let oldest = self.windows.iter().min_by_key(|(_, w)| w.opened_ns).map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.windows.remove(&k),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logsift_sdk::Value;

    fn event(seconds: i64, ip: &str) -> Event<'static> {
        let mut e = Event::new();
        e.set("@timestamp", Value::Timestamp(seconds * 1_000_000_000));
        e.set("source.ip", Value::from(ip.to_owned()));
        e
    }

    fn throttle(seconds: u64, max_keys: usize) -> Throttle {
        Throttle::new(ThrottleConfig { seconds, by: vec!["source.ip".into()], max_keys, rules: BTreeMap::new() })
    }

    #[test]
    fn repeats_within_the_window_are_held_and_counted_in_the_next_alert() {
        let mut t = throttle(60, 10);
        assert_eq!(t.check("r", &event(0, "a")), Verdict::Send { held: 0 });
        assert_eq!(t.check("r", &event(10, "a")), Verdict::Hold);
        assert_eq!(t.check("r", &event(59, "a")), Verdict::Hold);
        assert_eq!(t.check("r", &event(10, "b")), Verdict::Send { held: 0 }, "another key");
        assert_eq!(t.check("other", &event(10, "a")), Verdict::Send { held: 0 }, "another rule");
        assert_eq!(t.check("r", &event(60, "a")), Verdict::Send { held: 2 }, "the window has passed");
    }

    #[test]
    fn without_a_timestamp_or_a_window_nothing_is_held() {
        let mut t = throttle(0, 10);
        assert_eq!(t.check("r", &event(0, "a")), Verdict::Send { held: 0 });
        assert_eq!(t.check("r", &event(1, "a")), Verdict::Send { held: 0 });
        let mut t = throttle(60, 10);
        let mut e = Event::new();
        e.set("source.ip", Value::from("a"));
        assert_eq!(t.check("r", &e), Verdict::Send { held: 0 });
        assert_eq!(t.check("r", &e), Verdict::Send { held: 0 });
        assert!(t.is_empty());
    }

    #[test]
    fn state_stays_within_max_keys_expired_keys_first_then_the_oldest() {
        let mut t = throttle(60, 3);
        for (i, ip) in ["a", "b", "c"].iter().enumerate() {
            t.check("r", &event(i as i64 * 30, ip));
        }
        assert_eq!(t.len(), 3);
        // At 70 s, "a" (opened at 0) has expired: it goes, and "d" comes in.
        t.check("r", &event(70, "d"));
        assert_eq!(t.len(), 3);
        assert_eq!(t.check("r", &event(71, "a")), Verdict::Send { held: 0 }, "a was forgotten");
        // None expired now ("b" at 30 is 41 s old): the oldest, "b", makes room for "a".
        assert_eq!(t.len(), 3);
        assert_eq!(t.check("r", &event(72, "c")), Verdict::Hold, "c is still remembered");
        assert_eq!(t.check("r", &event(72, "b")), Verdict::Send { held: 0 }, "b was evicted as the oldest");
    }
}
