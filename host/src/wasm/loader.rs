//! Loading a plugin: read the file, check it is a component, compile it, link it against
//! the `plugin` world and WASI, and prove it works by instantiating it, asking who it is
//! and initialising it with its settings. Only a plugin that passes all of that becomes a
//! [`LoadedPlugin`]; anything else is a [`LoadError`] that names the file and the step.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use wasmtime::component::{Component, HasSelf, Linker};

use super::bindings::{CONTRACT_VERSION, Plugin, PluginKind, PluginPre};
use super::engine::Sandbox;
use super::instance::{Fault, PluginInstance};
use super::limits::Limits;
use super::state::PluginState;
use crate::tables::Grants;

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read plugin {path:?}: {error}")]
    Read {
        /// The plugin file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is not a WebAssembly component.
    #[error("plugin {path:?} is not a WebAssembly component: {why}")]
    NotComponent {
        /// The plugin file.
        path: PathBuf,
        /// What it is instead.
        why: &'static str,
    },
    /// The component was built against another version of the contract.
    #[error(
        "plugin {path:?} was built against the plugin contract logsift:plugin@{found}, and this host speaks @{expected}: rebuild it with the SDK and WIT of this release (see wit/README.md, \"Versioning\")"
    )]
    Contract {
        /// The plugin file.
        path: PathBuf,
        /// The version it imports.
        found: String,
        /// The host's version.
        expected: &'static str,
    },
    /// Compilation failed.
    #[error("plugin {path:?} failed to compile: {reason}")]
    Compile {
        /// The plugin file.
        path: PathBuf,
        /// The compiler's message.
        reason: String,
    },
    /// The component does not fit the contract (wrong world, missing exports, imports the
    /// host does not grant).
    #[error("plugin {path:?} does not fit the logsift:plugin world: {reason}")]
    Link {
        /// The plugin file.
        path: PathBuf,
        /// What did not fit.
        reason: String,
    },
    /// `init` refused the plugin's settings.
    #[error("plugin {path:?} refused its settings: {reason}")]
    Init {
        /// The plugin file.
        path: PathBuf,
        /// The plugin's reason.
        reason: String,
    },
    /// The plugin faulted while being started or asked who it is.
    #[error("plugin {path:?} faulted during {step}: {fault}")]
    Fault {
        /// The plugin file.
        path: PathBuf,
        /// `instantiate`, `describe` or `init`.
        step: &'static str,
        /// What went wrong.
        fault: Fault,
    },
}

/// Who a plugin says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginMeta {
    /// Its own name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its role.
    pub kind: PluginKind,
    /// One sentence.
    pub description: String,
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PluginKind::Parser => "parser",
            PluginKind::Enricher => "enricher",
            PluginKind::Detector => "detector",
        })
    }
}

/// A compiled, linked and checked plugin. Cheap to share; workers make instances from it.
pub struct LoadedPlugin {
    /// The stage name (from the configuration, or the plugin's own name).
    pub name: Arc<str>,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// BLAKE3 of the file's bytes, hex.
    pub hash: String,
    /// What the plugin says about itself.
    pub meta: PluginMeta,
    /// Its limits.
    pub limits: Limits,
    /// When it was loaded.
    pub loaded_at: std::time::SystemTime,
    /// What every worker did with it, added once per batch.
    pub counters: PluginCounters,
    tables: Grants,
    pre: PluginPre<PluginState>,
    start: Start,
}

/// Where a new instance's initialised state comes from.
enum Start {
    /// The snapshot `pre` starts from (the component rewritten with the state `init` left),
    /// of this size in bytes. The settings are not kept: for the Sigma corpus they are the
    /// text of every rule, megabytes that no instance needs again.
    Snapshot(usize),
    /// `init`, run by each instance with these settings (JSON).
    Init(String),
}

/// Per-plugin totals over all workers, for `/plugins`. Each worker adds once per batch.
#[derive(Debug, Default)]
pub struct PluginCounters {
    /// Plugin calls.
    pub calls: AtomicU64,
    /// Records handed in.
    pub records: AtomicU64,
    /// Calls that trapped, timed out, ran out of memory or broke the contract.
    pub faults: AtomicU64,
    /// Alerts raised.
    pub alerts: AtomicU64,
}

