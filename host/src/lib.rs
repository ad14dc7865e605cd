//! logsift: a log processor for security teams. Records come in (files or stdin, or Kafka
//! partitions), pass through a chain of sandboxed WebAssembly component plugins
//! (parsers, enrichers, detectors), and leave as JSON events, alerts and dead letters.
//!
//! # Layout
//! - [`config`]: the settings tree, from a TOML file plus `LOGSIFT_` environment overrides.
//! - [`wasm`]: the sandbox: engine, epoch deadlines, memory caps, loading and instances.
//!   Knows wasmtime and nothing else.
//! - [`pipeline`]: a worker's chain of stages: batching across the boundary, outcomes,
//!   bisection of faulting batches, quarantine. Knows neither files nor brokers.
//! - [`reload`]: the chain as generations: loading the configured plugins (with an audit
//!   line per load, refusal and unload), self-checks, hot reload on file changes and SIGHUP.
//! - [`render`]: output records as ECS JSON (nested or flat), or OCSF ([`ocsf`]).
//! - [`files`]: the embedded default's source (lines of files or stdin) and sink (JSON lines).
//! - [`run`]: file mode, end to end, with its summary.
//! - [`hunt`]: `logsift sigma`, a Sigma rule directory over a log file.
//! - [`scaffold`], [`ruletest`], [`check`]: the analyst's workflow: `logsift new`/`build`,
//!   `logsift test` (rule tests as YAML), `logsift check`.
//! - [`kafka`]: service mode: per-core workers in one consumer group, output topics,
//!   at-least-once offsets, graceful shutdown.
//! - [`metrics`] and [`http`]: Prometheus metrics, `/health`, `/ready` and `/plugins`.
//! - [`tables`]: lookup tables granted to plugins (GeoIP, threat intel, asset records).
//! - [`telemetry`]: logsift's own logs.

pub mod check;
pub mod config;
pub mod files;
pub mod http;
pub mod hunt;
pub mod kafka;
pub mod metrics;
pub mod ocsf;
pub mod pipeline;
pub mod reload;
pub mod render;
pub mod ruletest;
pub mod run;
pub mod scaffold;
pub mod tables;
pub mod telemetry;
pub mod wasm;

pub use config::Settings;
pub use run::{RunSummary, run_files};
