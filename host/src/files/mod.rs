//! The embedded default: lines from files or stdin in, JSON lines out.
//!
//! [`LineSource`] reads the inputs in order and hands out batches of records, each with its
//! file and line number: a record per line, or (with [`Framing::Json`]) a record per JSON
//! value, which may span lines (pretty-printed objects, several per file). No line is read
//! past `limits.max_record_bytes`: the rest of a longer line is skipped and the record says
//! how long the line was, so a line without end costs bounded memory. [`JsonLinesSink`]
//! writes each output's records as JSON lines, to that output's file or, interleaved, to one
//! shared stream where every record of an output other than `events` carries an `output`
//! field. Blank lines are not records; they are counted.

mod json_frame;
mod lines;
mod sink;
mod source;

pub use json_frame::JsonFrame;
pub use lines::{Line, read_line};
pub use sink::JsonLinesSink;
pub use source::{Framing, LineSource};
