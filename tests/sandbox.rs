//! The sandbox, proven shut: the `sandbox-probe` test plugin tries, at `init` and on every
//! event, to read and list files, write a file, read the environment and its arguments,
//! connect to a TCP listener on this machine, resolve a name and read stdin — inside the
//! `logsift` binary, run as an operator would, with a secret in its environment, on its
//! stdin and in a readable file. Every attempt must be denied, the listener must see no
//! connection, no file must appear and no secret may reach an output.

mod support;

use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Command, Stdio};

const SECRET_ENV: &str = "env-secret-6f1d2c";
const SECRET_STDIN: &str = "stdin-secret-93ab0e";
const SECRET_FILE: &str = "file-secret-41c7d5";

#[test]
fn a_plugin_reaches_no_file_no_environment_no_network_and_no_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret_file = dir.path().join("secret.txt");
    std::fs::write(&secret_file, SECRET_FILE).expect("secret");
    let written = dir.path().join("escaped.txt");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let config = dir.path().join("logsift.toml");
    std::fs::write(
        &config,
        format!(
            "[[pipeline]]\nplugin = {plugin:?}\n[pipeline.settings]\nread = {read:?}\nwrite = {write:?}\nconnect = \"{addr}\"\nresolve = \"localhost:80\"\n",
            plugin = support::plugin("sandbox-probe").display().to_string(),
            read = secret_file.display().to_string(),
            write = written.display().to_string(),
            addr = listener.local_addr().expect("addr"),
        ),
    )
    .expect("config");
    let input = dir.path().join("input.log");
    std::fs::write(&input, "first record\nsecond record\n").expect("input");

    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--config"])
        .arg(&config)
        .arg("--input")
        .arg(&input)
        .arg("--flat")
        .env("PROBE_SECRET_TOKEN", SECRET_ENV)
        .env_remove("RUST_LOG")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("logsift");
    child.stdin.take().expect("stdin").write_all(SECRET_STDIN.as_bytes()).expect("stdin");
    let out = child.wait_with_output().expect("logsift");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");

    let events: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(events.len(), 2, "{stdout}");
    for event in &events {
        for when in ["init", "event"] {
            for probe in ["read", "list", "write", "env", "args", "connect", "resolve", "stdin"] {
                let key = format!("probe.{when}.{probe}");
                let result = event[&key].as_str().unwrap_or_else(|| panic!("{key} missing: {event}"));
                let denied = match probe {
                    // Listing tries two folders; both must be refused.
                    "list" => result.matches("denied").count() == 2,
                    _ => result.starts_with("denied"),
                };
                assert!(denied, "{key} was allowed: {result}");
            }
        }
    }
    assert!(listener.accept().is_err(), "the listener saw a connection");
    assert!(!written.exists(), "the plugin wrote a file");
    for secret in [SECRET_ENV, SECRET_STDIN, SECRET_FILE] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "{secret} reached an output");
    }
}
