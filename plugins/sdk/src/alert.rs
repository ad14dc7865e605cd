//! Alerts: the one shape every detector raises.

/// Severity of an alert, on Sigma's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// A detection on one record. Build it with [`Alert::new`] and the `with_*` methods and
/// hand it to [`Context::alert`](crate::Context::alert).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Index of the record in the batch (filled in by the SDK).
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
}