/// BLAKE3 of a plugin's bytes, hex: its identity in caches, allowlists, headers and logs.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// A plugin file, checked and compiled: what every load of it, with any settings, starts
/// from. Cheap to clone.
#[derive(Clone)]
pub struct Compiled {
    /// BLAKE3 of the bytes, hex.
    hash: String,
    /// The component, with wizer's instrumentation when `instrumented` is there.
    component: Component,
    /// The file instrumented, which a snapshot rewrites, when loads of it start their
    /// instances from a snapshot taken after `init`.
    instrumented: Option<Arc<super::snapshot::Instrumented>>,
    /// Whether the component was read from the disk cache rather than compiled.
    from_disk_cache: bool,
}

/// Checks that the bytes are a component and compiles them, instrumented so that an
/// initialised instance can be snapshotted (see [`snapshot`](super::snapshot)). A component
/// the instrumentation cannot handle is compiled as it is, and its instances each run `init`.
pub fn compile(sandbox: &Sandbox, path: &Path, bytes: &[u8]) -> Result<Compiled, LoadError> {
    check_component(bytes).map_err(|why| LoadError::NotComponent { path: path.to_owned(), why })?;
    let build =
        |wasm: &[u8]| sandbox.compile_file(wasm).map_err(|e| LoadError::Compile { path: path.to_owned(), reason: format!("{e:#}") });
    let ((component, from_disk_cache), instrumented) = match super::snapshot::instrument(Arc::from(bytes)) {
        Ok((instrumented, bytes)) => (build(&bytes)?, Some(Arc::new(instrumented))),
        Err(e) => {
            let built = build(bytes)?;
            tracing::warn!(path = %path.display(), "plugin cannot be pre-initialised ({e:#}); each of its instances will run init");
            (built, None)
        }
    };
    check_contract(sandbox, &component).map_err(|found| LoadError::Contract {
        path: path.to_owned(),
        found,
        expected: CONTRACT_VERSION,
    })?;
    Ok(Compiled { hash: content_hash(bytes), component, instrumented, from_disk_cache })
}

impl Compiled {
    /// Whether the component was read from the disk cache (what an earlier run compiled of
    /// the same bytes) rather than compiled now.
    pub fn from_disk_cache(&self) -> bool {
        self.from_disk_cache
    }
}

/// The contract version the component imports, when it is not this host's. Every plugin
/// imports at least `logsift:plugin/types@<version>` (its result's types live there).
fn check_contract(sandbox: &Sandbox, component: &Component) -> Result<(), String> {
    let ty = component.component_type();
    for (name, _) in ty.imports(sandbox.engine()) {
        if let Some(rest) = name.strip_prefix("logsift:plugin/")
            && let Some((_, version)) = rest.split_once('@')
            && version != CONTRACT_VERSION
        {
            return Err(version.to_owned());
        }
    }
    Ok(())
}

impl fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedPlugin").field("name", &self.name).field("path", &self.path).field("hash", &self.hash).finish()
    }
}

/// Checks the preamble: `\0asm`, then the layer (a component is layer 1, a core module 0).
fn check_component(bytes: &[u8]) -> Result<(), &'static str> {
    match bytes {
        [0, b'a', b's', b'm', _, _, 1, 0, ..] => Ok(()),
        [0, b'a', b's', b'm', _, _, 0, 0, ..] => Err("it is a core WebAssembly module; build the plugin for wasm32-wasip2"),
        _ => Err("it does not start with the WebAssembly magic number"),
    }
}

