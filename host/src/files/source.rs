//! [`LineSource`]: records from files and stdin, in the order given, in batches.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use logsift_event::Origin;

use super::json_frame::JsonFrame;
use super::lines::read_line;
use crate::pipeline::InputRecord;
use crate::wasm::DEFAULT_MAX_RECORD_BYTES;

/// What makes one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// A line.
    #[default]
    Lines,
    /// A JSON value, over as many lines as it takes. Text that is not JSON becomes a record
    /// of its own (the parser then says why).
    Json,
}

/// Reads records from files and stdin (`-`), in the order given.
pub struct LineSource {
    pending: std::vec::IntoIter<PathBuf>,
    current: Option<(String, BufReader<Box<dyn Read>>)>,
    framing: Framing,
    json: JsonFrame,
    max_record_bytes: usize,
    line: u64,
    /// Blank lines skipped so far.
    pub blank: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

impl LineSource {
    /// A source over these inputs; `-` is stdin.
    pub fn new(inputs: Vec<PathBuf>) -> Self {
        Self::framed(inputs, Framing::Lines)
    }

    /// A source over these inputs cutting records by `framing`.
    pub fn framed(inputs: Vec<PathBuf>, framing: Framing) -> Self {
        LineSource {
            pending: inputs.into_iter(),
            current: None,
            framing,
            json: JsonFrame::default(),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES as usize,
            line: 0,
            blank: 0,
            bytes: 0,
        }
    }

    /// Keeps no more than `max` bytes of a record (see `limits.max_record_bytes`).
    pub fn with_max_record_bytes(mut self, max: u32) -> Self {
        self.max_record_bytes = max as usize;
        self
    }

    fn open(path: &Path) -> io::Result<(String, BufReader<Box<dyn Read>>)> {
        if path == Path::new("-") {
            return Ok(("-".into(), BufReader::with_capacity(1 << 16, Box::new(io::stdin()))));
        }
        let file = File::open(path).map_err(|e| io::Error::new(e.kind(), format!("cannot open input {path:?}: {e}")))?;
        Ok((path.display().to_string(), BufReader::with_capacity(1 << 16, Box::new(file))))
    }

    /// Up to `max` records; an empty batch means every input is exhausted. A batch ends
    /// early when what has been read so far is used up, so a live stream (`tail -F | …`)
    /// is processed as it comes rather than when `max` lines have piled up.
    pub fn next_batch(&mut self, max: usize) -> io::Result<Vec<InputRecord>> {
        let mut batch = Vec::with_capacity(max);
        let mut buf = Vec::new();
        while batch.len() < max {
            let Some((name, reader)) = &mut self.current else {
                match self.pending.next() {
                    Some(path) => {
                        self.current = Some(Self::open(&path)?);
                        self.line = 0;
                        continue;
                    }
                    None => break,
                }
            };
            if !batch.is_empty() && reader.buffer().is_empty() {
                break;
            }
            let Some(read) = read_line(reader, &mut buf, self.max_record_bytes)? else {
                let name = name.clone();
                self.current = None;
                if let Some((raw, line, cut_from)) = self.json.finish() {
                    batch.push(InputRecord { raw, origin: Origin::File { path: name.into(), line }, cut_from });
                }
                continue;
            };
            self.line += 1;
            self.bytes += read.consumed;
            if buf.iter().all(u8::is_ascii_whitespace) && read.length == buf.len() as u64 {
                self.blank += 1;
                continue;
            }
            let name = name.clone();
            let (raw, line, cut_from) = match self.framing {
                Framing::Lines => (buf.clone(), self.line, (read.length > buf.len() as u64).then_some(read.length)),
                Framing::Json => match self.json.push(&buf, read.length, self.line, self.max_record_bytes) {
                    Some(record) => record,
                    None => continue,
                },
            };
            batch.push(InputRecord { raw, origin: Origin::File { path: name.into(), line }, cut_from });
        }
        Ok(batch)
    }
}
