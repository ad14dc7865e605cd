//! The commands of the `logsift` executable, one module each, named after the command.
//! `main.rs` parses the command line and calls the module's `execute`; everything a command
//! does lives here, so tests can call it in-process.
//!
//! - [`run`]: file mode — the pipeline over files or stdin, JSON lines out, a summary.
//! - [`backtest`]: the chain over a time range of Kafka history (or files), hits per rule,
//!   and a candidate rule set compared with the current one ([`rule_diff`]).
//! - [`serve`]: service mode over Kafka.
//! - [`sigma`]: hunting with a Sigma rule directory over JSON logs.
//! - [`test`]: rule and plugin tests as YAML.
//! - [`check`]: validate a configuration, its plugins, rules and tables.
//! - [`new`]: `logsift new` and `logsift build`, a plugin crate from a template.

pub mod backtest;
pub mod check;
pub mod new;
pub mod rule_diff;
pub mod run;
pub mod serve;
pub mod sigma;
pub mod test;
