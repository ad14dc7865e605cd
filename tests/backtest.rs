//! `logsift backtest` against librdkafka's mock cluster (a real Kafka-protocol broker on
//! 127.0.0.1) and over files: exactly the records stamped inside the range are read, the
//! hits equal those of `logsift run` over the same lines, the live group's committed offsets
//! do not move, and a candidate rule set's difference lists exactly the alerts that change.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use logsift::commands::backtest::{self, Backtest};
use logsift::config::Overrides;
use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use support::kafka::Client;

const CHAIN: &str = "[[pipeline]]\nplugin = \"syslog\"\n[pipeline.settings]\nyear = 2024\ntimezone = \"UTC\"\n\
                     [[pipeline]]\nplugin = \"ssh-root-login\"\n";
/// The first record's timestamp; record `i` is stamped a second after record `i - 1`.
const BASE_MS: i64 = 1_733_800_000_000;

fn overrides() -> Overrides {
    Overrides { plugin_dir: Some(support::plugin_dir()) }
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).expect("a time").to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writing");
    path
}

#[test]
fn a_backtest_reads_exactly_the_records_stamped_in_its_range_and_leaves_the_live_group_alone() {
    let cluster = rdkafka::mocking::MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("logs", 2, 1).expect("topic");
    let client = Client::new(cluster.bootstrap_servers());
    let lines = support::sshd_lines();
    let stamps: Vec<i64> = (0..lines.len() as i64).map(|i| BASE_MS + i * 1000).collect();
    client.produce_stamped("logs", &lines, 0, Some(&stamps));

    // The live group has committed offsets: the backtest must not move them.
    let live: BaseConsumer = ClientConfig::new().set("bootstrap.servers", &client.brokers).set("group.id", "live").create().expect("live");
    let mut committed = TopicPartitionList::new();
    committed.add_partition_offset("logs", 0, Offset::Offset(5)).expect("offset");
    live.commit(&committed, CommitMode::Sync).expect("commit");
    let before = client.committed("live", "logs");
    assert_eq!(before.get(&0), Some(&5));

    let dir = tempfile::tempdir().expect("tempdir");
    let kafka = format!("[kafka]\nbrokers = {:?}\ngroup_id = \"live\"\ntopics = [\"logs\"]\n", client.brokers);
    let config = write(dir.path(), "kafka.toml", &format!("{kafka}{CHAIN}"));
    // Records 500..=1499: the bounds are inclusive.
    let (first, last) = (500usize, 1499usize);
    let test = Backtest {
        config,
        overrides: overrides(),
        from: Some(rfc3339(stamps[first])),
        to: Some(rfc3339(stamps[last])),
        ..Backtest::default()
    };
    let mut alerts = Vec::new();
    let summary = backtest::run(&test, &mut alerts).expect("backtest");

    assert_eq!(summary.read, (last - first + 1) as u64, "{summary}");
    assert_eq!(summary.partitions.iter().map(|p| p.read).sum::<u64>(), summary.read);
    let originals: Vec<String> = String::from_utf8(alerts)
        .expect("UTF-8")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("an alert")["event"]["original"].as_str().expect("original").to_owned()
        })
        .collect();
    let expected: Vec<&String> = lines[first..=last].iter().filter(|l| l.contains("Failed password for root")).collect();
    assert_eq!(originals.len(), expected.len(), "one alert per root failure in the range");
    assert!(originals.iter().all(|o| expected.contains(&o)), "only records of the range alert");

    // The same lines through `logsift run`: the same hits per rule.
    let file = write(dir.path(), "range.log", &(lines[first..=last].join("\n") + "\n"));
    let settings = logsift::Settings::load_with(&write(dir.path(), "file.toml", CHAIN), overrides(), std::iter::empty()).expect("settings");
    let run = logsift::commands::run::run_files(&settings, vec![file], std::io::sink()).expect("run");
    let hits = |rules: Vec<(String, u64)>| rules.into_iter().collect::<std::collections::BTreeMap<_, _>>();
    assert_eq!(
        hits(summary.hits.iter().map(|((id, _), t)| (id.clone(), t.hits)).collect()),
        hits(run.rules.iter().map(|((id, _), r)| (id.clone(), r.hits)).collect())
    );
    let root = summary.hits.values().next().expect("a rule hit");
    assert!(root.first.is_some_and(|t| t >= stamps[first]) && root.last.is_some_and(|t| t <= stamps[last]), "{root:?}");

    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(client.committed("live", "logs"), before, "the live group's offsets did not move");
}

