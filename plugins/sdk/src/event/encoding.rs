//! A modified [`Event`] on its way back to the host: the fields set or added alone (the
//! contract's update), or the whole event.

use logsift_event::{EventView, EventWriter};

use super::Event;

/// How a modified event went back to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoded {
    /// The whole event.
    Whole,
    /// Only the fields set or added (the contract's `update`).
    Update,
}

impl<'a> Event<'a> {
    /// Appends the event, framed, to `buf`, with the given encoded origin.
    pub(crate) fn encode(&self, buf: &mut Vec<u8>, raw_origin: &[u8]) {
        let mut w = EventWriter::begin_with_raw_origin(buf, raw_origin);
        for (name, slot) in self.slots() {
            slot.write(&mut w, self.name(name));
        }
        w.finish();
    }

    /// Appends what changed, framed, to `buf`: only the fields set or added since the event
    /// came in (an update, merged by the host over the event it sent), or the whole event
    /// when a field was removed or the event is new.
    pub(crate) fn encode_changes(&self, buf: &mut Vec<u8>) -> Encoded {
        let came_in = match &self.view {
            Some(view) if !self.whole.get() => view.len(),
            _ => {
                self.encode(buf, self.raw_origin());
                return Encoded::Whole;
            }
        };
        let mut w = EventWriter::begin_with_raw_origin(buf, &[logsift_event::origin_tag::NONE]);
        if self.fields.get().is_none() {
            // Never decoded: what was set is all there is to send.
            for (name, value) in &self.pending {
                w.field(name, value);
            }
            if !self.shared.is_empty() {
                self.encode_shared(&mut w);
            }
        } else {
            let changed = self.changed.get();
            for (at, (name, slot)) in self.slots().iter().enumerate() {
                if at >= came_in || (at < 64 && changed & (1 << at) != 0) {
                    slot.write(&mut w, self.name(name));
                }
            }
        }
        w.finish();
        Encoded::Update
    }

    /// Appends the shared fields kept aside (out of line: most events have none, and a
    /// parser's loop over its own fields stays as tight as it was).
    #[inline(never)]
    fn encode_shared(&self, w: &mut EventWriter<'_>) {
        for (name, value) in self.shared_fields() {
            w.field(name, value);
        }
    }

    pub(crate) fn raw_origin(&self) -> &'a [u8] {
        self.view.as_ref().map(EventView::raw_origin).unwrap_or(&[logsift_event::origin_tag::NONE])
    }
}
