//! logsift's event model and its byte encoding, shared by the host and the plugin SDK.
//!
//! An event is an [`Origin`] (where the record came from: a file line, a Kafka position)
//! plus an ordered list of named, typed fields with ECS-style dotted names (`source.ip`,
//! `event.action`, `@timestamp`). The raw text of a record is the string field
//! `event.original`.
//!
//! Events cross the host/plugin boundary in the byte format specified in `wit/README.md`
//! ("Event batch encoding"). This crate is that format's one implementation in Rust:
//! [`EventWriter`] encodes, [`EventView`] decodes without copying strings, and [`Batch`]
//! walks a framed batch. Decoding never panics on bad input; it returns a [`DecodeError`]
//! that says at which byte and why. [`calendar`] turns civil dates and times into
//! timestamps and back (with [`jiff`] doing the date arithmetic), [`rfc3339`] is the
//! date-time reader parsers share.

pub mod alert;
mod append;
pub mod calendar;
pub mod contract;
mod decode;
mod encode;
mod name_lengths;
pub mod rfc3339;
mod update;
mod value;

pub use alert::{Alert, Level};
pub use append::append;
pub use decode::{Batch, DecodeError, EventView, FieldSpans, RawValue};
pub use encode::EventWriter;
pub use name_lengths::{NameLengths, same_name};
pub use update::{FieldAt, write_update, write_update_indexed};
pub use value::{Origin, Value};

/// Wire tags of [`Value`] variants (see `wit/README.md`).
pub mod tag {
    /// `null`
    pub const NULL: u8 = 0;
    /// `bool`: one byte, 0 or 1
    pub const BOOL: u8 = 1;
    /// `int`: i64 little-endian
    pub const INT: u8 = 2;
    /// `float`: f64 little-endian
    pub const FLOAT: u8 = 3;
    /// `string`: u32 length + UTF-8
    pub const STRING: u8 = 4;
    /// `timestamp`: i64 nanoseconds since the Unix epoch, UTC
    pub const TIMESTAMP: u8 = 5;
    /// `ip`: one length byte (4 or 16) + address bytes in network order
    pub const IP: u8 = 6;
    /// `array`: u32 count + values
    pub const ARRAY: u8 = 7;
}

/// Wire tags of [`Origin`] variants (see `wit/README.md`).
pub mod origin_tag {
    /// no origin (a synthetic event)
    pub const NONE: u8 = 0;
    /// a line of a file or stdin
    pub const FILE: u8 = 1;
    /// a Kafka record
    pub const KAFKA: u8 = 2;
}

/// Where `part`, a slice of `whole` (a field or a name an event's spans yielded), starts in
/// it.
pub(crate) fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize)
}

/// The field that holds a record's raw text.
pub const ORIGINAL: &str = "event.original";

/// The field a parser sets to claim an event (ECS `event.dataset`, e.g. `syslog`); a later
/// parser passes such an event on untouched (`wit/README.md`), and the host does not hand a
/// parser a batch whose every event is claimed.
pub const PARSED_MARK: &str = "event.dataset";