impl LoadedPlugin {
    /// Loads and checks the plugin at `path`. `name` overrides the plugin's own name as the
    /// stage name; `settings` is handed to `init` as JSON.
    pub fn load(
        sandbox: &Sandbox,
        name: Option<&str>,
        path: &Path,
        settings: &serde_json::Value,
        limits: Limits,
    ) -> Result<Arc<Self>, LoadError> {
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read { path: path.to_owned(), error })?;
        Self::from_bytes(sandbox, name, path, &bytes, settings, limits)
    }

    /// Like [`load`](Self::load), from bytes already read.
    pub fn from_bytes(
        sandbox: &Sandbox,
        name: Option<&str>,
        path: &Path,
        bytes: &[u8],
        settings: &serde_json::Value,
        limits: Limits,
    ) -> Result<Arc<Self>, LoadError> {
        let compiled = compile(sandbox, path, bytes)?;
        Self::from_component(sandbox, name, path, &compiled, settings, limits, Grants::default())
    }

    /// Links an already compiled component, asks it who it is and runs its `init`, then
    /// snapshots the initialised instance so that every later instance starts from there.
    /// Its instances may read the lookup tables in `tables`.
    pub fn from_component(
        sandbox: &Sandbox,
        name: Option<&str>,
        path: &Path,
        compiled: &Compiled,
        settings: &serde_json::Value,
        limits: Limits,
        tables: Grants,
    ) -> Result<Arc<Self>, LoadError> {
        let path_buf = || path.to_owned();
        let mut linker = Linker::<PluginState>::new(sandbox.engine());
        let link = |e: wasmtime::Error| LoadError::Link { path: path_buf(), reason: format!("{e:#}") };
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(link)?;
        Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state).map_err(link)?;
        let prepare = |component: &Component| PluginPre::new(linker.instantiate_pre(component).map_err(link)?).map_err(link);
        let pre = prepare(&compiled.component)?;

        let settings = settings.to_string();
        let fault = |step| move |fault| LoadError::Fault { path: path_buf(), step, fault };
        let provisional: Arc<str> = Arc::from(name.unwrap_or("(loading)"));
        let mut instance = PluginInstance::new(&pre, provisional, limits, tables.clone()).map_err(fault("instantiate"))?;
        let meta = instance.describe().map_err(fault("describe"))?;
        instance.init(&settings).map_err(fault("init"))?.map_err(|reason| LoadError::Init { path: path_buf(), reason })?;
        let snapshot = compiled.instrumented.as_deref().map(|instrumented| instance.snapshot(instrumented));
        // The initialised memory lives on in the snapshot: free this copy before compiling it.
        drop(instance);
        let (pre, start) = match snapshot {
            Some(Ok(snapshot)) => {
                let component = sandbox
                    .compile(&snapshot)
                    .map_err(|e| LoadError::Compile { path: path_buf(), reason: format!("its snapshot: {e:#}") })?;
                (prepare(&component)?, Start::Snapshot(snapshot.len()))
            }
            Some(Err(why)) => {
                tracing::warn!(path = %path.display(), "plugin not snapshotted after init: {why}; each of its instances will run init");
                (pre, Start::Init(settings))
            }
            None => (pre, Start::Init(settings)),
        };

        let meta = PluginMeta { name: meta.name, version: meta.version, kind: meta.kind, description: meta.description };
        let name: Arc<str> = Arc::from(name.unwrap_or(&meta.name));
        Ok(Arc::new(LoadedPlugin {
            name,
            path: path_buf(),
            hash: compiled.hash.clone(),
            meta,
            limits,
            tables,
            loaded_at: std::time::SystemTime::now(),
            counters: PluginCounters::default(),
            pre,
            start,
        }))
    }

    /// The lookup tables its instances may read.
    pub fn tables(&self) -> &Grants {
        &self.tables
    }

    /// Whether its instances start from the snapshot taken after `init` (else each runs it).
    pub fn starts_from_snapshot(&self) -> bool {
        matches!(self.start, Start::Snapshot(_))
    }

    /// The size in bytes of the snapshot its instances start from (the component with the
    /// state `init` left as its data), when they do.
    pub fn snapshot_size(&self) -> Option<usize> {
        match self.start {
            Start::Snapshot(size) => Some(size),
            Start::Init(_) => None,
        }
    }

    /// A new, initialised instance for one worker: a copy of the snapshot, or a fresh
    /// instance that runs `init` when the plugin could not be snapshotted.
    pub fn instantiate(&self) -> Result<PluginInstance, LoadError> {
        let path_buf = || self.path.clone();
        let mut instance = PluginInstance::new(&self.pre, Arc::clone(&self.name), self.limits, self.tables.clone())
            .map_err(|fault| LoadError::Fault { path: path_buf(), step: "instantiate", fault })?;
        let Start::Init(settings) = &self.start else { return Ok(instance) };
        instance
            .init(settings)
            .map_err(|fault| LoadError::Fault { path: path_buf(), step: "init", fault })?
            .map_err(|reason| LoadError::Init { path: path_buf(), reason })?;
        Ok(instance)
    }
}
