//! `logsift new parser|enricher|detector NAME` and `logsift build NAME`: a plugin crate an
//! analyst can build and test on day one. The crate is its own workspace root; its
//! dependencies are pinned exactly (`=`) to the versions logsift is tested with, and it
//! starts from logsift's own `Cargo.lock`, so every crate under it is the version we tested
//! — it builds the same tomorrow. It comes with a working plugin of its kind, a test in the
//! rule-test format (`logsift test NAME` passes out of the box), and a `logsift.toml` that
//! runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// What kind of plugin to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Turns raw lines into fields.
    Parser,
    /// Adds fields to parsed events.
    Enricher,
    /// Raises alerts.
    Detector,
}

/// logsift's own lock file: the versions the scaffold pins.
const LOCK: &str = include_str!("../../../Cargo.lock");
/// The toolchain logsift is built with (it names the wasm target).
const TOOLCHAIN: &str = include_str!("../../../rust-toolchain.toml");

/// The version of `package` in logsift's lock file.
pub fn locked_version(package: &str) -> Option<&'static str> {
    let marker = format!("name = \"{package}\"\nversion = \"");
    let start = LOCK.find(&marker)? + marker.len();
    LOCK[start..].split('"').next()
}

/// Where the SDK is: `share/logsift/plugins/sdk` beside the folder of the running
/// executable, as `make install` lays it out (and as the build tree is staged by
/// `make plugins`), never a path fixed when logsift was built.
pub fn installed_sdk() -> PathBuf {
    crate::config::install_prefix().join("share/logsift/plugins/sdk")
}

/// `logsift new`: creates the crate in the current folder and says what to do next.
pub fn execute(kind: Kind, name: &str) -> anyhow::Result<()> {
    let dir = new_plugin(kind, name, Path::new("."), &installed_sdk())?;
    println!("created {}: `logsift build {name}`, then `logsift test {name}`", dir.display());
    Ok(())
}

/// The crate name for a plugin name (`my-rule` → `my_rule`, as cargo names the artifact).
fn artifact(name: &str) -> String {
    name.replace('-', "_")
}

fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        bail!("{name:?} is not a plugin name: use lowercase letters, digits and dashes, starting with a letter");
    }
    Ok(())
}

fn cargo_toml(name: &str, description: &str, sdk: &Path) -> anyhow::Result<String> {
    let version = |p: &str| locked_version(p).with_context(|| format!("{p} is not in logsift's Cargo.lock"));
    let sdk = sdk.to_str().with_context(|| format!("the SDK's path {} is not UTF-8", sdk.display()))?;
    Ok(include_str!("../../templates/Cargo.toml.in")
        .replace("__NAME__", name)
        .replace("__DESCRIPTION__", description)
        .replace("__LOGSIFT__", env!("CARGO_PKG_VERSION"))
        .replace("__SDK__", &sdk.replace('\\', "\\\\").replace('"', "\\\""))
        .replace("__SDK_VERSION__", version("logsift-sdk")?)
        .replace("__SERDE_JSON__", version("serde_json")?)
        .replace("__SERDE__", version("serde")?))
}

fn source(kind: Kind, name: &str) -> String {
    let body = match kind {
        Kind::Detector => include_str!("../../templates/detector.rs"),
        Kind::Parser => include_str!("../../templates/parser.rs"),
        Kind::Enricher => include_str!("../../templates/enricher.rs"),
    };
    body.replace("__NAME__", name).replace("__TYPE__", &type_name(name))
}

/// `my-rule` → `MyRule`.
fn type_name(name: &str) -> String {
    name.split('-').filter(|p| !p.is_empty()).map(|p| p[..1].to_ascii_uppercase() + &p[1..]).collect()
}

fn test_file(kind: Kind, name: &str) -> String {
    let body = match kind {
        Kind::Detector => include_str!("../../templates/detector.yaml"),
        Kind::Parser => include_str!("../../templates/parser.yaml"),
        Kind::Enricher => include_str!("../../templates/enricher.yaml"),
    };
    body.replace("__NAME__", name)
}

fn config(kind: Kind, name: &str) -> String {
    let first = match kind {
        Kind::Detector => "[[pipeline]]\nplugin = \"syslog\"      # a plugin shipped with logsift\n\n",
        Kind::Enricher => "[[pipeline]]\nplugin = \"json\"\n\n",
        Kind::Parser => "",
    };
    format!(
        "# Runs {name} after the parser it needs:\n#   logsift run --config {name}/logsift.toml --input FILE\n\n{first}[[pipeline]]\nplugin = \"{name}.wasm\"\n"
    )
}

