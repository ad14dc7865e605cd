//! Encoding events into the batch byte format.

use crate::{Origin, Value, append, origin_tag, tag};

/// Writes one framed event (length, origin, fields) at the end of a buffer.
///
/// ```
/// use logsift_event::{EventWriter, Origin, Value, Batch};
/// let mut buf = Vec::new();
/// let mut w = EventWriter::begin(&mut buf, &Origin::None);
/// w.field("event.original", &Value::from("hello"));
/// w.finish();
/// let event = Batch::new(&buf).next().unwrap().unwrap();
/// assert_eq!(event.get("event.original"), Some(Value::from("hello")));
/// ```
pub struct EventWriter<'b> {
    buf: &'b mut Vec<u8>,
    frame_at: usize,
    count_at: usize,
    count: u32,
}

impl<'b> EventWriter<'b> {
    /// Starts an event with the given origin.
    pub fn begin(buf: &'b mut Vec<u8>, origin: &Origin<'_>) -> Self {
        let frame_at = buf.len();
        buf.extend_from_slice(&[0; 4]);
        write_origin(buf, origin);
        Self::fields_start(buf, frame_at)
    }

    /// Starts an event whose origin is already encoded (copied from a decoded event), so a
    /// plugin that rewrites an event never re-encodes where it came from.
    pub fn begin_with_raw_origin(buf: &'b mut Vec<u8>, raw_origin: &[u8]) -> Self {
        let frame_at = buf.len();
        buf.extend_from_slice(&[0; 4]);
        append(buf, raw_origin);
        Self::fields_start(buf, frame_at)
    }

    fn fields_start(buf: &'b mut Vec<u8>, frame_at: usize) -> Self {
        let count_at = buf.len();
        buf.extend_from_slice(&[0; 4]);
        EventWriter { buf, frame_at, count_at, count: 0 }
    }

    /// Appends a field. Names must be unique within an event; the writer does not check.
    ///
    /// Inlined with the value's encoding into the caller's loop: in a plugin, each call that
    /// stays a call costs about forty instructions of prologue and epilogue (Cranelift saves
    /// every callee-saved register and checks the stack and the epoch), as much as writing a
    /// short field.
    #[inline(always)]
    pub fn field(&mut self, name: &str, value: &Value<'_>) -> &mut Self {
        write_str(self.buf, name);
        write_value(self.buf, value);
        self.count += 1;
        self
    }

    /// Appends a field whose value is already encoded (tag and payload).
    pub fn raw_field(&mut self, name: &str, raw_value: &[u8]) -> &mut Self {
        write_str(self.buf, name);
        append(self.buf, raw_value);
        self.count += 1;
        self
    }

    /// Completes the frame: writes the body length and the field count.
    pub fn finish(self) {
        let body_len = frame_len(self.buf.len() - self.frame_at - 4);
        self.buf[self.frame_at..self.frame_at + 4].copy_from_slice(&body_len.to_le_bytes());
        self.buf[self.count_at..self.count_at + 4].copy_from_slice(&self.count.to_le_bytes());
    }
}

/// Lengths are u32 on the wire; an event of 4 GiB cannot occur in a batch (Wasm memories and
/// the host's record limits are far smaller), so saturating is only a guard.
fn frame_len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[inline(always)]
fn write_str(buf: &mut Vec<u8>, s: &str) {
    write_bytes(buf, s.as_bytes());
}

#[inline(always)]
fn write_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    buf.extend_from_slice(&frame_len(b.len()).to_le_bytes());
    append(buf, b);
}

fn write_origin(buf: &mut Vec<u8>, origin: &Origin<'_>) {
    match origin {
        Origin::None => buf.push(origin_tag::NONE),
        Origin::File { path, line } => {
            buf.push(origin_tag::FILE);
            write_str(buf, path);
            buf.extend_from_slice(&line.to_le_bytes());
        }
        Origin::Kafka { topic, partition, offset, key, headers } => {
            buf.push(origin_tag::KAFKA);
            write_str(buf, topic);
            buf.extend_from_slice(&partition.to_le_bytes());
            buf.extend_from_slice(&offset.to_le_bytes());
            match key {
                None => buf.push(0),
                Some(k) => {
                    buf.push(1);
                    write_bytes(buf, k);
                }
            }
            buf.extend_from_slice(&frame_len(headers.len()).to_le_bytes());
            for (name, value) in headers {
                write_str(buf, name);
                write_bytes(buf, value);
            }
        }
    }
}

/// Appends one encoded value (tag and payload). Inlined (see [`EventWriter::field`]) but for
/// the items of an array, which are written out of line.
#[inline(always)]
fn write_value(buf: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Null => buf.push(tag::NULL),
        Value::Bool(b) => buf.extend_from_slice(&[tag::BOOL, u8::from(*b)]),
        Value::Int(i) => {
            buf.push(tag::INT);
            buf.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            buf.push(tag::FLOAT);
            buf.extend_from_slice(&f.to_le_bytes());
        }
        Value::Str(s) => {
            buf.push(tag::STRING);
            write_str(buf, s);
        }
        Value::Timestamp(t) => {
            buf.push(tag::TIMESTAMP);
            buf.extend_from_slice(&t.to_le_bytes());
        }
        Value::Ip(std::net::IpAddr::V4(v4)) => {
            buf.extend_from_slice(&[tag::IP, 4]);
            buf.extend_from_slice(&v4.octets());
        }
        Value::Ip(std::net::IpAddr::V6(v6)) => {
            buf.extend_from_slice(&[tag::IP, 16]);
            buf.extend_from_slice(&v6.octets());
        }
        Value::Array(items) => {
            buf.push(tag::ARRAY);
            buf.extend_from_slice(&frame_len(items.len()).to_le_bytes());
            write_items(buf, items);
        }
    }
}

/// Appends the items of an array (see [`write_value`]).
#[inline(never)]
fn write_items(buf: &mut Vec<u8>, items: &[Value<'_>]) {
    for item in items {
        write_value(buf, item);
    }
}
