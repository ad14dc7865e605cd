//! Updates: an event rebuilt from another with some fields set over it, copied as encoded.
//! A plugin that changes a few fields of an event returns only those fields (the contract's
//! `update` action); the host and the SDK's tests merge them here, the same way.

use std::collections::HashMap;

use smallvec::SmallVec;

use crate::{DecodeError, EventView};

/// Up to this many fields an update is searched as a list; beyond, through a map, so that the
/// merge stays linear however many fields the event and the update have (an event parsed from
/// a hostile JSON record can have hundreds of thousands).
const LIST_SEARCH: usize = 16;

/// Appends to `buf` a framed event: `base`'s origin and fields, each field that `update`
/// also has replaced in place by `update`'s, then `update`'s other fields in their order.
/// Fields are copied as encoded, never decoded to values, and strings are not checked for
/// UTF-8 here: [`EventView::validate`] an update from a plugin first (the host does). On a
/// malformed `update` (or `base`), `buf` is left as it was and the error says where.
///
/// ```
/// use logsift_event::{Batch, EventWriter, Origin, Value, write_update};
/// let mut base = Vec::new();
/// let mut w = EventWriter::begin(&mut base, &Origin::None);
/// w.field("a", &Value::Int(1)).field("b", &Value::Int(2));
/// w.finish();
/// let mut update = Vec::new();
/// let mut w = EventWriter::begin(&mut update, &Origin::None);
/// w.field("c", &Value::Int(4)).field("a", &Value::Int(3));
/// w.finish();
/// let (base, update) = (Batch::new(&base).next().unwrap().unwrap(), Batch::new(&update).next().unwrap().unwrap());
/// let mut out = Vec::new();
/// write_update(&mut out, &base, &update).unwrap();
/// let merged = Batch::new(&out).next().unwrap().unwrap();
/// let fields = merged.decode_all().unwrap();
/// assert_eq!(fields, [("a", Value::Int(3)), ("b", Value::Int(2)), ("c", Value::Int(4))]);
/// ```
pub fn write_update(buf: &mut Vec<u8>, base: &EventView<'_>, update: &EventView<'_>) -> Result<(), DecodeError> {
    let start = buf.len();
    let result = write(buf, base, update);
    if result.is_err() {
        buf.truncate(start);
    }
    result
}

/// A field of the update: its name, the field as encoded, and whether it replaced one of the
/// base's.
type Change<'a> = (&'a [u8], &'a [u8], bool);

