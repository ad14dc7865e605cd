//! The wasmtime engine logsift uses, together with the thread that advances its epoch.
//!
//! Every plugin call runs with an epoch deadline: the ticker advances the engine's epoch
//! every [`TICK`], and a call whose deadline passes traps with `Interrupt`. This bounds
//! wall-clock time without the per-instruction cost of fuel.
//!
//! The two come as one [`Sandbox`]: every way to compile or load a plugin takes a
//! `&Sandbox`, and a sandbox cannot be made without its ticker running (its constructor is
//! for [`Runtime`](crate::Runtime) alone), so no plugin can be built without a deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, OptLevel};

/// How often the epoch advances: the granularity of plugin deadlines.
pub const TICK: Duration = Duration::from_millis(10);

/// The engine and its running epoch ticker. Cheap to clone; the ticker stops when the last
/// clone is dropped.
#[derive(Clone)]
pub struct Sandbox {
    engine: Engine,
    /// How `engine` was configured: each compile builds an engine of its own from it (see
    /// [`compile`](Self::compile)).
    config: Config,
    /// Whether compiles use every core now.
    on_every_core: Arc<AtomicBool>,
    cache: Arc<super::compile_cache::FunctionCache>,
    /// Compiled components kept across runs, when configured.
    disk: Option<Arc<super::disk_cache::DiskCache>>,
    /// `WASMTIME_PROFILE=perfmap`: compiled code stays on the heap, where perf looks its
    /// functions up in the perf map (it does not for code mapped from a file).
    profiling: bool,
    _ticker: Arc<EpochTicker>,
}

impl Sandbox {
    /// Builds the engine (Cranelift, the component model, epoch interruption) and starts
    /// its ticker. Compilation is single-threaded: a plugin compiles on the thread that loads
    /// it (the reload thread), so a hot reload never takes the workers' cores — except at
    /// start-up, before any worker runs (see [`at_start_up`](Self::at_start_up)).
    pub(crate) fn start(disk: Option<super::disk_cache::DiskCache>) -> anyhow::Result<Sandbox> {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true).cranelift_opt_level(OptLevel::Speed).parallel_compilation(false);
        // Every snapshot's memory gets an image its instances map copy-on-write, whatever its
        // shape. By default wasmtime makes none for a memory over 16 MiB whose range is less
        // than half pages with data, and each instance would copy the data in itself. The
        // image costs nothing for its zeros: they are holes in the sealed file (see `mapped`).
        config.memory_guaranteed_dense_image_size(u64::MAX);
        // A plugin compiled again with the same code (its snapshot after init, a reload with
        // new settings or rules) reuses the machine code of every unchanged function.
        let cache = Arc::new(super::compile_cache::FunctionCache::default());
        config.enable_incremental_compilation(cache.clone()).map_err(|e| anyhow::anyhow!("enabling the compiled-function cache: {e:#}"))?;
        // `WASMTIME_PROFILE=perfmap`: name compiled plugin code in /tmp/perf-<pid>.map so that
        // `perf record`/`perf report` show plugin functions (how the guests were profiled).
        let profiling = std::env::var_os("WASMTIME_PROFILE").is_some_and(|v| v == "perfmap");
        if profiling {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("creating the WebAssembly engine: {e:#}"))?;
        let ticker = EpochTicker::start(&engine).map_err(|e| anyhow::anyhow!("starting the epoch ticker: {e}"))?;
        Ok(Sandbox {
            engine,
            config,
            on_every_core: Arc::new(AtomicBool::new(false)),
            cache,
            disk: disk.map(Arc::new),
            profiling,
            _ticker: Arc::new(ticker),
        })
    }

    /// Function compiles served from the compiled-function cache so far, and compiles that
    /// were not (each function of each compile counts once).
    pub fn compile_cache_counts(&self) -> (u64, u64) {
        self.cache.counts()
    }

    /// Compiles a plugin file's component (instrumented for its snapshot), or reads what an
    /// earlier run compiled of the same bytes from the disk cache when one is configured
    /// (see `disk_cache`): the component, and its functions into the compiled-function
    /// cache, where its snapshot finds them. Says whether it came from the disk cache.
    pub(crate) fn compile_file(&self, wasm: &[u8]) -> wasmtime::Result<(wasmtime::component::Component, bool)> {
        let Some(disk) = self.disk.as_deref().filter(|_| !self.profiling) else { return Ok((self.compile(wasm)?, false)) };
        if let Some(entry) = disk.get(&self.engine, wasm) {
            self.cache.fill(entry.functions);
            match super::mapped::load(&self.engine, &entry.compiled) {
                Ok(component) => return Ok((component, true)),
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "compile cache entry not loadable; the plugin is compiled again"),
            }
        }
        let recording = self.cache.record();
        let compiled = self.precompile(wasm)?;
        let entry = super::disk_cache::Entry { compiled, functions: recording.finish() };
        disk.put(&self.engine, wasm, &entry);
        Ok((super::mapped::load(&self.engine, &entry.compiled)?, false))
    }

    /// Compiles a component (a plugin's snapshot, or a plugin file without the disk cache);
    /// its code and data are mapped from a file (see `mapped`) unless the guests are being
    /// profiled. Snapshots are not kept on disk: a plugin whose `init` seeds hash maps with
    /// random keys snapshots differently every run, and its functions are in the
    /// compiled-function cache already.
    ///
    /// The compiling is done by an engine made for this one compile and dropped after it:
    /// Cranelift keeps the working memory of every compile it ran (its register allocator's
    /// arenas: ~44 MiB after compiling the Sigma corpus) for the next one, for the life of its
    /// engine, and the engine that runs the plugins lives as long as the process. Making an
    /// engine costs well under a millisecond. Which threads compile is not part of what a
    /// compiled component must match to load (wasmtime checks the compiler's flags and the
    /// features), so both settings load into `engine`; every engine made from `config` shares
    /// the function cache.
    pub(crate) fn compile(&self, wasm: &[u8]) -> wasmtime::Result<wasmtime::component::Component> {
        if self.profiling {
            return wasmtime::component::Component::from_binary(&self.engine, wasm);
        }
        super::mapped::load(&self.engine, &self.precompile(wasm)?)
    }

    fn precompile(&self, wasm: &[u8]) -> wasmtime::Result<Vec<u8>> {
        let mut config = self.config.clone();
        config.parallel_compilation(self.on_every_core.load(Ordering::Relaxed));
        Engine::new(&config)?.precompile_component(wasm)
    }

    /// Runs `f` as start-up runs, before any worker does: compiles use every core (the first
    /// generation's plugins and their snapshots compile in about half the time on two
    /// cores). Outside it they use only the calling thread, so that a reload while workers
    /// run never takes their cores. Benchmarks measure start-up's loads through it too.
    pub fn at_start_up<R>(&self, f: impl FnOnce() -> R) -> R {
        /// Compiles use one thread again when `f` returns or unwinds.
        struct Reset<'a>(&'a AtomicBool);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Relaxed);
            }
        }
        self.on_every_core.store(true, Ordering::Relaxed);
        let _reset = Reset(&self.on_every_core);
        f()
    }

    /// The engine, for the sandbox's own modules.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// Advances an engine's epoch every [`TICK`] until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = engine.weak();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new().name("logsift-epoch".into()).spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })?;
        Ok(EpochTicker { stop, thread: Some(thread) })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
