//! Rebalance after rebalance while records are in flight (librdkafka's mock cluster, eager
//! and cooperative assignment): the ledger of commits against outputs is sampled as it goes,
//! and nothing is committed before it is delivered, nothing is lost, duplicates are counted.

mod support;

use std::time::Duration;

use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use support::kafka::Client;
use support::mock_service::{BROKEN, GROUP, cluster, config, input, read_outputs};
use support::service::Service;

/// What was committed at one moment, and what the outputs held right after.
struct LedgerSample {
    committed: std::collections::BTreeMap<i32, i64>,
    /// Input positions with an event or a dead letter.
    delivered: std::collections::BTreeSet<(i32, i64)>,
    /// Input positions with an alert.
    alerted: std::collections::BTreeSet<(i32, i64)>,
}

fn sample_ledger(client: &Client) -> LedgerSample {
    // Committed first: every output acknowledged before that commit is in the topics now.
    let committed = client.committed(GROUP, "logs");
    let mut delivered = std::collections::BTreeSet::new();
    for topic in ["events", "dead-letter"] {
        delivered.extend(client.read_to_end(topic).iter().map(support::kafka::Record::source));
    }
    let alerted = client.read_to_end("alerts").iter().map(support::kafka::Record::source).collect();
    LedgerSample { committed, delivered, alerted }
}

/// A second service joins the group and leaves it, round after round, while records are in
/// flight and produce requests fail now and then. At every sample, each committed input
/// record already has all of its outputs in the topics (its event or dead letter, and its
/// alert when it raises one); at the end the commits reach the end of every partition and
/// every input line is found in the outputs by content.
fn rebalances_keep_the_ledger(strategy: &str) {
    let rounds: usize = std::env::var("REBALANCE_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let lines = input();
    let cluster = cluster(1);
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &client.brokers);
    let text = std::fs::read_to_string(&config).expect("config");
    let assignment = format!("[kafka.consumer]\n\"partition.assignment.strategy\" = {strategy:?}\n");
    std::fs::write(&config, text.replacen("[kafka.consumer]\n", &assignment, 1)).expect("config");
    let service = Service::start(&config);

    let chunks: Vec<&[String]> = lines.chunks(lines.len().div_ceil(2 * rounds)).collect();
    let mut produced = 0;
    let mut feed = |chunk: &[String]| {
        client.produce_from("logs", chunk, produced);
        produced += chunk.len();
    };
    let mut samples = Vec::new();
    for round in 0..rounds {
        feed(chunks[2 * round]);
        if round == 0 {
            // Commits are flowing before the churn starts, so every sample has some to check.
            assert!(client.wait_committed(GROUP, "logs", 1, Duration::from_secs(60)), "the service started committing");
        }
        let second = Service::start(&config);
        cluster.request_errors(RDKafkaApiKey::Produce, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; 4]);
        if let Some(chunk) = chunks.get(2 * round + 1) {
            feed(chunk);
        }
        samples.push(sample_ledger(&client));
        std::thread::sleep(Duration::from_millis(500));
        second.stop().expect("the second service stops cleanly");
        samples.push(sample_ledger(&client));
    }
    assert_eq!(produced, lines.len());
    assert!(
        client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(120)),
        "the commits reach the end of every partition: {:?}",
        client.committed(GROUP, "logs")
    );
    let out = read_outputs(&client, lines.len() - BROKEN);
    service.stop().expect("clean stop");

    // The input by position, to say what each committed record should have produced.
    let inputs: std::collections::BTreeMap<(i32, i64), String> = client
        .read_all("logs", lines.len(), Duration::from_secs(30))
        .into_iter()
        .map(|r| ((r.partition, r.offset), String::from_utf8(r.payload).expect("UTF-8")))
        .collect();
    assert_eq!(inputs.len(), lines.len());
    let raises_alert = |line: &str| line.contains("Failed password for root");
    for (i, sample) in samples.iter().enumerate() {
        for (&partition, &end) in &sample.committed {
            for offset in 0..end {
                let at = (partition, offset);
                assert!(sample.delivered.contains(&at), "sample {i}: {at:?} committed before its event or dead letter was acknowledged");
                if raises_alert(&inputs[&at]) {
                    assert!(sample.alerted.contains(&at), "sample {i}: {at:?} committed before its alert was acknowledged");
                }
            }
        }
    }
    let committed_mid_run: i64 = samples.iter().map(|s| s.committed.values().sum::<i64>()).max().unwrap_or(0);
    assert!(committed_mid_run > 0, "the samples saw commits while the group churned");

    // Nothing lost, by content: every line is an event's original or a dead letter's bytes.
    let mut found: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for event in &out.events {
        *found.entry(event.json()["event"]["original"].as_str().expect("original").to_owned()).or_default() += 1;
    }
    for dead in &out.dead {
        *found.entry(String::from_utf8(dead.payload.clone()).expect("UTF-8")).or_default() += 1;
    }
    let lost: Vec<&String> = lines.iter().filter(|l| !found.contains_key(*l)).collect();
    assert!(lost.is_empty(), "{} lines lost, e.g. {:?}", lost.len(), &lost[..lost.len().min(3)]);
    let duplicates: usize = found.values().map(|n| n - 1).sum();
    assert_eq!(out.alerts.iter().map(|a| a.source()).collect::<std::collections::BTreeSet<_>>().len(), 370, "every alert is there");
    eprintln!("{strategy}: {rounds} rounds, {} samples, {duplicates} duplicate outputs (at-least-once replays)", samples.len());
}

#[test]
fn eager_rebalances_while_records_are_in_flight_lose_nothing_and_commit_only_what_was_delivered() {
    rebalances_keep_the_ledger("range,roundrobin");
}

#[test]
fn cooperative_rebalances_while_records_are_in_flight_lose_nothing_and_commit_only_what_was_delivered() {
    rebalances_keep_the_ledger("cooperative-sticky");
}
