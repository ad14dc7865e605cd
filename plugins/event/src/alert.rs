//! Alerts, the one shape every detector raises, and their byte encoding.
//!
//! A plugin's alerts cross to the host as one buffer (the contract's `alert-batch`, specified
//! in `wit/README.md`, "Alert batch encoding") rather than as a list of records with a string
//! for every tag and detail: a list is lowered string by string, each allocated in the plugin
//! and again in the host, and a detector raising an alert on many records paid for that more
//! than for anything else it did. [`Alert::encode`] writes one alert; [`Alerts`] reads a
//! buffer back.

use crate::append;

/// Severity of an alert, on Sigma's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Context for an analyst, not a threat by itself.
    Informational,
    /// Unlikely to matter alone.
    Low,
    /// Worth a look.
    Medium,
    /// Likely malicious.
    High,
    /// Act now.
    Critical,
}

impl Level {
    /// Every level, in the order of their wire codes (0 to 4).
    pub const ALL: [Level; 5] = [Level::Informational, Level::Low, Level::Medium, Level::High, Level::Critical];

    /// The level's wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The lowercase Sigma name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// The level of a lowercase Sigma name ([`as_str`](Self::as_str)'s), if it is one.
    pub fn from_name(name: &str) -> Option<Level> {
        Self::ALL.into_iter().find(|level| level.as_str() == name)
    }

    /// The level of a wire code, if it is one.
    pub fn from_code(code: u8) -> Option<Level> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// A detection on one record. Build it with [`Alert::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Index of the record in the batch (the SDK fills it in when the alert is raised).
    pub record: u32,
    /// Stable rule identifier.
    pub rule_id: String,
    /// One-line title.
    pub title: String,
    /// Severity.
    pub level: Level,
    /// Tags, ATT&CK ids in Sigma's form (`attack.t1110`).
    pub tags: Vec<String>,
    /// Rule maturity, if known.
    pub status: Option<String>,
    /// Distinguishes several alerts of one rule on one record.
    pub dedupe_key: Option<String>,
    /// Extra name/value detail.
    pub details: Vec<(String, String)>,
}

impl Alert {
    /// An alert for a rule.
    pub fn new(rule_id: impl Into<String>, title: impl Into<String>, level: Level) -> Self {
        Alert {
            record: 0,
            rule_id: rule_id.into(),
            title: title.into(),
            level,
            tags: Vec::new(),
            status: None,
            dedupe_key: None,
            details: Vec::new(),
        }
    }

    /// Adds tags.
    pub fn with_tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Sets the rule status.
    pub fn with_status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Sets the dedupe key.
    pub fn with_dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    /// Adds one detail.
    pub fn with_detail(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.details.push((name.into(), value.into()));
        self
    }

    /// Appends the alert, encoded, to `buf`, as raised on record `record` of its batch
    /// (whatever its own `record` says).
    pub fn encode(&self, buf: &mut Vec<u8>, record: u32) {
        buf.extend_from_slice(&record.to_le_bytes());
        write_str(buf, &self.rule_id);
        write_str(buf, &self.title);
        buf.push(self.level.code());
        write_count(buf, self.tags.len());
        for tag in &self.tags {
            write_str(buf, tag);
        }
        for optional in [&self.status, &self.dedupe_key] {
            match optional {
                None => buf.push(0),
                Some(text) => {
                    buf.push(1);
                    write_str(buf, text);
                }
            }
        }
        write_count(buf, self.details.len());
        for (name, value) in &self.details {
            write_str(buf, name);
            write_str(buf, value);
        }
    }
}

fn write_count(buf: &mut Vec<u8>, n: usize) {
    buf.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn write_str(buf: &mut Vec<u8>, text: &str) {
    write_count(buf, text.len());
    append(buf, text.as_bytes());
}

pub use crate::decode::Alerts;

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Alert {
        Alert::new("rule-1", "Something happened", Level::High)
            .with_tags(["attack.t1110", "attack.credential-access"])
            .with_status("stable")
            .with_detail("source.ip", "203.0.113.9")
            .with_detail("failures", "5")
    }

    #[test]
    fn alerts_round_trip_with_the_record_they_were_raised_on() {
        let (a, b) = (full(), Alert::new("r2", "", Level::Informational).with_dedupe_key("k"));
        let mut buf = Vec::new();
        a.encode(&mut buf, 7);
        b.encode(&mut buf, 0);
        let read: Vec<Alert> = Alerts::new(&buf).map(|v| v.expect("well formed")).collect();
        assert_eq!(read, [Alert { record: 7, ..a }, b]);
        assert_eq!(Alerts::new(&[]).count(), 0);
    }

    #[test]
    fn every_malformed_buffer_is_refused_with_where_and_why() {
        let mut buf = Vec::new();
        full().encode(&mut buf, 1);
        // Every cut is an error, never a panic or a shorter alert.
        for len in 1..buf.len() {
            let read: Vec<_> = Alerts::new(&buf[..len]).collect();
            assert_eq!(read.len(), 1, "cut at {len}");
            assert!(read[0].is_err(), "cut at {len}");
        }
        let level_at = 4 + 4 + "rule-1".len() + 4 + "Something happened".len();
        let mut bad = buf.clone();
        bad[level_at] = 5;
        let err = Alerts::new(&bad).next().unwrap().unwrap_err();
        assert_eq!((err.offset, err.what), (level_at, "unknown alert level"));
        let mut bad = buf.clone();
        bad[9] = 0xFF;
        assert!(Alerts::new(&bad).next().unwrap().unwrap_err().to_string().contains("UTF-8"));
        let flag_at = level_at + 1 + 4 + 4 + "attack.t1110".len() + 4 + "attack.credential-access".len();
        let mut bad = buf;
        bad[flag_at] = 2;
        assert_eq!(Alerts::new(&bad).next().unwrap().unwrap_err().what, "option flag is neither 0 nor 1");
    }

    #[test]
    fn levels_have_the_codes_of_their_order() {
        for (code, level) in Level::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(level.code()), code);
            assert_eq!(Level::from_code(level.code()), Some(level));
        }
        assert_eq!(Level::from_code(5), None);
        for level in Level::ALL {
            assert_eq!(Level::from_name(level.as_str()), Some(level));
        }
        assert_eq!(Level::from_name("High"), None, "names are lowercase");
    }
}