fn write(buf: &mut Vec<u8>, base: &EventView<'_>, update: &EventView<'_>) -> Result<(), DecodeError> {
    // An update usually carries a few fields: a list beats a map, up to a point, and up to
    // that point it is held inline (no allocation per update).
    let mut changes: SmallVec<[Change<'_>; LIST_SEARCH]> = SmallVec::with_capacity(update.len().min(64));
    for field in update.field_spans() {
        let (name, span) = field?;
        changes.push((name, span, false));
    }
    let index: Option<HashMap<&[u8], usize>> =
        (changes.len() > LIST_SEARCH).then(|| changes.iter().enumerate().map(|(i, (name, _, _))| (*name, i)).collect());
    // The lengths of the update's names: a base field whose name has none of them (nearly
    // every field) is passed over with one test, never compared or hashed.
    let lengths = changes.iter().fold(0u64, |set, (name, _, _)| set | length_bit(name));
    let changes = changes.as_mut_slice();
    let frame_at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    buf.extend_from_slice(base.raw_origin());
    let count_at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    let mut count: u32 = 0;
    // Runs of the base's fields that stay are copied in one piece each.
    let raw = base.raw_fields();
    let (mut run_start, mut at) = (0, 0);
    for field in base.field_spans() {
        let (name, span) = field?;
        let found = if lengths & length_bit(name) == 0 {
            None
        } else {
            match &index {
                Some(index) => index.get(name).copied(),
                None => changes.iter().position(|(n, _, _)| *n == name),
            }
        };
        if let Some((_, new, used)) = found.map(|i| &mut changes[i]) {
            buf.extend_from_slice(&raw[run_start..at]);
            buf.extend_from_slice(new);
            *used = true;
            run_start = at + span.len();
        }
        at += span.len();
        count += 1;
    }
    buf.extend_from_slice(&raw[run_start..at]);
    for (_, span, _) in changes.iter().filter(|(_, _, used)| !*used) {
        buf.extend_from_slice(span);
        count += 1;
    }
    let body_len = u32::try_from(buf.len() - frame_at - 4).unwrap_or(u32::MAX);
    buf[frame_at..frame_at + 4].copy_from_slice(&body_len.to_le_bytes());
    buf[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
    Ok(())
}

/// A name's length as one bit of a set (every length from 63 on shares the last bit).
#[inline(always)]
fn length_bit(name: &[u8]) -> u64 {
    1 << name.len().min(63)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Batch, EventWriter, Origin, Value};

    fn encoded(origin: &Origin<'_>, fields: &[(&str, Value<'_>)]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = EventWriter::begin(&mut buf, origin);
        for (name, value) in fields {
            w.field(name, value);
        }
        w.finish();
        buf
    }

    fn view(buf: &[u8]) -> EventView<'_> {
        Batch::new(buf).next().expect("an event").expect("well-formed")
    }

    #[test]
    fn an_update_is_the_full_event_a_plugin_would_have_written() {
        let origin = Origin::File { path: "auth.log".into(), line: 7 };
        let base = encoded(&origin, &[("event.original", Value::from("x")), ("source.ip", Value::from("10.0.0.1"))]);
        let update = encoded(&Origin::None, &[("source.ip", Value::from("10.0.0.2")), ("tags", Value::Array(vec![Value::from("t")]))]);
        let mut out = Vec::new();
        write_update(&mut out, &view(&base), &view(&update)).expect("merged");
        let full = encoded(
            &origin,
            &[("event.original", Value::from("x")), ("source.ip", Value::from("10.0.0.2")), ("tags", Value::Array(vec![Value::from("t")]))],
        );
        assert_eq!(out, full, "byte for byte, with the base's origin");
        // An empty update is the base again.
        let mut same = Vec::new();
        write_update(&mut same, &view(&base), &view(&encoded(&Origin::None, &[]))).expect("merged");
        assert_eq!(same, base);
    }

    #[test]
    fn names_of_any_length_are_found_past_the_length_filter() {
        // Names of 63 bytes and longer share one bit of the filter: each must still be told
        // apart by its bytes, and a name of 64 must not pass for one of 0 or 1.
        let [short, at63, at64, at100, new64] = ["a".into(), "x".repeat(63), "y".repeat(64), "z".repeat(100), "w".repeat(64)];
        let base =
            encoded(&Origin::None, &[(&short, Value::Int(1)), (&at63, Value::Int(2)), (&at64, Value::Int(3)), (&at100, Value::Int(4))]);
        let update = encoded(&Origin::None, &[(&at100, Value::Int(40)), (&new64, Value::Int(5)), (&at64, Value::Int(30))]);
        let mut out = Vec::new();
        write_update(&mut out, &view(&base), &view(&update)).expect("merged");
        let merged = view(&out).decode_all().expect("decodes");
        let expected = [
            (short.as_str(), Value::Int(1)),
            (at63.as_str(), Value::Int(2)),
            (at64.as_str(), Value::Int(30)),
            (at100.as_str(), Value::Int(40)),
            (new64.as_str(), Value::Int(5)),
        ];
        assert_eq!(merged, expected);
    }

    #[test]
    fn large_updates_over_large_events_merge_the_same_way() {
        // 20,000 fields over 20,000: every other one replaced, as many added.
        let base_names: Vec<String> = (0..20_000).map(|i| format!("f{i}")).collect();
        let update_names: Vec<String> = (0..20_000).map(|i| format!("f{}", i * 2)).collect();
        let base: Vec<(&str, Value<'_>)> = base_names.iter().zip(0..).map(|(n, i)| (n.as_str(), Value::Int(i))).collect();
        let update: Vec<(&str, Value<'_>)> = update_names.iter().zip(0..).map(|(n, i)| (n.as_str(), Value::Int(-i))).collect();
        let (base_buf, update_buf) = (encoded(&Origin::None, &base), encoded(&Origin::None, &update));
        let mut out = Vec::new();
        write_update(&mut out, &view(&base_buf), &view(&update_buf)).expect("merged");
        let merged = view(&out).decode_all().expect("decoded");
        assert_eq!(merged.len(), 30_000);
        assert_eq!(merged[2], ("f2", Value::Int(-1)));
        assert_eq!(merged[3], ("f3", Value::Int(3)));
        assert_eq!(merged[29_999], ("f39998", Value::Int(-19_999)));
    }

    #[test]
    fn a_malformed_update_leaves_the_buffer_as_it_was() {
        let base = encoded(&Origin::None, &[("a", Value::Int(1))]);
        let mut update = encoded(&Origin::None, &[("b", Value::from("text"))]);
        let last = update.len() - 1;
        update[last - 4] = 0xff; // the string's length now runs past the event
        // The framing is intact (the view is made); the field is not.
        let bad = EventView::from_frame(&update).expect("framing intact");
        let mut out = vec![9, 9];
        assert!(write_update(&mut out, &view(&base), &bad).is_err());
        assert_eq!(out, [9, 9]);
    }
}
