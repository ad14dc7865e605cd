//! Decoding the batch byte format without copying: views borrow from the buffer.

use std::fmt;

mod alerts;
mod batch;
mod fields;
mod reader;
mod view;

pub use alerts::Alerts;
pub use batch::Batch;
pub use fields::{FieldSpans, Fields};
pub use view::{EventView, RawValue};

/// Why a buffer is not a well-formed event batch, and where (byte offset in the buffer
/// handed to the decoder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset at which decoding failed.
    pub offset: usize,
    /// What was wrong.
    pub what: &'static str,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed event encoding at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for DecodeError {}
