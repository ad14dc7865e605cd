//! Builds the plugins we ship (and the test plugins) to WebAssembly components, so
//! `cargo build` gives the `logsift` binary together with its plugins and a plain
//! `cargo test` has the `.wasm` files the integration tests load. Set
//! `NO_LOGSIFT_PLUGINS=1` to build the host alone (e.g. without the wasm target).
//!
//! The nested cargo uses its own target directory (`<target>/wasm`): sharing the outer
//! build's would make it wait forever on the outer build's lock. Components are then copied
//! to `<target>/plugins/<name>.wasm` (the crate name without `logsift-`), the directory the
//! examples' configurations and the tests use.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The plugin crates built for wasm32-wasip2.
const PLUGINS: &[&str] =
    &["passthrough", "json", "syslog", "weblog", "ssh-root-login", "ssh-bruteforce", "sigma", "geoip", "threat-intel", "asset", "faulty"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("host/ sits in the workspace").to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace.join("target"));
    let target = if target.is_absolute() { target } else { workspace.join(target) };

    for watched in ["plugins", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=NO_LOGSIFT_PLUGINS");

    let out = target.join("plugins");
    println!("cargo:rustc-env=SHIPPED_PLUGINS_DIR={}", out.display());
    if std::env::var_os("NO_LOGSIFT_PLUGINS").is_some() {
        return;
    }

    ensure_wasm_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&workspace).args(["build", "--target", "wasm32-wasip2", "--profile", "wasm", "--target-dir"]).arg(target.join("wasm"));
    for plugin in PLUGINS {
        cmd.args(["-p", &format!("logsift-{plugin}")]);
    }
    // Flags meant for the host build must not leak into the plugins' build.
    for var in
        ["CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"]
    {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("running cargo to build the plugins");
    assert!(status.success(), "building the plugins for wasm32-wasip2 failed (see the output above)");

    std::fs::create_dir_all(&out).expect("creating the plugin output directory");
    let built = target.join("wasm/wasm32-wasip2/wasm");
    for plugin in PLUGINS {
        let file = format!("logsift_{}.wasm", plugin.replace('-', "_"));
        copy_if_changed(&built.join(&file), &out.join(format!("{plugin}.wasm")));
    }
}

/// rustup fetches the toolchain file's targets only when it installs the toolchain: where
/// the toolchain was there already, the wasm target may be missing. Add it then.
fn ensure_wasm_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot =
        Command::new(rustc).args(["--print", "sysroot"]).output().ok().map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if sysroot.is_some_and(|root| root.join("lib/rustlib/wasm32-wasip2").exists()) {
        return;
    }
    println!("cargo:warning=the wasm32-wasip2 target is missing: running `rustup target add wasm32-wasip2`");
    let added = Command::new("rustup").args(["target", "add", "wasm32-wasip2"]).status().is_ok_and(|s| s.success());
    assert!(
        added,
        "the plugins need the wasm32-wasip2 target: run `rustup target add wasm32-wasip2` (or set NO_LOGSIFT_PLUGINS=1 to build the host alone)"
    );
}

/// Copies only when the content differs, so a file watcher sees no spurious change.
fn copy_if_changed(from: &Path, to: &Path) {
    let new = std::fs::read(from).unwrap_or_else(|e| panic!("reading built plugin {}: {e}", from.display()));
    if std::fs::read(to).ok().as_deref() != Some(new.as_slice()) {
        std::fs::write(to, new).unwrap_or_else(|e| panic!("writing {}: {e}", to.display()));
    }
}
