//! `|base64offset|contains` as the Sigma specification means it. SigmaHQ's rules find
//! encoded command lines this way: the value is base64-encoded at each of the three byte
//! offsets it can have in the encoded text, and of each encoding only the characters that
//! depend on the value alone are kept — not the first ones (they carry bits of the bytes
//! before) nor the last ones (bits of the bytes after). rsigma 0.23 keeps the last
//! character, so it finds a value only at the end of an encoded string; rules are
//! rewritten before they are compiled: such an item becomes `|contains|cased` over the
//! three patterns. (Base64 is case-sensitive.) An item that also has `|all` is left to
//! rsigma, since "any of three patterns for each of all values" is not one item.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsigma_parser::{Detection, DetectionItem, Modifier, SigmaRule, SigmaString, SigmaValue};

/// The three patterns for `value`'s bytes.
pub fn patterns(value: &[u8]) -> Vec<String> {
    // Characters to drop at the start, by offset; at the end, by (length + offset) % 3.
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .filter_map(|offset| {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(value);
            let encoded = STANDARD.encode(&bytes);
            let end = encoded.len().checked_sub(END[(value.len() + offset) % 3])?;
            encoded.get(START[offset]..end).filter(|p| !p.is_empty()).map(str::to_owned)
        })
        .collect()
}

/// The bytes a value stands for under the item's encoding modifiers.
fn encode(text: &str, modifiers: &[Modifier]) -> Vec<u8> {
    let units = || text.encode_utf16();
    if modifiers.contains(&Modifier::Wide) {
        units().flat_map(u16::to_le_bytes).collect()
    } else if modifiers.contains(&Modifier::Utf16be) {
        units().flat_map(u16::to_be_bytes).collect()
    } else if modifiers.contains(&Modifier::Utf16) {
        [0xFF, 0xFE].into_iter().chain(units().flat_map(u16::to_le_bytes)).collect()
    } else {
        text.as_bytes().to_vec()
    }
}

fn rewrite_item(item: &mut DetectionItem) {
    let modifiers = &item.field.modifiers;
    if !modifiers.contains(&Modifier::Base64Offset) || modifiers.contains(&Modifier::All) {
        return;
    }
    let mut values = Vec::new();
    for value in &item.values {
        let SigmaValue::String(s) = value else { return };
        let Some(text) = s.as_plain() else { return };
        values.extend(patterns(&encode(&text, modifiers)).iter().map(|p| SigmaValue::String(SigmaString::from_raw(p))));
    }
    item.values = values;
    item.field.modifiers = vec![Modifier::Contains, Modifier::Cased];
}

fn rewrite_detection(detection: &mut Detection) {
    match detection {
        Detection::AllOf(items) => items.iter_mut().for_each(rewrite_item),
        Detection::AnyOf(detections) | Detection::And(detections) => detections.iter_mut().for_each(rewrite_detection),
        Detection::ArrayMatch { body, .. } => rewrite_detection(body),
        Detection::Conditional { named, .. } => named.values_mut().for_each(rewrite_detection),
        Detection::Keywords(_) => {}
    }
}

/// Rewrites every `|base64offset` item of `rule`.
pub fn rewrite(rule: &mut SigmaRule) {
    rule.detection.named.values_mut().for_each(rewrite_detection);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_keep_only_what_the_value_alone_decides() {
        // The specification's example: `/bin/bash` at offsets 0, 1 and 2.
        assert_eq!(patterns(b"/bin/bash"), ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]);
        // Each is found wherever the value sits in an encoded string.
        for prefix in ["", "x", "xy", "echo ", "curl http://a/ | "] {
            let encoded = STANDARD.encode(format!("{prefix}/bin/bash -c id"));
            assert!(patterns(b"/bin/bash").iter().any(|p| encoded.contains(p.as_str())), "{prefix:?}: {encoded}");
        }
    }
}
