//! Reading one line with a bound on what is kept: the bytes past the bound are read and
//! dropped, so a line of any length costs at most the bound in memory, and the caller learns
//! the line's whole length.

use std::io::{self, BufRead};

/// What [`read_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Bytes consumed from the reader, the newline included.
    pub consumed: u64,
    /// The line's length without its line ending, of which at most the bound was kept.
    pub length: u64,
}

/// Reads one line into `buf` (cleared first), keeping at most `max` bytes of it and
/// dropping its line ending (`\n` or `\r\n`). `None` at the end of the input.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Option<Line>> {
    buf.clear();
    let (mut consumed, mut length) = (0u64, 0u64);
    let mut ended = false;
    let mut last = None;
    while !ended {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        let (content, used) = match memchr::memchr(b'\n', available) {
            Some(at) => {
                ended = true;
                (&available[..at], at + 1)
            }
            None => (available, available.len()),
        };
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(&content[..content.len().min(room)]);
        length += content.len() as u64;
        last = content.last().copied().or(last);
        consumed += used as u64;
        reader.consume(used);
    }
    if consumed == 0 {
        return Ok(None);
    }
    if last == Some(b'\r') {
        length -= 1;
        buf.truncate(length.min(buf.len() as u64) as usize);
    }
    Ok(Some(Line { consumed, length }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(Vec<u8>, Line)> {
        let mut reader = io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = read_line(&mut reader, &mut buf, max).expect("read") {
            out.push((buf.clone(), line));
        }
        out
    }

    #[test]
    fn keeps_at_most_the_bound_and_counts_the_whole_line() {
        let out = lines(b"short\r\nthis line is long\nend", 8);
        assert_eq!(out[0], (b"short".to_vec(), Line { consumed: 7, length: 5 }));
        assert_eq!(out[1], (b"this lin".to_vec(), Line { consumed: 18, length: 17 }));
        assert_eq!(out[2], (b"end".to_vec(), Line { consumed: 3, length: 3 }));
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn a_line_without_end_costs_only_the_bound() {
        let endless = vec![b'x'; 100_000];
        let out = lines(&endless, 16);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0.len(), 16);
        assert_eq!(out[0].1.length, 100_000);
    }
}
