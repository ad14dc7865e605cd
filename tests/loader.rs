//! Loading a plugin, as every start and reload does: the snapshot after `init` compiles from
//! the compiled-function cache, and the compiled snapshot is mapped from a file that its
//! instances' memories map too.

mod support;

/// A plugin's snapshot after `init` compiles from the machine code of its instrumented form:
/// the load's second compile is served from the compiled-function cache (before the snapshot
/// kept the instrumentation's exports, a third of its functions — those with a stack frame —
/// were compiled again).
#[test]
fn the_snapshot_after_init_compiles_from_the_compiled_function_cache() {
    let runtime = logsift::Runtime::empty().expect("runtime");
    let sandbox = runtime.sandbox();
    let path = support::plugin("json");
    let bytes = std::fs::read(&path).expect("json.wasm");
    let compiled = logsift::wasm::compile(sandbox, &path, &bytes).expect("compiles");
    let (hits_before, misses_before) = sandbox.compile_cache_counts();
    let plugin = logsift::wasm::LoadedPlugin::from_component(
        sandbox,
        None,
        &path,
        &compiled,
        &serde_json::json!({}),
        logsift::wasm::Limits::default(),
        logsift::tables::Grants::default(),
    )
    .expect("loads");
    assert!(plugin.starts_from_snapshot());
    let (hits, misses) = sandbox.compile_cache_counts();
    let (hits, misses) = (hits - hits_before, misses - misses_before);
    assert!(hits + misses > 100, "the snapshot was compiled: {hits} hits, {misses} misses");
    assert!(misses * 10 <= hits + misses, "at most 10 % of the snapshot's functions compiled again: {misses} of {}", hits + misses);
}

/// A plugin's compiled snapshot is mapped from one sealed memory file, and its instances'
/// memories from the same file: the initialised state (the Sigma corpus: ~85 MiB) is
/// neither copied onto the heap nor into wasmtime's own memfd.
#[cfg(target_os = "linux")]
#[test]
fn an_instance_memory_is_mapped_from_the_compiled_file() {
    let runtime = logsift::Runtime::empty().expect("runtime");
    let path = support::plugin("json");
    let plugin =
        logsift::wasm::LoadedPlugin::load(runtime.sandbox(), None, &path, &serde_json::json!({}), logsift::wasm::Limits::default())
            .expect("loads");
    assert!(plugin.starts_from_snapshot());
    let _instance = plugin.instantiate().expect("instantiates");
    let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
    let from_compiled: Vec<&str> = maps.lines().filter(|l| l.contains("memfd:logsift-compiled") && l.ends_with("(deleted)")).collect();
    assert!(from_compiled.iter().any(|l| l.contains(" r-xp ")), "machine code mapped from the sealed compiled file: {maps}");
    assert!(
        from_compiled.iter().any(|l| l.contains(" rw-p ")),
        "an instance memory mapped copy-on-write from the compiled file: {from_compiled:#?}"
    );
    assert!(!maps.contains("memfd:wasm-memory-image"), "no memfd copy of the memory image: {maps}");
}

/// A snapshot with fewer pages of data than of zeros is mapped copy-on-write like any other.
/// Left to its default, wasmtime makes no memory image of a memory more than 16 MiB whose
/// range holds less than half pages with data: each instance would then copy the data in
/// itself (for a Sigma corpus of that shape, ~50 MiB per worker and per rebuild after a trap).
#[cfg(target_os = "linux")]
#[test]
fn a_sparse_snapshot_is_mapped_copy_on_write_too() {
    let runtime = logsift::Runtime::empty().expect("runtime");
    let plugin = load_faulty(&runtime, serde_json::json!({"init_sparse_mb": 40}));
    let _instance = plugin.instantiate().expect("instantiates");
    let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
    let mapped_mib = |line: &str| {
        let (start, end) = line.split_whitespace().next().and_then(|range| range.split_once('-')).expect("an address range");
        let size = u64::from_str_radix(end, 16).expect("hex") - u64::from_str_radix(start, 16).expect("hex");
        size >> 20
    };
    // Other tests' instances map images of well under a MiB; this one's spans the 40 MiB.
    let image = maps.lines().filter(|l| l.contains("memfd:logsift-compiled") && l.contains(" rw-p ")).map(mapped_mib).max();
    assert!(image.is_some_and(|mib| mib >= 32), "the instance's memory image mapped from the compiled file, MiB: {image:?}");
}

/// The heap an instance starts from is sealed (the SDK, at the end of `init`): the chunks
/// `init` freed are never handed out again, so a record's allocations come from fresh memory
/// past the snapshot instead of dirtying (copying) pages of it all over. Over SigmaHQ's
/// corpus that was ~15 MiB of copied pages per instance after one batch; the figure is the
/// Sigma bench's `sigma.corpus_worker_private_mib`.
#[test]
fn allocations_after_init_come_from_past_the_snapshot_not_from_the_chunks_init_freed() {
    let runtime = logsift::Runtime::empty().expect("runtime");
    let plugin = load_faulty(&runtime, serde_json::json!({"init_holes": 20_000}));
    let mut chain = logsift::pipeline::Chain::new([(plugin, logsift::pipeline::StageOptions::default())]);
    let lines: Vec<String> = (0..300).map(|i| format!("record {i}")).collect();
    let out = chain.process(&support::records("stream", &lines));
    let mut places = std::collections::BTreeMap::new();
    for (_, frame) in out.events.iter() {
        let event = logsift_event::EventView::from_frame(frame).expect("event");
        let place = event.get("labels.faulty_heap").and_then(|v| v.as_str().map(str::to_owned)).expect("labels.faulty_heap");
        *places.entry(place).or_insert(0) += 1;
    }
    assert_eq!(places, [("past-snapshot".to_owned(), 300)].into(), "where each record's allocation landed");
}

