//! What leaves the chain besides the events that went all the way: records emitted to a
//! named output, alerts, and dead letters, each tied to the input record it came from.

use std::sync::Arc;

use crate::wasm::Level;

/// The output of records that went through the whole chain.
pub const EVENTS: &str = "events";
/// The output of alerts, and the output of records no plugin could process (names no plugin
/// may emit to: see [`logsift_event::contract`]).
pub use logsift_event::contract::{ALERTS, ALERTS_SHADOW, DEAD_LETTER};

/// One record for an output other than `events`.
#[derive(Debug, Clone)]
pub struct OutputRecord {
    /// The input record it came from (index in the batch handed to the chain).
    pub source: u32,
    /// The output's name.
    pub output: Arc<str>,
    /// What it carries.
    pub payload: Payload,
}

/// The content of an [`OutputRecord`].
#[derive(Debug, Clone)]
pub enum Payload {
    /// An event a plugin emitted to a named output (framed, encoded).
    Event(Vec<u8>),
    /// An alert.
    Alert(AlertRecord),
    /// A record that could not be processed.
    DeadLetter(DeadLetter),
}

/// An alert, with the plugin that raised it and the event it fired on.
#[derive(Debug, Clone)]
pub struct AlertRecord {
    /// Stable id: the same record, plugin, rule and dedupe key always give the same id.
    pub id: String,
    /// The stage that raised it.
    pub plugin: Arc<str>,
    /// Rule id.
    pub rule_id: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub level: Level,
    /// Tags.
    pub tags: Vec<String>,
    /// Rule status.
    pub status: Option<String>,
    /// Extra detail.
    pub details: Vec<(String, String)>,
    /// The event it fired on (framed, encoded), if it fired on one.
    pub event: Option<Vec<u8>>,
    /// Raised by a shadow stage (written `rule.shadow = true`; see [`StageMode`](super::StageMode)).
    pub shadow: bool,
}

/// Why a record went to the dead-letter output. The raw bytes are the input record's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The stage that could not process it.
    pub plugin: Arc<str>,
    /// Why.
    pub reason: String,
}

/// A stable id from parts: hex of the first 16 bytes of their BLAKE3 hash, with each part
/// length-prefixed so different splits of the same bytes never collide.
pub fn stable_id(parts: &[&[u8]]) -> String {
    let mut id = String::with_capacity(32);
    write_stable_id(parts, &mut id);
    id
}

/// [`stable_id`], appended to `out`. Parts that fit in a block of the stack (an origin and
/// an ordinal, every event's id) are laid out there and hashed in one call; the hasher, fed
/// part by part, costs more than the hash of so few bytes.
pub fn write_stable_id(parts: &[&[u8]], out: &mut String) {
    let mut block = [0u8; 256];
    let mut at = 0;
    let mut hasher = None;
    for part in parts {
        let len = (part.len() as u64).to_le_bytes();
        match block.get_mut(at..at + 8 + part.len()) {
            Some(room) if hasher.is_none() => {
                room[..8].copy_from_slice(&len);
                room[8..].copy_from_slice(part);
                at += 8 + part.len();
            }
            _ => {
                let hasher = hasher.get_or_insert_with(|| {
                    let mut hasher = blake3::Hasher::new();
                    hasher.update(&block[..at]);
                    hasher
                });
                hasher.update(&len);
                hasher.update(part);
            }
        }
    }
    let hash = match hasher {
        Some(hasher) => hasher.finalize(),
        None => blake3::hash(&block[..at]),
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in &hash.as_bytes()[..16] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: BLAKE3 over each part's length (8 bytes, little-endian) and bytes, in
    /// order; the first 16 bytes of the hash in lowercase hex.
    fn defined(parts: &[&[u8]]) -> String {
        let mut hasher = blake3::Hasher::new();
        for part in parts {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.finalize().to_hex()[..32].to_owned()
    }

    #[test]
    fn ids_are_the_defined_hash_whether_the_parts_fit_the_block_or_not() {
        let bytes: Vec<u8> = (0..4000u32).map(|i| (i * 31 % 251) as u8).collect();
        // Lengths around the 256-byte block: parts that fit, that fill it exactly, that
        // overflow it first or later, and empty ones.
        let lengths = [0, 1, 7, 100, 239, 240, 241, 248, 256, 300, 1500];
        for &a in &lengths {
            for &b in &lengths {
                for parts in [vec![&bytes[..a]], vec![&bytes[..a], &bytes[a..a + b]], vec![&bytes[..a], b"x", &bytes[..b], &[]]] {
                    let mut id = String::from("prefix:");
                    write_stable_id(&parts, &mut id);
                    assert_eq!(id, format!("prefix:{}", defined(&parts)), "parts of {a} and {b} bytes");
                }
            }
        }
        assert_ne!(stable_id(&[b"ab", b"c"]), stable_id(&[b"a", b"bc"]), "splits of the same bytes differ");
    }
}
