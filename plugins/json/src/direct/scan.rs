//! Finding where plain text in a JSON string ends: at `"`, `\` or a control byte (below
//! `0x20`, which JSON allows only escaped). The line is read a block at a time: sixteen
//! bytes compared at once with wasm SIMD where the plugin is built with it, else eight
//! bytes in a `u64`.

/// Whether `b` ends a run of plain text.
pub(super) fn is_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The first special byte at or after `from`, a block at a time.
pub(super) fn find_special(bytes: &[u8], mut from: usize) -> Option<usize> {
    while let Some(block) = bytes.get(from..from + BLOCK).and_then(|b| <&[u8; BLOCK]>::try_from(b).ok()) {
        if let Some(at) = first_special(block) {
            return Some(from + at);
        }
        from += BLOCK;
    }
    bytes.get(from..)?.iter().position(|&b| is_special(b)).map(|at| from + at)
}

pub(super) use block::{BLOCK, first_special};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod block {
    use core::arch::wasm32::{u8x16, u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_splat, v128_or};

    /// Bytes compared at once.
    pub(crate) const BLOCK: usize = 16;

    /// Where the first special byte of `b` is, if it has one.
    pub(crate) fn first_special(b: &[u8; BLOCK]) -> Option<usize> {
        let v = u8x16(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        let quote = u8x16_eq(v, u8x16_splat(b'"'));
        let backslash = u8x16_eq(v, u8x16_splat(b'\\'));
        let control = u8x16_lt(v, u8x16_splat(0x20));
        let found = u8x16_bitmask(v128_or(v128_or(quote, backslash), control));
        (found != 0).then(|| found.trailing_zeros() as usize)
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod block {
    /// Bytes compared at once.
    pub(crate) const BLOCK: usize = 8;

    /// Where the first special byte of `b` is, if it has one.
    pub(crate) fn first_special(b: &[u8; BLOCK]) -> Option<usize> {
        const ONES: u64 = u64::MAX / 255;
        let word = u64::from_le_bytes(*b);
        // A byte of `x` is zero (below `n`) where `x - 0x01…` (`x - n…`) borrows into a high
        // bit that `x` lacks; the lowest such bit is exact, higher ones may be false.
        let zero = |x: u64| x.wrapping_sub(ONES) & !x;
        let below_space = word.wrapping_sub(ONES * 0x20) & !word;
        let found = (zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\'))) | below_space) & ONES << 7;
        (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_special_byte_is_found_in_every_position_and_no_other_byte_is() {
        let plain: Vec<u8> = (0x20..=0xFF).filter(|&b| !is_special(b)).collect();
        for special in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
            for at in 0..40 {
                let mut line: Vec<u8> = plain.iter().cycle().take(40).copied().collect();
                line[at] = special;
                if at + 1 < line.len() {
                    line[at + 1] = b'"';
                }
                assert_eq!(find_special(&line, 0), Some(at), "{special:#x} at {at}");
            }
        }
        assert_eq!(find_special(&plain, 0), None);
        assert_eq!(find_special(b"ab", 3), None);
    }
}
