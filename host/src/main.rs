//! The `logsift` command line: parsing only; each command lives in [`logsift::commands`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use logsift::commands;
use logsift::config::Overrides;

/// A log processor for security teams: sandboxed WebAssembly plugins parse, enrich and
/// detect; events and alerts come out as JSON.
#[derive(Parser)]
#[command(name = "logsift", version, about)]
struct Cli {
    /// The folder of the shipped plugins, which configurations and tests name by bare name
    /// (default: `plugin_dir` of the configuration, else `LOGSIFT_PLUGIN_DIR`, else
    /// lib/logsift/plugins beside this executable's folder).
    #[arg(long, global = true, value_name = "DIR")]
    plugin_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline over files or stdin and write JSON lines to stdout.
    Run {
        /// The configuration file (TOML).
        #[arg(long, short)]
        config: PathBuf,
        /// An input file, or `-` for stdin; repeat for several. Default: stdin.
        #[arg(long, short, default_value = "-")]
        input: Vec<PathBuf>,
        /// Write dotted keys (`source.ip`) instead of nested objects.
        #[arg(long)]
        flat: bool,
        /// Do not print the summary on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Hunt: run a Sigma rule directory over JSON logs (flat JSON lines, or Windows events
    /// as JSON) and print one JSON alert per line, then a per-rule hit summary on stderr.
    Sigma {
        /// A rule file or directory (searched recursively for .yml/.yaml); repeat for several.
        #[arg(long, short, required = true)]
        rules: Vec<PathBuf>,
        /// An input file, or `-` for stdin; repeat for several. Default: stdin.
        #[arg(long, short, default_value = "-")]
        input: Vec<PathBuf>,
        /// A TOML file of the sigma plugin's settings: field_mapping, logsources,
        /// exceptions, disabled, throttle, correlation.
        #[arg(long, short)]
        settings: Option<PathBuf>,
        /// Write dotted keys (`rule.id`) instead of nested objects.
        #[arg(long)]
        flat: bool,
        /// Do not print the summary on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Backtest: run the configured chain over a time range of the input topics' history (by
    /// the records' Kafka timestamps; or over files) and print its alerts as JSON lines, then
    /// the hits per rule with their first and last hit on stderr. With --candidate, also how a
    /// candidate rule set's alerts differ from the current one's, rule by rule. Nothing is
    /// written to Kafka but the scratch topic of --output-topic, and the live consumer group is
    /// left alone.
    Backtest {
        /// The configuration file (TOML): the chain, and [kafka] for the history.
        #[arg(long, short)]
        config: PathBuf,
        /// Start: RFC 3339 (2026-11-30T00:00:00Z), `now`, or relative (-24h, -7d). Needed for Kafka.
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        from: Option<String>,
        /// End, as --from (default: now).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        to: Option<String>,
        /// Rule files or folders replacing the rules of the configuration's rule stages; repeat for several.
        #[arg(long, value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// A candidate rule set (files or folders, as --rules) to compare with the current one.
        #[arg(long, value_name = "PATH")]
        candidate: Vec<PathBuf>,
        /// Read these files (`-` for stdin) instead of Kafka; repeat for several.
        #[arg(long, short)]
        input: Vec<PathBuf>,
        /// Write the alerts to this file instead of stdout.
        #[arg(long, short, conflicts_with = "output_topic")]
        output: Option<PathBuf>,
        /// Produce the alerts to this scratch topic (through [kafka]) instead of stdout; a topic
        /// the live service reads or writes is refused.
        #[arg(long, value_name = "TOPIC")]
        output_topic: Option<String>,
        /// Write dotted keys (`rule.id`) instead of nested objects.
        #[arg(long)]
        flat: bool,
        /// Do not print the summary on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Create a plugin crate in ./NAME that builds, runs and passes its own test.
    New {
        /// What the plugin does.
        #[arg(value_enum)]
        kind: commands::new::Kind,
        /// Its name (lowercase letters, digits, dashes).
        name: String,
    },
    /// Build the plugin crate in NAME (a folder) to a component, NAME/<name>.wasm.
    Build {
        /// The plugin's folder.
        name: PathBuf,
    },
    /// Run rule tests (YAML): a plugin's folder (builds it, then runs NAME/tests/), a test
    /// file, or a folder of tests. Exits non-zero if any fails.
    Test {
        /// Plugin folders, test files or folders of tests.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Validate a configuration, its plugins, rules and tables without running them.
    Check {
        /// The configuration file (TOML).
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Run as a service: consume Kafka topics, produce events, alerts and dead letters,
    /// until SIGTERM or SIGINT (which drain in-flight records and commit).
    Serve {
        /// The configuration file (TOML) with a [kafka] section.
        #[arg(long, short)]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    logsift::heap::configure();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("logsift: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // A relative --plugin-dir is relative to where the command was started.
    let plugin_dir = cli.plugin_dir.map(std::path::absolute).transpose()?;
    let overrides = Overrides { plugin_dir };
    match cli.command {
        Command::Run { config, input, flat, quiet } => commands::run::execute(&config, overrides, input, flat, quiet),
        Command::Sigma { rules, input, settings, flat, quiet } => {
            logsift::telemetry::init(&logsift::config::LogConfig { level: "warn".into(), ..Default::default() });
            let settings = settings.map(|p| commands::sigma::load_settings(&p)).transpose()?.unwrap_or_default();
            let hunt = commands::sigma::Hunt { rules, inputs: input, overrides, settings, flat };
            commands::sigma::execute(&hunt, quiet)
        }
        Command::Backtest { config, from, to, rules, candidate, input, output, output_topic, flat, quiet } => {
            logsift::telemetry::init(&logsift::config::LogConfig { level: "warn".into(), ..Default::default() });
            let backtest =
                commands::backtest::Backtest { config, overrides, from, to, rules, candidate, inputs: input, flat, output_topic };
            commands::backtest::execute(&backtest, output.as_deref(), quiet)
        }
        Command::New { kind, name } => commands::new::execute(kind, &name),
        Command::Build { name } => {
            let out = commands::new::build(&name)?;
            println!("built {}", out.display());
            Ok(())
        }
        Command::Test { paths } => commands::test::execute(paths, &overrides),
        Command::Check { config } => commands::check::execute(&config, overrides),
        Command::Serve { config } => commands::serve::execute(&config, overrides),
    }
}
