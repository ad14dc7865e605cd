//! The `logsift` command line.

use std::path::PathBuf;
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
    }
}
