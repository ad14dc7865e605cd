//! The live status page in a real browser: a `logsift serve` process (the shipped
//! `examples/kafka.toml` chain plus a Sigma stage whose rule title is hostile) consumes from
//! a Tansu broker, and headless Chromium loads `/` and hands back the DOM the page's script
//! built. Among the input is a line of markup (`<script>…</script><img … onerror=…>`) that
//! becomes a dead letter: the page must show it, and its reason, as text — no element made
//! of it, no script run. The test also checks that the counts rise as more records arrive,
//! that a request naming another host is refused (DNS rebinding), and saves a screenshot to
//! `target/status-page.png`.
//!
//! Needs Chromium (`chromium` on PATH, or `LOGSIFT_CHROMIUM`) and Tansu; `make tools`
//! installs both where it can. Without them the test skips with a message, and fails under
//! `CI=true`.

mod support;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::kafka::{Client, Tansu, free_port};
use support::service::{http_status, scrape};

/// The group `examples/kafka.toml` names.
const GROUP: &str = "logsift";
/// A line no parser understands, made of markup that would run were it parsed as HTML;
/// `weblog`, the last parser, dead-letters it with a reason that quotes its start.
const HOSTILE: &str = r#"<script>document.title='pwned'</script><img src=x onerror="document.title='pwned'">"#;
/// A Sigma rule whose title is markup.
const HOSTILE_RULE: &str = r#"title: "Root password guessing <img src=x onerror=\"document.title='pwned'\">"
id: 0b7d1c52-8a7e-4d8e-9a57-7d2f0c1e5a10
status: experimental
logsource:
    product: linux
    service: sshd
detection:
    selection:
        process.name: sshd
        event.action: ssh_login
        event.outcome: failure
        user.name: root
    condition: selection
level: high
"#;

/// Chromium, or `None` (skip) when it is not installed; under `CI=true` its absence fails.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("LOGSIFT_CHROMIUM").map(PathBuf::from).or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).map(|dir| dir.join("chromium")).find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "Chromium is missing (`make tools` installs Debian's `chromium`)");
        eprintln!("skipping: no chromium on PATH (`make tools` installs it)");
    }
    found
}

/// Failed root logins from sshd, numbered from `first`: each raises an alert.
fn sshd_lines(first: usize, n: usize) -> Vec<String> {
    (first..first + n)
        .map(|i| {
            format!(
                "Dec 10 06:{:02}:{:02} LabSZ sshd[{}]: Failed password for root from 203.0.113.{} port {} ssh2",
                (i / 60) % 60,
                i % 60,
                24_000 + i,
                1 + i % 200,
                40_000 + i
            )
        })
        .collect()
}

/// A `logsift serve` process; killed when dropped.
struct Process {
    child: Child,
    http: SocketAddr,
    log: PathBuf,
}