#[test]
fn a_candidate_rule_set_differs_from_the_current_by_exactly_the_alerts_that_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let examples = support::workspace().join("examples");
    let current = examples.join("rules");
    // The candidate: the root rule widened to admin; the other rule as it is.
    let candidate = dir.path().join("candidate");
    std::fs::create_dir(&candidate).expect("candidate dir");
    let root = std::fs::read_to_string(current.join("ssh_root_password_failed.yml")).expect("rule");
    std::fs::write(candidate.join("root.yml"), root.replace("user.name: root", "user.name:\n            - root\n            - admin"))
        .expect("candidate rule");
    std::fs::copy(current.join("ssh_invalid_user.yml"), candidate.join("invalid.yml")).expect("copy");
    let lines = support::sshd_lines();
    let input = write(dir.path(), "auth.log", &(lines.join("\n") + "\n"));
    let test = Backtest {
        config: examples.join("sigma.toml"),
        overrides: overrides(),
        rules: vec![current],
        candidate: vec![candidate],
        inputs: vec![input],
        ..Backtest::default()
    };
    let mut alerts = Vec::new();
    let summary = backtest::run(&test, &mut alerts).expect("backtest");
    let diff = summary.diff.expect("a difference");

    let (root_failures, admin_failures, invalid) = (
        lines.iter().filter(|l| l.contains("Failed password for root")).count() as u64,
        lines.iter().filter(|l| l.contains("Failed password for invalid user admin")).count() as u64,
        // Sigma's `contains` ignores case: `invalid user admin` lines match too.
        lines.iter().filter(|l| l.to_lowercase().contains("invalid user")).count() as u64,
    );
    let root_rule = &diff.rules["7f0c3f0e-1d55-4a53-9b0e-5a1f2c6d9e01"];
    assert_eq!((root_rule.only_candidate, root_rule.only_current, root_rule.both), (admin_failures, 0, root_failures), "{diff}");
    assert!(root_rule.examples[0].as_deref().is_some_and(|e| e.contains("invalid user admin")), "{diff}");
    let unchanged = &diff.rules["2b9d6c1a-8e4f-4f7b-a3d2-6c5e1f0b9a47"];
    assert_eq!((unchanged.only_candidate, unchanged.only_current, unchanged.both), (0, 0, invalid), "{diff}");
    assert_eq!(diff.rules.len(), 2);
    // Both sets' alerts are written, each marked with its set.
    let text = String::from_utf8(alerts).expect("UTF-8");
    let marked = |set: &str| text.lines().filter(|l| l.contains(&format!("\"backtest\":\"{set}\""))).count() as u64;
    assert_eq!(marked("current"), root_failures + invalid);
    assert_eq!(marked("candidate"), root_failures + admin_failures + invalid);
}

#[test]
fn bad_times_and_missing_ranges_are_refused_with_the_reason() {
    let now = 1_733_800_000_000;
    assert_eq!(backtest::parse_time("-24h", now), Ok(now - 86_400_000));
    assert_eq!(backtest::parse_time("-7d", now), Ok(now - 7 * 86_400_000));
    assert_eq!(backtest::parse_time("now", now), Ok(now));
    assert_eq!(backtest::parse_time("2024-12-10T03:06:40Z", now), Ok(now));
    assert!(backtest::parse_time("-24x", now).unwrap_err().contains("unit"));
    assert!(backtest::parse_time("yesterday", now).unwrap_err().contains("RFC 3339"));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(dir.path(), "file.toml", CHAIN);
    let no_kafka = Backtest { config: config.clone(), overrides: overrides(), from: Some("-1h".into()), ..Backtest::default() };
    let err = backtest::run(&no_kafka, std::io::sink()).unwrap_err().to_string();
    assert!(err.contains("no [kafka] section"), "{err}");
    let files_with_range =
        Backtest { config, overrides: overrides(), from: Some("-1h".into()), inputs: vec!["-".into()], ..Backtest::default() };
    let err = backtest::run(&files_with_range, std::io::sink()).unwrap_err().to_string();
    assert!(err.contains("--from and --to select Kafka timestamps"), "{err}");
}
