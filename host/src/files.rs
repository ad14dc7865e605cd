//! The embedded default: lines from files or stdin in, JSON lines out.
//!
//! [`LineSource`] reads the inputs in order and hands out batches of records, each with its
//! file and line number: a record per line, or (with [`Framing::Json`]) a record per JSON
//! value, which may span lines (pretty-printed objects, several per file). [`JsonLinesSink`] writes each output's records as JSON lines,
//! to that output's file or, interleaved, to one shared stream where every record of an
//! output other than `events` carries an `output` field. Blank lines are not records; they
//! are counted.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use logsift_event::Origin;
use serde_json::{Map, Value as Json};

use crate::config::OutputConfig;
use crate::pipeline::{ChainOutput, EVENTS, InputRecord};
use crate::render::Renderer;

/// What makes one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// A line.
    #[default]
    Lines,
    /// A JSON value, over as many lines as it takes. Text that is not JSON becomes a record
    /// of its own once it cannot be completed (the parser then says why).
    Json,
}

/// Reads records from files and stdin (`-`), in the order given.
pub struct LineSource {
    pending: std::vec::IntoIter<PathBuf>,
    current: Option<(String, BufReader<Box<dyn Read>>)>,
    framing: Framing,
    /// A JSON value read so far, and the line it starts on.
    partial: Vec<u8>,
    partial_line: u64,
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
            partial: Vec::new(),
            partial_line: 0,
            line: 0,
            blank: 0,
            bytes: 0,
        }
    }

    /// Adds a line to the JSON value being read; returns the value once complete (or once
    /// it cannot become valid JSON), with the line it starts on.
    fn frame_json(&mut self, line: &[u8]) -> Option<(Vec<u8>, u64)> {
        if self.partial.is_empty() {
            self.partial_line = self.line;
        } else {
            self.partial.push(b'\n');
        }
        self.partial.extend_from_slice(line);
        match serde_json::from_slice::<serde::de::IgnoredAny>(&self.partial) {
            Err(e) if e.is_eof() => None,
            _ => Some((std::mem::take(&mut self.partial), self.partial_line)),
        }
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
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf)?;
            if n == 0 {
                let name = name.clone();
                self.current = None;
                if !self.partial.is_empty() {
                    let raw = std::mem::take(&mut self.partial);
                    batch.push(InputRecord { raw, origin: Origin::File { path: name.into(), line: self.partial_line } });
                }
                continue;
            }
            self.line += 1;
            self.bytes += n as u64;
            while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                buf.pop();
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                self.blank += 1;
                continue;
            }
            let name = name.clone();
            let (raw, line) = match self.framing {
                Framing::Lines => (buf.clone(), self.line),
                Framing::Json => match self.frame_json(&buf) {
                    Some(record) => record,
                    None => continue,
                },
            };
            batch.push(InputRecord { raw, origin: Origin::File { path: name.into(), line } });
        }
        Ok(batch)
    }
}

/// Writes output records as JSON lines.
pub struct JsonLinesSink<W: Write> {
    renderer: Renderer,
    shared: W,
    files: BTreeMap<String, BufWriter<File>>,
    /// Records written per output.
    pub counts: BTreeMap<String, u64>,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink writing to `shared` except for outputs configured with a file.
    pub fn new(renderer: Renderer, shared: W, outputs: &BTreeMap<String, OutputConfig>) -> io::Result<Self> {
        let mut files = BTreeMap::new();
        for (name, config) in outputs {
            if let Some(path) = &config.file {
                let file = File::options()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| io::Error::new(e.kind(), format!("cannot open output file {path:?} for {name}: {e}")))?;
                files.insert(name.clone(), BufWriter::new(file));
            }
        }
        Ok(JsonLinesSink { renderer, shared, files, counts: BTreeMap::new() })
    }

    fn write(&mut self, output: &str, mut map: Map<String, Json>) -> io::Result<()> {
        *self.counts.entry(output.to_owned()).or_default() += 1;
        let target: &mut dyn Write = match self.files.get_mut(output) {
            Some(file) => file,
            None => {
                if output != EVENTS {
                    map.insert("output".into(), Json::from(output));
                }
                &mut self.shared
            }
        };
        serde_json::to_writer(&mut *target, &map)?;
        target.write_all(b"\n")
    }

    /// Writes everything one batch became.
    pub fn write_batch(&mut self, inputs: &[InputRecord], out: &ChainOutput) -> io::Result<()> {
        for item in out.items() {
            let map = self.renderer.item(&item, inputs).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.write(item.output, map)?;
        }
        Ok(())
    }

    /// Flushes every target.
    pub fn flush(&mut self) -> io::Result<()> {
        self.shared.flush()?;
        for file in self.files.values_mut() {
            file.flush()?;
        }
        Ok(())
    }
}