impl Process {
    fn start(config: &Path, brokers: &str, dir: &Path) -> Self {
        let http = free_port();
        let log = dir.join("serve.log");
        let child = Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["serve", "--config"])
            .arg(config)
            .env("LOGSIFT_KAFKA__BROKERS", brokers)
            .env("LOGSIFT_HTTP__LISTEN", http.to_string())
            .env("LOGSIFT_WORKERS", "2")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("starting logsift serve");
        let process = Process { child, http, log };
        process.wait_until(Duration::from_secs(90), "the HTTP endpoint", |p| std::net::TcpStream::connect(p.http).is_ok());
        // Both workers own a partition before input arrives: no rebalance replays records.
        let owns =
            |p: &Self, w: usize| scrape(p.http).get(&format!("logsift_worker_partitions{{worker=\"{w}\"}}")).is_some_and(|n| *n > 0.0);
        process.wait_until(Duration::from_secs(90), "both workers to own partitions", |p| owns(p, 0) && owns(p, 1));
        assert_eq!(http_status(process.http, "/ready"), 200);
        process
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_until(&self, wait: Duration, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + wait;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.http)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headless Chromium on `url` with `args`; returns its stdout. A fresh profile each time,
/// and a deadline: a hung browser fails the test instead of stalling it.
fn browse(chromium: &Path, url: &str, args: &[&str]) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(chromium)
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars"])
        .args(["--disable-extensions", "--disable-background-networking", "--virtual-time-budget=4000"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromium");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("waiting for chromium") {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("reading chromium's output")
}

/// The DOM as the page's script left it, once it shows a count of consumed records.
fn rendered(chromium: &Path, url: &str) -> (String, u64) {
    for _ in 0..5 {
        let dom = browse(chromium, url, &["--dump-dom"]);
        if let Some(count) = data_value(&dom, "records-in") {
            return (dom, count);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!("the page never drew its totals");
}

/// The `data-value` of the element with this id, as the page's script set it.
fn data_value(dom: &str, id: &str) -> Option<u64> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let rest = &dom[at..dom[at..].find('>').map_or(dom.len(), |end| at + end)];
    let value = rest.split("data-value=\"").nth(1)?.split('"').next()?;
    value.parse::<f64>().ok().map(|v| v as u64)
}

/// The text of every `<td>` with this class.
fn cells<'a>(dom: &'a str, class: &str) -> Vec<&'a str> {
    let open = format!("<td class=\"{class}\"");
    dom.match_indices(&open)
        .filter_map(|(at, _)| {
            let start = at + dom[at..].find('>')? + 1;
            Some(&dom[start..start + dom[start..].find("</td>")?])
        })
        .collect()
}

/// Every tag of a serialized DOM, lowercased. Text is serialized with `<` escaped, so every
/// `<` left opens a real tag.
fn tags(dom: &str) -> Vec<String> {
    dom.split('<').skip(1).map(|t| format!("<{}", t.split('>').next().unwrap_or_default()).to_ascii_lowercase()).collect()
}

/// The document's title as the browser ended with it.
fn title(dom: &str) -> &str {
    dom.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap_or_default()
}

/// A raw request with a chosen `Host`: the status code and the head.
fn request(addr: SocketAddr, path: &str, host: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connecting");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let head = response.split("\r\n\r\n").next().unwrap_or_default().to_owned();
    (head.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status line"), head)
}

/// The shipped service chain (`examples/kafka.toml`) with a Sigma stage after it, in `dir`.
fn config(dir: &Path) -> PathBuf {
    let shipped = std::fs::read_to_string(support::workspace().join("examples/kafka.toml")).expect("examples/kafka.toml");
    std::fs::create_dir_all(dir.join("rules")).expect("rules dir");
    std::fs::write(dir.join("rules/hostile.yml"), HOSTILE_RULE).expect("writing the rule");
    let path = dir.join("service.toml");
    std::fs::write(&path, format!("{shipped}\n[[pipeline]]\nplugin = \"sigma\"\nrules = [\"rules\"]\n")).expect("writing the config");
    path
}

#[test]
fn the_status_page_shows_live_counts_and_hostile_dead_letters_as_text_in_a_real_browser() {
    let Some(chromium) = chromium() else { return };
    let Some(tansu) = Tansu::start() else { return };
    let client = Client::new(tansu.addr.to_string());
    client.create_topics(&["logs", "events", "alerts", "dead-letter"], 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let process = Process::start(&config(dir.path()), &client.brokers, dir.path());

    let mut first = vec![HOSTILE.to_owned()];
    first.extend(sshd_lines(0, 40));
    client.produce("logs", &first);
    let consumed = first.len() as i64;
    assert!(client.wait_committed(GROUP, "logs", consumed, Duration::from_secs(90)), "log:\n{}", process.log());

    // Other hosts are refused; this one is served with its policy.
    let (code, _) = request(process.http, "/", "evil.example");
    assert_eq!(code, 421, "a request naming another host is refused (DNS rebinding)");
    let (code, _) = request(process.http, "/status.json", &format!("evil.example:{}", process.http.port()));
    assert_eq!(code, 421);
    let (code, head) = request(process.http, "/", &process.http.to_string());
    assert_eq!(code, 200);
    assert!(head.to_ascii_lowercase().contains("content-security-policy: default-src 'none'; script-src 'self'"), "{head}");

    let (dom, before) = rendered(&chromium, &process.url());
    for plugin in ["syslog", "weblog", "ssh-root-login", "sigma"] {
        assert!(dom.contains(&format!(">{plugin}<")), "plugin {plugin} is listed:\n{dom}");
    }
    assert_eq!(title(&dom), "logsift status", "no injected script ran");
    let made: Vec<_> = tags(&dom).into_iter().filter(|t| t.starts_with("<img") || t.contains("onerror") || t.contains("pwned")).collect();
    assert!(made.is_empty(), "no element or attribute was made of the input: {made:?}");
    assert!(!dom.contains("<script>document.title"), "no script element was made of the input");
    let originals = cells(&dom, "original");
    assert!(
        originals.iter().any(|c| c.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img src=x onerror=")),
        "the hostile line is shown as text: {originals:?}"
    );
    let reasons = cells(&dom, "text reason");
    assert!(reasons.iter().any(|c| c.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;")), "its reason is text: {reasons:?}");
    assert!(dom.contains("Root password guessing &lt;img src=x onerror="), "the hostile rule title is text");
    // What the rule costs: measured by the sigma plugin on its first event, in the costliest table.
    let costs = dom.split("id=\"costs\"").nth(1).expect("the costliest rules section");
    assert!(costs.contains("0b7d1c52-8a7e-4d8e-9a57-7d2f0c1e5a10"), "the rule's cost is shown: {}", &costs[..costs.len().min(2000)]);
    let alerts_before = data_value(&dom, "alerts").unwrap_or_default();
    assert!(alerts_before >= 40, "the rules' hits are counted ({alerts_before})");

    // More records, over a few seconds: the counts rise on the next load.
    for chunk in 0..8 {
        client.produce_from("logs", &sshd_lines(100 + chunk * 25, 25), 1000 + chunk * 25);
        std::thread::sleep(Duration::from_millis(500));
    }
    let consumed = consumed + 8 * 25;
    assert!(client.wait_committed(GROUP, "logs", consumed, Duration::from_secs(90)), "log:\n{}", process.log());
    std::thread::sleep(Duration::from_secs(3)); // a sample or two of the history
    let (dom, after) = rendered(&chromium, &process.url());
    eprintln!("records consumed as the page showed them: {before}, then {after}");
    assert!(after > before, "the count rises: {before} then {after}");
    assert!(after >= consumed as u64, "every record is counted ({after} of {consumed})");
    assert!(data_value(&dom, "alerts").unwrap_or_default() > alerts_before, "the hits rise");
    assert_eq!(title(&dom), "logsift status");

    // The screenshot (for the README) while records flow.
    let feeder = {
        let client = Client::new(client.brokers.clone());
        std::thread::spawn(move || {
            for chunk in 0..16 {
                client.produce_from("logs", &sshd_lines(400 + chunk * 40, 40), 2000 + chunk * 40);
                std::thread::sleep(Duration::from_millis(400));
            }
        })
    };
    std::thread::sleep(Duration::from_secs(5));
    let shot = support::workspace().join("target/status-page.png");
    let _ = std::fs::remove_file(&shot);
    browse(&chromium, &process.url(), &[&format!("--screenshot={}", shot.display()), "--window-size=1280,1200"]);
    feeder.join().expect("feeder");
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG at {}", shot.display());
    eprintln!("screenshot: {}", shot.display());
}
