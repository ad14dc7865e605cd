//! Appending bytes to a buffer without a call out of the sandbox for short runs.
//!
//! In a plugin, a copy of any length compiles to `memory.copy`, which wasmtime runs as a call
//! into the host: some fifty instructions and a trip through a trampoline, whatever the
//! length. Encoding an event copies each name and string value, most of them a few dozen
//! bytes, so a copy of fixed size (inlined loads and stores) is taken for short runs there.
//! Natively `memcpy` is cheap at every length and is always used.

/// Runs up to this long are copied in fixed-size pieces inside a plugin.
const SHORT: usize = 64;

/// Appends `bytes` to `buf`.
#[inline(always)]
pub fn append(buf: &mut Vec<u8>, bytes: &[u8]) {
    if cfg!(target_arch = "wasm32") && bytes.len() <= SHORT {
        append_short(buf, bytes);
    } else {
        buf.extend_from_slice(bytes);
    }
}

/// Appends `bytes` as pieces of 16, then one each of 8, 4, 2 and 1 bytes as the length
/// needs: every piece a copy of fixed size.
#[inline(always)]
fn append_short(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.reserve(bytes.len());
    let mut blocks = bytes.chunks_exact(16);
    for block in &mut blocks {
        piece::<16>(buf, block);
    }
    let rest = blocks.remainder();
    let (eight, rest) = rest.split_at(rest.len() & 8);
    piece::<8>(buf, eight);
    let (four, rest) = rest.split_at(rest.len() & 4);
    piece::<4>(buf, four);
    let (two, rest) = rest.split_at(rest.len() & 2);
    piece::<2>(buf, two);
    piece::<1>(buf, rest);
}

/// Appends `bytes` if it is exactly `N` long (a copy of fixed size); nothing otherwise.
#[inline(always)]
fn piece<const N: usize>(buf: &mut Vec<u8>, bytes: &[u8]) {
    if let Ok(piece) = <&[u8; N]>::try_from(bytes) {
        buf.extend_from_slice(piece);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_is_appended_whole_and_in_order() {
        let source: Vec<u8> = (0..=200u8).collect();
        for len in 0..=source.len() {
            let mut buf = vec![7];
            append(&mut buf, &source[..len]);
            let mut short = vec![7];
            if len <= SHORT {
                append_short(&mut short, &source[..len]);
                assert_eq!(short[1..], source[..len], "short copy of {len}");
            }
            assert_eq!(buf[0], 7);
            assert_eq!(buf[1..], source[..len], "length {len}");
        }
    }
}
