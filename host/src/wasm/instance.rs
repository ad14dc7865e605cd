//! One plugin instance: a store, its limits and the bound exports, owned by one worker.
//! Every call runs under an epoch deadline; a failed call returns a [`Fault`] and leaves
//! the instance unusable (the caller drops it and makes a new one).

use std::fmt;

use wasmtime::component::Instance;
use wasmtime::{Store, Trap};

use super::bindings::{BatchResult, Metadata, Plugin, PluginPre};
use super::limits::{Limits, MemoryLimitExceeded};
use super::state::PluginState;

/// Why a plugin call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The call ran past its deadline.
    Deadline {
        /// The deadline, in milliseconds.
        timeout_ms: u32,
    },
    /// The plugin tried to grow its memory past the cap.
    MemoryLimit {
        /// The cap, in bytes.
        limit: usize,
        /// The size it asked for, in bytes.
        requested: usize,
    },
    /// The plugin trapped (a Rust panic is a trap); `message` is the trap and, when the
    /// plugin printed one, its panic message.
    Trap {
        /// What went wrong.
        message: String,
    },
    /// The plugin returned something that breaks the contract.
    Contract {
        /// Which rule it broke.
        message: String,
    },
}

impl Fault {
    /// A short label for metrics and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Deadline { .. } => "deadline",
            Fault::MemoryLimit { .. } => "memory",
            Fault::Trap { .. } => "trap",
            Fault::Contract { .. } => "contract",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Deadline { timeout_ms } => write!(f, "deadline of {timeout_ms} ms exceeded"),
            Fault::MemoryLimit { limit, requested } => {
                let mib = |bytes: &usize| *bytes as f64 / f64::from(1 << 20);
                write!(f, "memory limit of {:.1} MiB exceeded ({:.1} MiB requested)", mib(limit), mib(requested))
            }
            Fault::Trap { message } => write!(f, "trapped: {message}"),
            Fault::Contract { message } => write!(f, "broke the plugin contract: {message}"),
        }
    }
}

/// A live instance of a plugin.
pub struct PluginInstance {
    store: Store<PluginState>,
    instance: Instance,
    plugin: Plugin,
    limits: Limits,
}

impl PluginInstance {
    /// Instantiates the component in a fresh store with the plugin's limits.
    pub(crate) fn new(
        pre: &PluginPre<PluginState>,
        name: std::sync::Arc<str>,
        limits: Limits,
        tables: crate::tables::Grants,
    ) -> Result<Self, Fault> {
        let mut store = Store::new(pre.engine(), PluginState::new(name, limits.memory_bytes(), tables));
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(limits.deadline_ticks());
        let made = pre.instance_pre().instantiate(&mut store).and_then(|instance| Ok((instance, Plugin::new(&mut store, &instance)?)));
        match made {
            Ok((instance, plugin)) => Ok(PluginInstance { store, instance, plugin, limits }),
            Err(e) => Err(classify(&store, limits, e)),
        }
    }

    /// Calls `describe`.
    pub fn describe(&mut self) -> Result<Metadata, Fault> {
        self.store.set_epoch_deadline(self.limits.deadline_ticks());
        let result = self.plugin.call_describe(&mut self.store);
        result.map_err(|e| classify(&self.store, self.limits, e))
    }

    /// Calls `init` with the settings JSON; `Ok(Err(reason))` is the plugin refusing them.
    pub fn init(&mut self, settings: &str) -> Result<Result<(), String>, Fault> {
        self.store.set_epoch_deadline(self.limits.init_deadline_ticks());
        let result = self.plugin.call_init(&mut self.store, settings);
        let init_limits =
            Limits { timeout_ms: self.limits.timeout_ms.saturating_mul(super::limits::INIT_DEADLINE_FACTOR as u32), ..self.limits };
        result.map_err(|e| classify(&self.store, init_limits, e))
    }

    /// `component`'s original file rewritten to start in this instance's state (see
    /// [`snapshot`](super::snapshot)); the instance must have been made from its
    /// instrumented build.
    pub(crate) fn snapshot(&mut self, component: &super::snapshot::Instrumented) -> Result<Vec<u8>, String> {
        if self.store.data().holds_resources() {
            return Err("it keeps host resources open after init (WASI streams or sockets), which a snapshot cannot carry".into());
        }
        self.store.set_epoch_deadline(self.limits.init_deadline_ticks());
        // The snapshot reads each memory whole in one call: let it carry up to the cap (the
        // default allows 128 MiB per call; the Sigma corpus initialises more than that).
        self.store.set_hostcall_fuel(self.store.hostcall_fuel().max(self.limits.memory_bytes()));
        super::snapshot::take(component, &mut self.store, self.instance).map_err(|e| format!("{e:#}"))
    }

    /// Calls `process` on an encoded batch.
    pub fn process(&mut self, batch: &[u8]) -> Result<BatchResult, Fault> {
        self.store.set_epoch_deadline(self.limits.deadline_ticks());
        let result = self.plugin.call_process(&mut self.store, batch);
        result.map_err(|e| classify(&self.store, self.limits, e))
    }
}

/// Turns a wasmtime error into the fault that caused it.
fn classify(store: &Store<PluginState>, limits: Limits, err: wasmtime::Error) -> Fault {
    if let Some(hit) = &store.data().limiter.exceeded {
        return Fault::MemoryLimit { limit: hit.limit, requested: hit.requested };
    }
    if let Some(hit) = err.downcast_ref::<MemoryLimitExceeded>() {
        return Fault::MemoryLimit { limit: hit.limit, requested: hit.requested };
    }
    if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return Fault::Deadline { timeout_ms: limits.timeout_ms };
    }
    let trap = match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{err:#}"),
    };
    let message = match (store.data().last_stderr_line(), store.data().stderr_dropped()) {
        (Some(line), 0) => format!("{trap}; plugin said: {line}"),
        (Some(line), dropped) => format!("{trap}; plugin said: {line} ({dropped} earlier bytes of its stderr were dropped)"),
        (None, _) => trap,
    };
    Fault::Trap { message }
}
