//! Gives a snapshot's core modules the exports their instrumented form had, so that compiling
//! the snapshot reuses the machine code compiled for the instrumented component.
//!
//! Wizer's instrumentation exports each core module's mutable globals and memories (that is
//! how the snapshot reads them), and its snapshot exports none of them. Wasmtime compiles an
//! access to an exported global or memory differently from one to a private one (a shared
//! alias region instead of the item's own), so every function that touches the stack pointer
//! — every function with a frame — would compile to different code, miss the compiled-function
//! cache and be compiled a second time: about a third of the functions, and the expensive
//! third (the whole-corpus Sigma snapshot: ~5 s). Exporting the same items again under the
//! same names makes the snapshot's functions the instrumented ones, byte for byte.
//!
//! Only exports are added: nothing in the component refers to them, and the items they name
//! are the module's own. The component is walked at the byte level (sections are an id, a
//! LEB128 size and a payload); anything unexpected leaves the snapshot as it was.

use std::borrow::Cow;

/// The section ids used here: a component's core module, a core module's exports.
const CORE_MODULE: u8 = 1;
const EXPORTS: u8 = 7;

/// The export kinds that change how wasmtime compiles accesses: memories and globals.
const MEMORY: u8 = 2;
const GLOBAL: u8 = 3;

/// The export section of each top-level core module of an instrumented component, in
/// module order (`None` for a module without one): what the snapshot's modules get back.
/// Read once per plugin file; a few hundred bytes, where the component is megabytes.
pub(crate) struct InstrumentedExports(Vec<Option<Vec<u8>>>);

impl InstrumentedExports {
    /// Reads them from `instrumented`; none when it cannot be read as expected.
    pub(crate) fn of(instrumented: &[u8]) -> Self {
        let modules = sections(instrumented).unwrap_or_default().into_iter().filter(|s| s.id == CORE_MODULE);
        Self(modules.map(|module| sections(module.payload)?.into_iter().find(|s| s.id == EXPORTS).map(|s| s.payload.to_vec())).collect())
    }
}

/// `snapshot` with each top-level core module exporting the memories and globals its
/// counterpart in the instrumented component (same position) exports; `None` when the
/// components cannot be read as expected or nothing is missing.
///
/// The snapshot is mostly data (the Sigma corpus's: ~50 MiB), so the result is laid out as
/// parts borrowed from it and the few new bytes first, then copied once into a buffer of
/// its exact size.
pub(crate) fn with_instrumented_exports(wanted: &InstrumentedExports, snapshot: &[u8]) -> Option<Vec<u8>> {
    let mut parts = Parts::default();
    parts.borrowed(&snapshot[..8]);
    let mut counterparts = wanted.0.iter();
    let mut changed = false;
    for section in sections(snapshot)? {
        let module = if section.id == CORE_MODULE {
            counterparts.next().and_then(Option::as_deref).and_then(|from| add_exports(from, section.payload))
        } else {
            None
        };
        match module {
            Some(module) => {
                changed = true;
                parts.header(section.id, module.len());
                parts.0.extend(module.0);
            }
            None => parts.section(section.id, section.payload),
        }
    }
    changed.then(|| parts.concat())
}

/// `module`'s parts, exporting also the memories and globals of the export section
/// `from` that it does not.
fn add_exports<'a>(from: &[u8], module: &'a [u8]) -> Option<Parts<'a>> {
    let from_exports = exports(from)?;
    let sections = sections(module)?;
    let own = sections.iter().find(|s| s.id == EXPORTS).map_or(Some(Vec::new()), |s| exports(s.payload))?;
    let missing: Vec<&Export<'_>> = from_exports
        .iter()
        .filter(|e| matches!(e.kind, MEMORY | GLOBAL))
        .filter(|e| !own.iter().any(|o| o.kind == e.kind && o.index == e.index))
        .filter(|e| !own.iter().any(|o| o.name == e.name))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut payload = Vec::new();
    write_leb(&mut payload, u32::try_from(own.len() + missing.len()).ok()?);
    for export in own.iter().chain(missing.iter().copied()) {
        payload.extend_from_slice(export.raw);
    }
    let mut out = Parts::default();
    out.borrowed(&module[..8]);
    let mut payload = Some(payload);
    for section in &sections {
        // The export section replaces the old one, or goes before the first section that
        // follows exports (start, elements, code, data, custom) in a module without one.
        if section.id == EXPORTS || after_exports(section.id) {
            if let Some(exports) = payload.take() {
                out.header(EXPORTS, exports.len());
                out.0.push(Cow::Owned(exports));
            }
            if section.id == EXPORTS {
                continue;
            }
        }
        out.section(section.id, section.payload);
    }
    payload.is_none().then_some(out)
}

/// Bytes to be written one after another: runs of the input, and new bytes.
#[derive(Default)]
struct Parts<'a>(Vec<Cow<'a, [u8]>>);

impl<'a> Parts<'a> {
    fn borrowed(&mut self, bytes: &'a [u8]) {
        self.0.push(Cow::Borrowed(bytes));
    }

    /// A section's id and the LEB128 size of a payload of `len` bytes.
    fn header(&mut self, id: u8, len: usize) {
        let mut header = vec![id];
        write_leb(&mut header, u32::try_from(len).expect("a section fits in 4 GiB"));
        self.0.push(Cow::Owned(header));
    }

