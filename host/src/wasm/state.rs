//! What each store holds: a WASI context that grants nothing, the memory limiter, the
//! plugin's captured stderr, the rate limiter for its log lines, and the lookup tables it
//! is granted.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{LogHost, LogLevel, LookupHost, TypesHost};
use super::limits::MemoryLimiter;
use crate::tables::Grants;

/// How much of a plugin's stderr is kept (its panic messages become dead-letter reasons).
const STDERR_CAPACITY: usize = 64 * 1024;
/// Log lines a plugin may write per second, with a burst of the same size.
const LOG_LINES_PER_SEC: f64 = 50.0;

/// The data of one plugin instance's store.
pub struct PluginState {
    plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    /// Enforces the memory cap and records whether it was hit.
    pub limiter: MemoryLimiter,
    stderr: MemoryOutputPipe,
    log_tokens: f64,
    log_refilled: Instant,
    log_suppressed: u64,
    tables: Grants,
}

impl PluginState {
    /// A state for `plugin` with a memory cap in bytes. The WASI context has no
    /// environment, arguments, preopened directories, sockets or name lookups; stdin is
    /// closed and stdout is discarded.
    pub fn new(plugin: Arc<str>, memory_bytes: usize, tables: Grants) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtx::builder().stderr(stderr.clone()).allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false).build();
        PluginState {
            plugin,
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(memory_bytes),
            stderr,
            log_tokens: LOG_LINES_PER_SEC,
            log_refilled: Instant::now(),
            log_suppressed: 0,
            tables,
        }
    }

    /// The last non-empty line the plugin wrote to stderr (a Rust panic message lands there).
    pub fn last_stderr_line(&self) -> Option<String> {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("note:"));
        lines.next_back().map(|l| l.chars().take(500).collect())
    }

    fn take_log_token(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.log_refilled).as_secs_f64() * LOG_LINES_PER_SEC;
        self.log_tokens = (self.log_tokens + refill).min(LOG_LINES_PER_SEC);
        self.log_refilled = now;
        if self.log_tokens >= 1.0 {
            self.log_tokens -= 1.0;
            true
        } else {
            self.log_suppressed += 1;
            false
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The `types` interface has no functions; the generated trait only marks the state.
impl TypesHost for PluginState {}

impl LogHost for PluginState {
    fn log(&mut self, level: LogLevel, message: String, fields: Vec<(String, String)>) {
        if !self.take_log_token() {
            return;
        }
        let suppressed = std::mem::take(&mut self.log_suppressed);
        let fields = fields.iter().map(|(n, v)| format!("{n}={v:?}")).collect::<Vec<_>>().join(" ");
        let plugin = &*self.plugin;
        // Escaped, so a plugin cannot forge log lines with newlines or control characters.
        let message = message.escape_debug();
        match level {
            LogLevel::Trace => tracing::trace!(plugin, fields, suppressed, "{message}"),
            LogLevel::Debug => tracing::debug!(plugin, fields, suppressed, "{message}"),
            LogLevel::Info => tracing::info!(plugin, fields, suppressed, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, fields, suppressed, "{message}"),
            LogLevel::Error => tracing::error!(plugin, fields, suppressed, "{message}"),
        }
    }
}

impl LookupHost for PluginState {
    fn get(&mut self, table: String, keys: Vec<String>) -> Result<Vec<Option<String>>, String> {
        self.tables.get(&table, &keys)
    }
}
