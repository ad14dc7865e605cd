//! What each store holds: a WASI context that grants nothing, the memory limiter, the
//! plugin's captured stderr, the rate limiter for its log lines, and the lookup tables it
//! is granted.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{LogHost, LogLevel, LookupHost, TypesHost};
use super::limits::MemoryLimiter;
use super::stderr::BoundedStderr;
use crate::tables::Grants;

/// How much of a plugin's stderr is kept (its panic messages become dead-letter reasons).
const STDERR_CAPACITY: usize = 64 * 1024;
/// Log lines a plugin may write per second, with a burst of the same size.
const LOG_LINES_PER_SEC: f64 = 50.0;
/// The longest log message kept, in characters; the rest is cut and said so.
const LOG_MESSAGE_CHARS: usize = 2048;
/// Fields of a log line kept, and the characters kept of each value.
const LOG_FIELDS: usize = 32;
const LOG_FIELD_CHARS: usize = 256;
/// The most keys one `lookup.get` call may ask for: a batch of 4,096 records with 16 keys
/// each (threat-intel looks up about 13). It bounds the host's work and the answer's size
/// per call; a call asking for more gets an error.
pub const MAX_LOOKUP_KEYS: usize = 65_536;
/// The longest key a lookup may ask for, in bytes.
pub const MAX_LOOKUP_KEY_BYTES: usize = 4096;

/// The data of one plugin instance's store.
pub struct PluginState {
    plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    /// Enforces the memory cap and records whether it was hit.
    pub limiter: MemoryLimiter,
    stderr: BoundedStderr,
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
        let stderr = BoundedStderr::new(STDERR_CAPACITY);
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

    /// Whether the guest holds host resources (WASI streams, descriptors, sockets): state a
    /// snapshot of its memory cannot carry into another store.
    pub(crate) fn holds_resources(&self) -> bool {
        !self.table.is_empty()
    }

    /// Bytes of its stderr dropped to make room for newer ones.
    pub fn stderr_dropped(&self) -> u64 {
        self.stderr.dropped()
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
        let cut = |text: &str, max: usize| -> String {
            let mut kept: String = text.chars().take(max).collect();
            if kept.len() < text.len() {
                kept.push_str(&format!("… ({} bytes cut)", text.len() - kept.len()));
            }
            kept
        };
        let mut shown: Vec<String> =
            fields.iter().take(LOG_FIELDS).map(|(n, v)| format!("{}={:?}", cut(n, 64), cut(v, LOG_FIELD_CHARS))).collect();
        if fields.len() > LOG_FIELDS {
            shown.push(format!("({} more fields cut)", fields.len() - LOG_FIELDS));
        }
        let fields = shown.join(" ");
        let plugin = &*self.plugin;
        // Escaped, so a plugin cannot forge log lines with newlines or control characters.
        let message = cut(&message, LOG_MESSAGE_CHARS);
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
        if keys.len() > MAX_LOOKUP_KEYS {
            return Err(format!("{} keys in one lookup call, more than the {MAX_LOOKUP_KEYS} allowed: split the call", keys.len()));
        }
        if let Some(long) = keys.iter().find(|k| k.len() > MAX_LOOKUP_KEY_BYTES) {
            return Err(format!("a lookup key of {} bytes is longer than the {MAX_LOOKUP_KEY_BYTES} allowed", long.len()));
        }
        self.tables.get(&table, &keys)
    }
}
