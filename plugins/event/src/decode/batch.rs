//! Walking a framed batch: one [`EventView`] per event, stopping at the first broken frame.

use super::reader::Reader;
use super::{DecodeError, EventView};

/// A framed batch of events: iterate it to get one [`EventView`] per event, in order.
#[derive(Clone)]
pub struct Batch<'a> {
    pub(super) reader: Reader<'a>,
}

impl<'a> Batch<'a> {
    /// Walks the given buffer (a concatenation of framed events).
    pub fn new(buf: &'a [u8]) -> Self {
        Batch { reader: Reader { buf, pos: 0, base: 0 } }
    }
}

impl<'a> Iterator for Batch<'a> {
    type Item = Result<EventView<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.reader.pos >= self.reader.buf.len() {
            return None;
        }
        let start = self.reader.pos;
        let result = self.reader.bytes("truncated event frame").and_then(|body| {
            EventView::parse_at(body, self.reader.base + start + 4).map(|mut view| {
                view.frame = &self.reader.buf[start..self.reader.pos];
                view
            })
        });
        if result.is_err() {
            // A broken frame makes the rest of the batch unreadable: stop after reporting it.
            self.reader.pos = self.reader.buf.len();
        }
        Some(result)
    }
}
