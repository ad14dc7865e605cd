//! Updates: an event rebuilt from another with some fields set over it, copied as encoded.
//! A plugin that changes a few fields of an event returns only those fields (the contract's
//! `update` action); the host and the SDK's tests merge them here, the same way.
//!
//! A merge also says where each field of the event it writes lies ([`FieldAt`]): the host
//! keeps that beside the event, and the next stage's merge over it looks up the few names it
//! sets instead of walking every field again (the walk is what a hop spent most on).

use std::collections::HashMap;

use smallvec::SmallVec;

use crate::{DecodeError, EventView, NameLengths, offset_in};

/// Up to this many fields an update is searched as a list; beyond, through a map once this
/// many of the base's fields have been looked up in the list, so that the merge stays linear
/// however many fields the event and the update have (an event parsed from a hostile JSON
/// record can have hundreds of thousands).
const LIST_SEARCH: usize = 16;

/// Where one field of an encoded event lies in its field section (the bytes after the field
/// count), with a key of its name. Made by [`write_update_indexed`] for the event it writes,
/// from the same bytes; only meaningful beside that event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAt {
    key: u64,
    at: u32,
    len: u32,
}

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
    write_update_indexed(buf, base, None, update, &mut Vec::new())
}

/// [`write_update`], also appending to `index` where each field of the event written lies.
/// `known`, when given, must be what an earlier merge appended for `base` (the host keeps it
/// beside the event): the replaced fields are then found by their names' keys, without
/// walking `base`. Both ways write the same bytes and the same index. On an error `buf` and
/// `index` are left as they were.
pub fn write_update_indexed(
    buf: &mut Vec<u8>,
    base: &EventView<'_>,
    known: Option<&[FieldAt]>,
    update: &EventView<'_>,
    index: &mut Vec<FieldAt>,
) -> Result<(), DecodeError> {
    let (start, index_start) = (buf.len(), index.len());
    let result = write(buf, base, known, update, index);
    if result.is_err() {
        buf.truncate(start);
        index.truncate(index_start);
    }
    result
}

/// A field of the update: its name, the field as encoded, and whether it replaced one of the
/// base's.
type Change<'a> = (&'a [u8], &'a [u8], bool);

