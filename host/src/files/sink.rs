//! [`JsonLinesSink`]: output records as JSON lines, to an output's own file or to one shared
//! stream (where records of outputs other than `events` carry an `output` field).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use serde_json::{Map, Value as Json};

use crate::config::OutputConfig;
use crate::pipeline::{ChainOutput, EVENTS, InputRecord};
use crate::render::Renderer;

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