    fn section(&mut self, id: u8, payload: &'a [u8]) {
        self.header(id, payload.len());
        self.borrowed(payload);
    }

    fn len(&self) -> usize {
        self.0.iter().map(|part| part.len()).sum()
    }

    fn concat(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for part in &self.0 {
            out.extend_from_slice(part);
        }
        out
    }
}

/// Whether a core module's section comes after the export section: start, elements, data
/// count, code, data.
fn after_exports(id: u8) -> bool {
    matches!(id, 8..=12)
}

/// One section: its id and payload.
struct Section<'a> {
    id: u8,
    payload: &'a [u8],
}

/// The sections after the 8-byte preamble, or `None` if they do not add up.
fn sections(bytes: &[u8]) -> Option<Vec<Section<'_>>> {
    let mut at = 8;
    let mut out = Vec::new();
    while at < bytes.len() {
        let id = *bytes.get(at)?;
        at += 1;
        let size = read_leb(bytes, &mut at)? as usize;
        let payload = bytes.get(at..at.checked_add(size)?)?;
        at += size;
        out.push(Section { id, payload });
    }
    (bytes.len() >= 8).then_some(out)
}

/// One export, with the bytes that encode it.
struct Export<'a> {
    name: &'a [u8],
    kind: u8,
    index: u32,
    raw: &'a [u8],
}

fn exports(payload: &[u8]) -> Option<Vec<Export<'_>>> {
    let mut at = 0;
    let count = read_leb(payload, &mut at)?;
    let mut out = Vec::with_capacity(count.min(1 << 16) as usize);
    for _ in 0..count {
        let start = at;
        let len = read_leb(payload, &mut at)? as usize;
        let name = payload.get(at..at.checked_add(len)?)?;
        at += len;
        let kind = *payload.get(at)?;
        at += 1;
        let index = read_leb(payload, &mut at)?;
        out.push(Export { name, kind, index, raw: &payload[start..at] });
    }
    (at == payload.len()).then_some(out)
}

fn read_leb(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn write_leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
        out.push(id);
        write_leb(out, u32::try_from(payload.len()).expect("a section fits in 4 GiB"));
        out.extend_from_slice(payload);
    }

    /// A core module of the given sections.
    fn module(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut out = b"\0asm\x01\0\0\0".to_vec();
        for (id, payload) in sections {
            push_section(&mut out, *id, payload);
        }
        out
    }

    fn export(name: &str, kind: u8, index: u8) -> Vec<u8> {
        let mut out = vec![name.len() as u8];
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&[kind, index]);
        out
    }

    fn export_section(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![entries.len() as u8];
        entries.iter().for_each(|e| out.extend_from_slice(e));
        out
    }

    fn component(modules: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"\0asm\x0d\0\x01\0".to_vec();
        for m in modules {
            push_section(&mut out, CORE_MODULE, m);
        }
        out
    }

    #[test]
    fn the_snapshot_gets_back_the_memories_and_globals_the_instrumentation_exported() {
        let code = (10u8, vec![0]);
        let instrumented = component(&[module(&[
            (EXPORTS, export_section(&[export("run", 0, 1), export("__wizer_memory_0", MEMORY, 0), export("__wizer_global_0", GLOBAL, 0)])),
            code.clone(),
        ])]);
        let snapshot = component(&[module(&[(EXPORTS, export_section(&[export("run", 0, 1)])), code.clone()])]);
        let rewritten = with_instrumented_exports(&InstrumentedExports::of(&instrumented), &snapshot).expect("exports were missing");
        let expected = component(&[module(&[
            (EXPORTS, export_section(&[export("run", 0, 1), export("__wizer_memory_0", MEMORY, 0), export("__wizer_global_0", GLOBAL, 0)])),
            code,
        ])]);
        assert_eq!(rewritten, expected);
        assert!(with_instrumented_exports(&InstrumentedExports::of(&instrumented), &rewritten).is_none(), "nothing is missing any more");
    }

    #[test]
    fn a_module_without_exports_gets_the_section_in_its_place() {
        let instrumented = component(&[module(&[(EXPORTS, export_section(&[export("m", MEMORY, 0)])), (10, vec![0])])]);
        let snapshot = component(&[module(&[(5, vec![1, 0, 1]), (10, vec![0]), (11, vec![0])])]);
        let rewritten =
            with_instrumented_exports(&InstrumentedExports::of(&instrumented), &snapshot).expect("the memory export was missing");
        let expected =
            component(&[module(&[(5, vec![1, 0, 1]), (EXPORTS, export_section(&[export("m", MEMORY, 0)])), (10, vec![0]), (11, vec![0])])]);
        assert_eq!(rewritten, expected);
    }

    #[test]
    fn functions_and_unreadable_input_change_nothing() {
        let instrumented = component(&[module(&[(EXPORTS, export_section(&[export("extra", 0, 2)]))])]);
        let snapshot = component(&[module(&[(EXPORTS, export_section(&[]))])]);
        assert!(
            with_instrumented_exports(&InstrumentedExports::of(&instrumented), &snapshot).is_none(),
            "only memories and globals are added"
        );
        assert!(
            with_instrumented_exports(&InstrumentedExports::of(&instrumented), &snapshot[..snapshot.len() - 1]).is_none(),
            "a truncated component"
        );
    }
}
