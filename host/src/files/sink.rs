//! [`JsonLinesSink`]: output records as JSON lines, to an output's own file or to one shared
//! stream (where records of outputs other than `events` carry an `output` field).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::config::OutputConfig;
use crate::pipeline::{ChainOutput, EVENTS, InputRecord};
use crate::render::Renderer;

/// Writes output records as JSON lines.
pub struct JsonLinesSink<W: Write> {
    renderer: Renderer,
    shared: W,
    files: BTreeMap<String, BufWriter<File>>,
    /// The buffer a record is rendered into, reused.
    line: Vec<u8>,
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
        Ok(JsonLinesSink { renderer, shared, files, line: Vec::new(), counts: BTreeMap::new() })
    }

    /// Writes everything one batch became.
    pub fn write_batch(&mut self, inputs: &[InputRecord], out: &ChainOutput) -> io::Result<()> {
        for item in out.items() {
            let output = item.output;
            if let Some(count) = self.counts.get_mut(output) {
                *count += 1;
            } else {
                self.counts.insert(output.to_owned(), 1);
            }
            let file = self.files.get_mut(output);
            // On the shared stream, records of outputs other than `events` say which they are.
            let marker = (file.is_none() && output != EVENTS).then_some(("output", output));
            self.line.clear();
            self.renderer.write(&item, inputs, marker, &mut self.line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.line.push(b'\n');
            match file {
                Some(file) => file.write_all(&self.line)?,
                None => self.shared.write_all(&self.line)?,
            }
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
