//! The `logsift` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

/// A log processor for security teams: sandboxed WebAssembly plugins parse, enrich and
/// detect; events and alerts come out as JSON.
#[derive(Parser)]
#[command(name = "logsift", version, about)]
struct Cli {
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
        /// The directory holding json.wasm and sigma.wasm.
        #[arg(long, default_value = env!("SHIPPED_PLUGINS_DIR"))]
        plugins: PathBuf,
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
        kind: logsift::scaffold::Kind,
        /// Its name (lowercase letters, digits, dashes).
        name: String,
        /// The logsift SDK's folder (default: the one this binary was built with).
        #[arg(long)]
        sdk: Option<PathBuf>,
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
        /// The directory holding the shipped plugins tests may name.
        #[arg(long, default_value = env!("SHIPPED_PLUGINS_DIR"))]
        plugins: PathBuf,
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
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("logsift: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run { config, input, flat, quiet } => {
            let mut settings = logsift::Settings::load(&config)?;
            if flat {
                settings.format.json = logsift::config::JsonStyle::Flat;
            }
            logsift::telemetry::init(&settings.log);
            let stdout = std::io::stdout().lock();
            let summary =
                logsift::run_files(&settings, input, std::io::BufWriter::with_capacity(1 << 16, stdout)).context("running the pipeline")?;
            if !quiet {
                eprint!("{summary}");
            }
            Ok(())
        }
        Command::Sigma { rules, input, settings, plugins, flat, quiet } => {
            logsift::telemetry::init(&logsift::config::LogConfig { level: "warn".into(), ..Default::default() });
            let settings = settings.map(|p| logsift::hunt::load_settings(&p)).transpose()?.unwrap_or_default();
            let hunt = logsift::hunt::Hunt { rules, inputs: input, plugins, settings, flat };
            let stdout = std::io::stdout().lock();
            let summary = logsift::hunt::hunt(&hunt, std::io::BufWriter::with_capacity(1 << 16, stdout)).context("hunting")?;
            for problem in &summary.unreadable {
                eprintln!("logsift sigma: skipped {problem}");
            }
            if !quiet {
                eprint!("{summary}");
            }
            Ok(())
        }
        Command::New { kind, name, sdk } => {
            let sdk = sdk.unwrap_or_else(logsift::scaffold::default_sdk);
            let dir = logsift::scaffold::new_plugin(kind, &name, Path::new("."), &sdk)?;
            println!("created {}: `logsift build {name}`, then `logsift test {name}`", dir.display());
            Ok(())
        }
        Command::Build { name } => {
            let out = logsift::scaffold::build(&name)?;
            println!("built {}", out.display());
            Ok(())
        }
        Command::Test { paths, plugins } => test(paths, plugins),
        Command::Check { config } => {
            let report = logsift::check::check(&config)?;
            for problem in &report.problems {
                eprintln!("{problem}");
            }
            if !report.problems.is_empty() {
                anyhow::bail!("{} problems in {}", report.problems.len(), config.display());
            }
            println!("{}: ok ({} plugins, {} tables)", config.display(), report.plugins, report.tables);
            Ok(())
        }
        Command::Serve { config } => {
            let settings = logsift::Settings::load(&config)?;
            logsift::telemetry::init(&settings.log);
            let runtime =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().context("starting the async runtime")?;
            runtime.block_on(logsift::kafka::serve(settings, shutdown_signal(), |_| {}))
        }
    }
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            // Without signal handlers, stop on Ctrl-C or never.
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// `logsift test`: builds each plugin folder named, then runs every test file; prints a line
/// per test and the failures with their diffs.
fn test(paths: Vec<PathBuf>, shipped: PathBuf) -> anyhow::Result<()> {
    logsift::telemetry::init(&logsift::config::LogConfig { level: "warn".into(), ..Default::default() });
    let (mut passed, mut failed) = (0, 0);
    for path in paths {
        let (own, tests) = if path.join("Cargo.toml").is_file() {
            let built = logsift::scaffold::build(&path)?;
            (Some(built), path.join("tests"))
        } else {
            (None, path.clone())
        };
        let plugins = logsift::ruletest::Plugins { shipped: shipped.clone(), own };
        let files = logsift::ruletest::test_files(&tests)?;
        anyhow::ensure!(!files.is_empty(), "no test files (*.yaml) in {}", tests.display());
        for file in files {
            let outcome = logsift::ruletest::run_file(&file, &plugins)?;
            let what = outcome.description.as_deref().unwrap_or_default();
            if outcome.passed() {
                passed += 1;
                println!("ok      {}  {what}", file.display());
            } else {
                failed += 1;
                println!("FAILED  {}  {what}", file.display());
                for failure in &outcome.failures {
                    println!("  - {failure}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    anyhow::ensure!(failed == 0, "{failed} tests failed");
    Ok(())
}