/// What `init` freed is zeroed when the heap is sealed, and the snapshot leaves zeroed memory
/// out: 16 MiB that `init` filled and freed cost the snapshot nothing (over SigmaHQ's corpus,
/// the rule texts and parsing temporaries: a quarter of the memory `init` used).
#[test]
fn memory_init_freed_is_not_carried_in_the_snapshot() {
    let runtime = logsift::Runtime::empty().expect("runtime");
    let load =
        |garbage_mb: usize| load_faulty(&runtime, serde_json::json!({"init_garbage_mb": garbage_mb})).snapshot_size().expect("snapshotted");
    let (plain, with_garbage) = (load(0), load(16));
    assert!(with_garbage < plain + (1 << 20), "16 MiB freed in init grew the snapshot from {plain} to {with_garbage} bytes");
}

/// The `faulty` test plugin loaded with `settings`, its instances starting from a snapshot.
fn load_faulty(runtime: &logsift::Runtime, settings: serde_json::Value) -> std::sync::Arc<logsift::wasm::LoadedPlugin> {
    let path = support::plugin("faulty");
    let plugin =
        logsift::wasm::LoadedPlugin::load(runtime.sandbox(), None, &path, &settings, logsift::wasm::Limits::default()).expect("loads");
    assert!(plugin.starts_from_snapshot());
    plugin
}

/// With a compile cache (`compile_cache`), a later run reads a plugin's compiled form from
/// disk, and its snapshot finds its functions there too: the plugin is not compiled again.
/// An entry damaged on disk is compiled again. The plugin works the same every time.
#[test]
fn a_later_run_reads_what_an_earlier_one_compiled_from_the_compile_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("compiled");
    let lines = vec![r#"{"EventID": 4688, "Image": "C:\\Windows\\System32\\cmd.exe", "User": "alice"}"#.to_owned()];
    let inputs = support::records("cache", &lines);
    // A run: a runtime with the cache, json loaded into it and run over the line. Returns
    // the function lookups loading made (hits, misses) and the event it wrote.
    let run = || {
        let mut settings = logsift::Settings::empty();
        settings.compile_cache = Some(cache.clone());
        let runtime = logsift::Runtime::start(settings, None).expect("runtime");
        let json = runtime.load_plugin(&support::plugin("json"), &serde_json::json!({}), logsift::wasm::Limits::default()).expect("json");
        let counts = runtime.sandbox().compile_cache_counts();
        let out = logsift::pipeline::Chain::new([(json, logsift::pipeline::StageOptions::default())]).process(&inputs);
        let events: Vec<Vec<u8>> = out.events.iter().map(|(_, frame)| frame.to_vec()).collect();
        (counts, events)
    };
    let ((hits, misses), events) = run();
    assert!(misses > 100, "the first run compiles the plugin: {hits} hits, {misses} misses");
    assert!(events.len() == 1 && events[0].windows(4).any(|w| w == b"alic"), "parsed: {events:?}");
    let first_lookups = hits + misses;

    let ((hits, misses), again) = run();
    assert_eq!(again, events, "the same event");
    // Only the snapshot was compiled (the plugin's compile is about as many lookups again),
    // from the functions stored with the plugin.
    assert!(
        (hits + misses) * 10 < first_lookups * 6,
        "the plugin file was not compiled again: {} lookups of {first_lookups}",
        hits + misses
    );
    assert!(misses * 10 <= hits + misses, "the snapshot's functions came from the cache: {misses} misses of {}", hits + misses);

    for entry in std::fs::read_dir(&cache).expect("the cache").map(|e| e.expect("entry").path()) {
        if entry.extension().is_some_and(|x| x == "cwasm") {
            let mut bytes = std::fs::read(&entry).expect("entry");
            let middle = bytes.len() / 2;
            bytes[middle] ^= 1;
            std::fs::write(&entry, bytes).expect("damaged");
        }
    }
    let ((hits, misses), damaged) = run();
    assert_eq!(damaged, events, "the same event");
    assert!(misses > 100, "a damaged entry is compiled again: {hits} hits, {misses} misses");

    // A folder others may write to is not used, and does not stop the start.
    std::fs::set_permissions(&cache, std::os::unix::fs::PermissionsExt::from_mode(0o777)).expect("chmod");
    let ((hits, misses), refused) = run();
    assert_eq!(refused, events, "the same event");
    assert!(misses > 100, "compiled, the cache not read: {hits} hits, {misses} misses");
}