fn write(
    buf: &mut Vec<u8>,
    base: &EventView<'_>,
    known: Option<&[FieldAt]>,
    update: &EventView<'_>,
    index: &mut Vec<FieldAt>,
) -> Result<(), DecodeError> {
    // An update usually carries a few fields: a list beats a map, up to a point, and up to
    // that point it is held inline (no allocation per update). Made empty and grown only
    // past that point: `with_capacity` builds the inline list elsewhere and copies all of
    // it (640 bytes) into place, on every update.
    let mut changes: SmallVec<[Change<'_>; LIST_SEARCH]> = SmallVec::new();
    if update.len() > LIST_SEARCH {
        changes.reserve_exact(update.len().min(64));
    }
    for field in update.field_spans() {
        let (name, span) = field?;
        changes.push((name, span, false));
    }
    // The merged event is at most the base and the update together: one reservation, not
    // a reallocation and copy each time the buffer fills (a parser's update is most of it).
    buf.reserve(8 + base.raw_origin().len() + base.raw_fields().len() + update.raw_fields().len());
    let frame_at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    buf.extend_from_slice(base.raw_origin());
    let count_at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    let mut count = match known {
        Some(known) if changes.len() <= LIST_SEARCH => merge_known(buf, base.raw_fields(), known, &mut changes, index),
        _ => merge_walking(buf, base, &mut changes, index)?,
    };
    let fields_at = count_at + 4;
    // The fields added follow in the update's order; those that lie side by side in it (all
    // of them, for a parser's fields over a raw record) are copied in one piece.
    let raw = update.raw_fields();
    let mut run = 0..0;
    for (name, span, _) in changes.iter().filter(|(_, _, used)| !*used) {
        let at = offset_in(raw, span);
        if at != run.end {
            buf.extend_from_slice(&raw[run]);
            run = at..at;
        }
        index.push(FieldAt { key: name_key(name), at: offset(buf.len() + run.len() - fields_at), len: offset(span.len()) });
        run.end = at + span.len();
        count += 1;
    }
    buf.extend_from_slice(&raw[run]);
    let body_len = u32::try_from(buf.len() - frame_at - 4).unwrap_or(u32::MAX);
    buf[frame_at..frame_at + 4].copy_from_slice(&body_len.to_le_bytes());
    buf[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
    Ok(())
}

/// Writes `base`'s fields, replaced where a change names them, walking every field (the
/// base's index is not known); marks the changes used. Returns how many fields it wrote.
fn merge_walking(
    buf: &mut Vec<u8>,
    base: &EventView<'_>,
    changes: &mut [Change<'_>],
    index: &mut Vec<FieldAt>,
) -> Result<u32, DecodeError> {
    // A few base fields are looked up in the list; the map is made only if more are (a
    // parser's update over a record with no or few fields, the usual case, never hashes).
    let mut lookup: Option<HashMap<&[u8], usize>> = None;
    let mut searches = 0;
    // The lengths of the update's names: a base field whose name has none of them (nearly
    // every field) is passed over with one test, never compared or hashed.
    let lengths = NameLengths::of(changes.iter().map(|(name, _, _)| name));
    let fields_at = buf.len();
    let mut count: u32 = 0;
    // Runs of the base's fields that stay are copied in one piece each.
    let raw = base.raw_fields();
    let (mut run_start, mut at) = (0, 0);
    for field in base.field_spans() {
        let (name, span) = field?;
        let found = if !lengths.may_hold(name) {
            None
        } else {
            searches += 1;
            if changes.len() > LIST_SEARCH && searches > LIST_SEARCH {
                let lookup = lookup.get_or_insert_with(|| changes.iter().enumerate().map(|(i, (name, _, _))| (*name, i)).collect());
                lookup.get(name).copied()
            } else {
                changes.iter().position(|(n, _, _)| *n == name)
            }
        };
        let key = name_key(name);
        match found.map(|i| &mut changes[i]) {
            Some((_, new, used)) => {
                buf.extend_from_slice(&raw[run_start..at]);
                index.push(FieldAt { key, at: offset(buf.len() - fields_at), len: offset(new.len()) });
                buf.extend_from_slice(new);
                *used = true;
                run_start = at + span.len();
            }
            None => index.push(FieldAt { key, at: offset(buf.len() - fields_at + at - run_start), len: offset(span.len()) }),
        }
        at += span.len();
        count += 1;
    }
    buf.extend_from_slice(&raw[run_start..at]);
    Ok(count)
}

/// Writes the fields of a base whose index is `known`, replaced where a change names them,
/// finding those by their names' keys; marks the changes used. Returns how many fields it
/// wrote. As [`merge_walking`] does, the first change of a name replaces every base field of
/// that name, and a later change of the same name is added after.
fn merge_known(buf: &mut Vec<u8>, raw: &[u8], known: &[FieldAt], changes: &mut [Change<'_>], index: &mut Vec<FieldAt>) -> u32 {
    // (base field, change) pairs, in the base's order.
    let mut replaced: SmallVec<[(usize, usize); LIST_SEARCH]> = SmallVec::new();
    for c in 0..changes.len() {
        let name = changes[c].0;
        if changes[..c].iter().any(|(earlier, _, _)| *earlier == name) {
            continue;
        }
        let key = name_key(name);
        for (f, field) in known.iter().enumerate() {
            if field.key == key && name_at(raw, field) == Some(name) {
                replaced.push((f, c));
                changes[c].2 = true;
            }
        }
    }
    replaced.sort_unstable();
    let fields_at = buf.len();
    let (mut run_start, mut next) = (0, 0);
    for &(f, c) in &replaced {
        let field = known[f];
        let (at, new) = (field.at as usize, changes[c].1);
        shifted(index, &known[next..f], buf.len() - fields_at, run_start);
        buf.extend_from_slice(&raw[run_start..at]);
        index.push(FieldAt { key: field.key, at: offset(buf.len() - fields_at), len: offset(new.len()) });
        buf.extend_from_slice(new);
        (run_start, next) = (at + field.len as usize, f + 1);
    }
    shifted(index, &known[next..], buf.len() - fields_at, run_start);
    buf.extend_from_slice(&raw[run_start..]);
    u32::try_from(known.len()).unwrap_or(u32::MAX)
}

/// Appends the entries of a run of fields copied from `run_start` of the base to `written` of
/// the output.
fn shifted(index: &mut Vec<FieldAt>, run: &[FieldAt], written: usize, run_start: usize) {
    // Offsets within one event fit in a u32, so the wrapping difference moves them right.
    match offset(written).wrapping_sub(offset(run_start)) {
        // Nothing before the run changed size (a value set to one of the same length, or
        // only fields added): the entries are copied as they are.
        0 => index.extend_from_slice(run),
        delta => index.extend(run.iter().map(|f| FieldAt { at: f.at.wrapping_add(delta), ..*f })),
    }
}

/// The name of the field an entry points at, if the entry lies within `raw`.
fn name_at<'a>(raw: &'a [u8], field: &FieldAt) -> Option<&'a [u8]> {
    let at = field.at as usize;
    let len = u32::from_le_bytes(raw.get(at..at + 4)?.try_into().ok()?) as usize;
    raw.get(at + 4..(at + 4).checked_add(len)?)
}

/// An offset within one event (events are framed with a u32 length, so it fits).
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A key of a name: its last eight bytes and its length. Equal names have equal keys; the
/// few unequal names that share one are told apart by comparing their bytes.
#[inline(always)]
fn name_key(name: &[u8]) -> u64 {
    let n = name.len();
    let mut tail = [0u8; 8];
    let take = n.min(8);
    tail[..take].copy_from_slice(&name[n - take..]);
    u64::from_le_bytes(tail) ^ (n as u64).rotate_right(8)
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

    /// A small deterministic generator of fields: names that share their last eight bytes and
    /// length (`a.hostname`, `b.hostname`), repeat within an event, and values whose encoded
    /// size changes when replaced.
    fn fields(seed: &mut u64, n: usize) -> Vec<(String, Value<'static>)> {
        const NAMES: [&str; 8] = ["a.hostname", "b.hostname", "x", "source.ip", "labels.hop", "c.hostname", "event.original", "tag"];
        (0..n)
            .map(|_| {
                *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let pick = (*seed >> 33) as usize;
                let value = match pick % 3 {
                    0 => Value::Int(pick as i64),
                    1 => Value::from("v".repeat(pick % 40)),
                    _ => Value::Array(vec![Value::from("t"); pick % 4]),
                };
                (NAMES[(pick / 3) % NAMES.len()].to_owned(), value)
            })
            .collect()
    }

    fn encode_owned(fields: &[(String, Value<'_>)]) -> Vec<u8> {
        let borrowed: Vec<(&str, Value<'_>)> = fields.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        encoded(&Origin::File { path: "f".into(), line: 1 }, &borrowed)
    }

    #[test]
    fn a_merge_over_a_known_index_writes_what_a_walk_writes() {
        let mut seed = 7;
        for round in 0..2_000 {
            let base = encode_owned(&fields(&mut seed, round % 12));
            // A first merge walks the base and says where the fields of what it wrote lie.
            let first = encode_owned(&fields(&mut seed, round % 5));
            let (mut merged, mut known) = (Vec::new(), Vec::new());
            write_update_indexed(&mut merged, &view(&base), None, &view(&first), &mut known).expect("merged");
            // The next merge, over that event, with its index and without: the same bytes,
            // the same index, and the same bytes as the plain merge.
            let second = encode_owned(&fields(&mut seed, round % 7));
            let (mut walked, mut walked_index) = (Vec::new(), Vec::new());
            write_update_indexed(&mut walked, &view(&merged), None, &view(&second), &mut walked_index).expect("walked");
            let (mut looked_up, mut looked_up_index) = (vec![1, 2, 3], vec![]);
            write_update_indexed(&mut looked_up, &view(&merged), Some(&known), &view(&second), &mut looked_up_index).expect("looked up");
            assert_eq!(&looked_up[3..], walked, "round {round}: bytes");
            assert_eq!(looked_up_index, walked_index, "round {round}: index");
            let mut plain = Vec::new();
            write_update(&mut plain, &view(&merged), &view(&second)).expect("plain");
            assert_eq!(plain, walked, "round {round}: plain merge");
            // Every entry points at its field, by name.
            let out = view(&walked);
            let spans: Vec<(&[u8], &[u8])> = out.field_spans().map(|f| f.expect("field")).collect();
            assert_eq!(spans.len(), walked_index.len(), "round {round}: one entry per field");
            for ((name, span), entry) in spans.iter().zip(&walked_index) {
                assert_eq!(name_at(out.raw_fields(), entry), Some(*name), "round {round}");
                assert_eq!(entry.len as usize, span.len(), "round {round}");
                assert_eq!(entry.key, name_key(name), "round {round}");
            }
        }
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
