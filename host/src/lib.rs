//! logsift: a log processor for security teams. Records come in (files or stdin, or Kafka
//! partitions), pass through a chain of sandboxed WebAssembly component plugins
//! (parsers, enrichers, detectors), and leave as JSON events, alerts and dead letters.
//!
//! # Layout
//! - [`config`]: the settings tree, from a TOML file plus `LOGSIFT_` environment overrides.
//! - [`wasm`]: the sandbox: engine, epoch deadlines, memory caps, loading and instances.
//!   Knows wasmtime and nothing else.
//! - [`pipeline`]: a worker's chain of stages: batching across the boundary, outcomes,
//!   records cut at `limits.max_record_bytes`, each record of a faulting batch retried
//!   alone, state replayed into rebuilt instances, quarantine only for faults no record
//!   explains. Knows neither files nor brokers.
//! - [`reload`]: the chain as generations: loading the configured plugins (with an audit
//!   line per load, refusal and unload), self-checks, hot reload on file changes and SIGHUP.
//! - [`render`]: output records as ECS JSON (nested or flat), or OCSF ([`ocsf`]).
//! - [`files`]: the embedded default's source (bounded lines of files or stdin, JSON values
//!   framed in one pass) and sink (JSON lines).
//! - [`Runtime`] ([`runtime`]): what every command starts from — the sandbox (engine and
//!   epoch ticker), the first generation and its reloader.
//! - [`commands`]: one module per command (`run`, `serve`, `sigma`, `test`, `check`,
//!   `new`/`build`).
//! - [`kafka`]: service mode: per-core workers in one consumer group, output topics,
//!   at-least-once offsets, graceful shutdown.
//! - [`metrics`] and [`http`]: Prometheus metrics, `/health` (`ok` or `degraded: …`),
//!   `/ready`, `/plugins`, and the live status page at `/` (`/status.json`).
//! - [`tables`]: lookup tables granted to plugins (GeoIP, threat intel, asset records).
//! - [`telemetry`]: logsift's own logs.
//! - [`heap`]: how much freed memory the C library's allocator keeps.

pub mod commands;
pub mod config;
pub mod files;
pub mod heap;
pub mod http;
pub mod kafka;
pub mod metrics;
pub mod ocsf;
pub mod pipeline;
pub mod reload;
pub mod render;
pub mod runtime;
pub mod tables;
pub mod telemetry;
pub mod wasm;

pub use commands::run::{RunSummary, run_files};
pub use config::Settings;
pub use runtime::Runtime;