/// Creates `dir/NAME` with a plugin crate of `kind`, depending on the SDK at `sdk`.
pub fn new_plugin(kind: Kind, name: &str, dir: &Path, sdk: &Path) -> anyhow::Result<PathBuf> {
    check_name(name)?;
    let root = dir.join(name);
    if root.exists() {
        bail!("{} already exists", root.display());
    }
    let sdk = std::fs::canonicalize(sdk)
        .with_context(|| format!("the logsift SDK is not at {} (is logsift installed with `make install`?)", sdk.display()))?;
    let description = match kind {
        Kind::Detector => "logsift detector",
        Kind::Parser => "logsift parser",
        Kind::Enricher => "logsift enricher",
    };
    let files = [
        ("Cargo.toml", cargo_toml(name, description, &sdk)?),
        ("Cargo.lock", LOCK.to_owned()),
        ("rust-toolchain.toml", TOOLCHAIN.to_owned()),
        ("src/lib.rs", source(kind, name)),
        (&format!("tests/{name}.yaml"), test_file(kind, name)),
        ("logsift.toml", config(kind, name)),
        (".gitignore", format!("/target\n/{name}.wasm\n")),
    ];
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a file in the crate")).with_context(|| format!("creating {}", path.display()))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(root)
}

/// Cargo's rustflags for the wasm target only (build scripts and proc macros keep theirs).
const TARGET_FLAGS_VAR: &str = "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS";

/// What plugins are built with, ours (the Makefile's `WASM_RUSTFLAGS`) and an author's: wasm
/// SIMD, which rustc's target leaves off and wasmtime runs (memchr, UTF-8 checks and byte
/// searches take their vector paths), and more inlining than LLVM's default, since each call
/// left in a plugin costs about forty instructions in wasmtime's code.
const TARGET_FLAGS: &str = "-C target-feature=+simd128 -C llvm-args=-inline-threshold=500";

/// Builds the plugin crate at `dir` to a component, `dir/<name>.wasm`.
pub fn build(dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).with_context(|| format!("{} is not a plugin crate", dir.display()))?;
    let package: toml::Table = toml::from_str(&text).with_context(|| format!("reading {}", manifest.display()))?;
    let name = package
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .with_context(|| format!("{} has no package name", manifest.display()))?
        .to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(dir).args(["build", "--release", "--target", "wasm32-wasip2"]);
    // What a surrounding build set for itself must not leak into this one.
    for var in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "RUSTC_WRAPPER", "RUSTUP_TOOLCHAIN"] {
        command.env_remove(var);
    }
    // A value set in the environment wins.
    if std::env::var_os(TARGET_FLAGS_VAR).is_none() {
        command.env(TARGET_FLAGS_VAR, TARGET_FLAGS);
    }
    let status = command.status().context("running cargo")?;
    if !status.success() {
        bail!("cargo build failed for {} (see above)", dir.display());
    }
    let built = dir.join(format!("target/wasm32-wasip2/release/{}.wasm", artifact(&name)));
    let out = dir.join(format!("{name}.wasm"));
    std::fs::copy(&built, &out).with_context(|| format!("copying {} to {}", built.display(), out.display()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_versions_come_from_the_lock_file() {
        assert_eq!(locked_version("logsift-sdk"), Some(env!("CARGO_PKG_VERSION")));
        assert!(locked_version("serde").is_some_and(|v| v.starts_with("1.")));
        assert!(locked_version("no-such-crate").is_none());
    }

    #[test]
    fn authors_build_plugins_as_the_shipped_ones_are_built() {
        let makefile = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../Makefile"));
        let flags = makefile.lines().find_map(|l| l.strip_prefix("WASM_RUSTFLAGS := ")).expect("the Makefile's WASM_RUSTFLAGS");
        assert_eq!(flags, TARGET_FLAGS);
    }

    #[test]
    fn names_are_checked_and_typed() {
        assert!(check_name("ssh-brute").is_ok());
        assert!(check_name("Bad Name").is_err() && check_name("").is_err() && check_name("1x").is_err());
        assert_eq!(type_name("my-first-rule"), "MyFirstRule");
    }
}
