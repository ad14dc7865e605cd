//! Service mode in-process against librdkafka's mock cluster (a real Kafka-protocol broker on
//! 127.0.0.1): every input record comes out as an event or a dead letter with its provenance,
//! offsets are committed only for what was delivered, metrics count what was sent, and
//! produce failures, fetch failures and a broker going down lose nothing (rebalances:
//! `kafka_rebalance.rs`).

mod support;

use std::time::Duration;

use rdkafka::mocking::MockCluster;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use support::kafka::Client;
use support::mock_service::*;
use support::service::{Service, ServiceSpec, metric_sum, scrape, service_config};

#[test]
fn every_record_becomes_an_event_or_dead_letter_with_provenance_and_offsets_are_committed() {
    let lines = input();
    let cluster = cluster(1);
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &client.brokers);

    // Input arrives once both workers own their partitions: no rebalance, so no duplicate.
    let service = Service::start(&config);
    service.wait_balanced(2);
    client.produce("logs", &lines);
    // An offset is committed only once every output of it is acknowledged: read after that,
    // so outputs still being retried are not missed.
    assert!(
        client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(90)),
        "offsets committed: {:?}",
        client.committed(GROUP, "logs")
    );
    let out = read_outputs(&client, lines.len() - BROKEN);
    let metrics = scrape(service.addr);
    service.stop().expect("the service stops cleanly");

    assert_eq!(out.events.len(), lines.len() - BROKEN, "one event per sshd line");
    assert_eq!(out.dead.len(), BROKEN, "one dead letter per broken line");
    assert_eq!(out.alerts.len(), 370, "one alert per failed root password line");
    assert_eq!(assert_nothing_lost(&out, &client, lines.len()), 0, "no duplicates without faults");

    // Provenance, keys and content.
    for record in out.events.iter().chain(&out.alerts).chain(&out.dead) {
        let (partition, _) = record.source();
        assert_eq!(record.partition, partition, "outputs keep the input key, so they land on the same partition number");
        assert!(record.key.as_deref().is_some_and(|k| k.starts_with(b"line-")), "the input key is kept");
        assert!(record.header("logsift.plugins").contains("syslog@"), "plugin versions are named");
        assert_eq!(record.header("logsift.source.topic"), "logs");
    }
    for dead in &out.dead {
        assert!(String::from_utf8_lossy(&dead.payload).starts_with("this is not syslog"), "a dead letter is the original bytes");
        assert_eq!(dead.header("logsift.plugin"), "syslog");
        assert!(!dead.header("logsift.error").is_empty());
    }
    let event = out.events[0].json();
    assert!(event["event"]["original"].is_string() && event["event"]["id"].is_string(), "{event}");
    let alert = out.alerts[0].json();
    assert_eq!(alert["rule"]["id"], "logsift.sshd.failed-root-password", "{alert}");
    assert!(alert["alert"]["id"].is_string(), "{alert}");

    // Event ids derive from the source position: distinct per record.
    let ids: std::collections::BTreeSet<_> = out.events.iter().map(|r| r.json()["event"]["id"].as_str().map(str::to_owned)).collect();
    assert_eq!(ids.len(), out.events.len());

    // The metrics count what was sent.
    assert_eq!(metric_sum(&metrics, "logsift_records_in_total"), lines.len() as f64, "{metrics:?}");
    assert_eq!(metrics.get("logsift_records_out_total{output=\"events\"}"), Some(&((lines.len() - BROKEN) as f64)));
    assert_eq!(metrics.get("logsift_records_out_total{output=\"alerts\"}"), Some(&370.0));
    assert_eq!(metrics.get("logsift_dead_letters_total"), Some(&(BROKEN as f64)));
    assert!(metric_sum(&metrics, "logsift_plugin_batch_seconds_count") > 0.0, "{metrics:?}");
    assert!(metrics.get("logsift_assigned_partitions").is_some_and(|n| *n == 4.0), "{metrics:?}");
}

/// Whether the broker accepts a produce request now: a producer that never retries sends one
/// record. Fails while injected produce errors are still waiting for a request to strike.
fn produce_once_without_retries(client: &Client) -> bool {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &client.brokers)
        .set("message.send.max.retries", "0")
        .create()
        .expect("probe producer");
    producer.send(BaseRecord::<(), str>::to("probe").payload("probe")).expect("queue the probe");
    producer.flush(Duration::from_secs(10)).is_ok() && producer.in_flight_count() == 0 && probe_delivered(client)
}

fn probe_delivered(client: &Client) -> bool {
    !client.read_all("probe", 1, Duration::from_secs(5)).is_empty()
}

#[test]
fn failed_produce_and_fetch_requests_are_retried_without_loss() {
    let lines = input();
    let cluster = cluster(1);
    cluster.create_topic("probe", 1, 1).expect("probe topic");
    let client = Client::new(cluster.bootstrap_servers());
    client.produce("logs", &lines);
    // One worker: no rebalance among workers, so no duplicate from one.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_with_workers(dir.path(), &client.brokers, 1);
    // Retriable errors for the next produce and fetch requests: only the service sends any
    // from here on.
    const PRODUCE_ERRORS: usize = 12;
    cluster.request_errors(RDKafkaApiKey::Produce, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; PRODUCE_ERRORS]);
    cluster.request_errors(RDKafkaApiKey::Fetch, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION; 6]);
    let service = Service::start(&config);

    // Committed means every output of it was acknowledged: read after that, so alerts whose
    // produce requests were still being retried are not missed.
    assert!(client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(90)));
    let out = read_outputs(&client, lines.len() - BROKEN);
    service.stop().expect("clean stop");

    assert!(produce_once_without_retries(&client), "all {PRODUCE_ERRORS} injected produce errors struck the service's requests");
    let duplicates = assert_nothing_lost(&out, &client, lines.len());
    assert_eq!(
        out.events.len(),
        lines.len() - BROKEN,
        "retried outputs are not duplicated by the idempotent producer (duplicates {duplicates})"
    );
    assert_eq!(out.dead.len(), BROKEN, "only the broken lines are dead letters");
    assert_eq!(out.alerts.len(), 370);
}

#[test]
fn an_output_the_broker_refuses_for_good_becomes_a_dead_letter() {
    let lines = input();
    let cluster = cluster(1);
    let client = Client::new(cluster.bootstrap_servers());
    client.produce("logs", &lines);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_with_workers(dir.path(), &client.brokers, 1);
    // The service's first produce request is refused for good (record too large).
    cluster.request_errors(RDKafkaApiKey::Produce, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE]);
    let service = Service::start(&config);

    assert!(client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(60)), "{:?}", client.committed(GROUP, "logs"));
    let out = read_outputs(&client, 1);
    let metrics = scrape(service.addr);
    service.stop().expect("clean stop");

    let refused: Vec<_> = out.dead.iter().filter(|d| d.header("logsift.error").contains("refused by the broker")).collect();
    assert!(!refused.is_empty(), "the refusal struck: {:?}", out.dead.iter().map(|d| d.header("logsift.error")).collect::<Vec<_>>());
    for dead in &refused {
        assert_eq!(dead.header("logsift.plugin"), "logsift");
        let (partition, offset) = dead.source();
        // (A refused alert leaves its record's event delivered; a refused event is replaced.)
        if dead.header("logsift.error").starts_with("output events refused") {
            assert!(!out.events.iter().any(|e| e.source() == (partition, offset)), "a refused event is a dead letter instead, not both");
        }
    }
    assert_nothing_lost(&out, &client, lines.len());
    assert_eq!(out.dead.len(), BROKEN + refused.len());
    assert_eq!(metrics.get("logsift_dead_letters_total"), Some(&(out.dead.len() as f64)));
}

#[test]
fn a_broker_going_down_mid_stream_loses_nothing() {
    let lines = input();
    let cluster = cluster(3);
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &client.brokers);
    let service = Service::start(&config);

    // Feed the first half, wait until the service is working on it, take a broker away while
    // the second half arrives, and bring it back.
    let half = lines.len() / 2;
    client.produce("logs", &lines[..half]);
    assert!(client.wait_committed(GROUP, "logs", 1, Duration::from_secs(60)), "the service started consuming");
    let committed_at_fault = client.committed_total(GROUP, "logs");
    cluster.broker_down(2).expect("broker down");
    let feeder = {
        let brokers = client.brokers.clone();
        let rest = lines[half..].to_vec();
        std::thread::spawn(move || Client::new(brokers).produce_from("logs", &rest, half))
    };
    std::thread::sleep(Duration::from_secs(3));
    cluster.broker_up(2).expect("broker up");
    feeder.join().expect("feeder");
    assert!(committed_at_fault < lines.len() as i64, "the fault struck while records were in flight");

    // Offsets are committed only once every output is acknowledged: read the outputs after.
    assert!(client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(60)), "{:?}", client.committed(GROUP, "logs"));
    let out = read_outputs(&client, lines.len() - BROKEN);
    service.stop().expect("clean stop");
    let duplicates = assert_nothing_lost(&out, &client, lines.len());
    eprintln!("committed at the fault {committed_at_fault}, duplicates {duplicates}");
}

#[test]
fn when_the_dead_letter_topic_refuses_too_the_service_stops_loudly_without_committing_past_it() {
    let lines = input();
    let cluster = cluster(1);
    let client = Client::new(cluster.bootstrap_servers());
    client.produce("logs", &lines);
    // Every produce request for a while is refused for good: outputs, then their dead letters.
    cluster.request_errors(RDKafkaApiKey::Produce, &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE; 500]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &client.brokers);

    let service = Service::start(&config);
    let ended = service.thread.as_ref().map(|t| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !t.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        t.is_finished()
    });
    assert_eq!(ended, Some(true), "the service stopped by itself");
    let error = service.stop().expect_err("the service reports the failure");
    let message = format!("{error:#}");
    assert!(message.contains("dead letter") && message.contains("refused"), "{message}");
    let committed = client.committed_total(GROUP, "logs");
    assert_eq!(committed, 0, "no output was delivered, so no offset is committed");
    cluster.clear_request_errors(RDKafkaApiKey::Produce);
}

#[test]
fn a_record_too_large_for_its_producer_is_dead_lettered_cut_and_the_partition_goes_on() {
    let cluster = cluster(1);
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");
    let extra =
        "[outputs.events.producer]\n\"message.max.bytes\" = 100000\n[outputs.dead_letter.producer]\n\"message.max.bytes\" = 50000\n";
    let spec = ServiceSpec {
        brokers: &client.brokers,
        group: GROUP,
        input: "logs",
        workers: 1,
        batch_size: 16,
        chain: &["syslog", "ssh-root-login"],
        extra,
        props: ("", ""),
    };
    let config = service_config(dir.path(), &spec);
    let service = Service::start(&config);
    service.wait_balanced(1);
    let mut lines: Vec<String> = support::sshd_lines().into_iter().take(40).collect();
    let large =
        format!("Dec 10 07:00:00 LabSZ sshd[1]: Failed password for invalid user {} from 198.51.100.1 port 22 ssh2", "u".repeat(150_000));
    lines.insert(20, large.clone());
    client.produce("logs", &lines);

    assert!(client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(60)), "{:?}", client.committed(GROUP, "logs"));
    let dead = client.read_all("dead-letter", 1, Duration::from_secs(30));
    let events = client.read_all("events", 40, Duration::from_secs(30));
    service.stop().expect("the service kept running and stops cleanly");
    assert_eq!(events.len(), 40, "every other record went on");
    assert_eq!(dead.len(), 1);
    assert!(dead[0].header("logsift.error").contains("message.max.bytes = 100000"), "{:?}", dead[0].headers);
    assert_eq!(dead[0].header("logsift.truncated_from"), large.len().to_string());
    assert!(dead[0].payload.len() < 50_000 && large.as_bytes().starts_with(&dead[0].payload), "the dead letter keeps the record's head");
}

#[test]
fn a_quarantined_stage_makes_health_say_degraded_and_raises_an_alert() {
    let cluster = cluster(1);
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");
    // Each batch of 64 asks the plugin for 64 MiB under a 32 MiB cap, though each record
    // alone passes: a fault no record explains, which quarantines it at the first.
    let faulty = "faulty [pipeline.limits]\nmemory_mb = 32\n[pipeline.health]\nmax_failures = 1\n[pipeline.settings]\nbatch_mb = 1\n";
    let spec = ServiceSpec {
        brokers: &client.brokers,
        group: GROUP,
        input: "logs",
        workers: 1,
        batch_size: 64,
        chain: &[faulty],
        extra: "",
        props: ("", ""),
    };
    let service = Service::start(&service_config(dir.path(), &spec));
    service.wait_balanced(1);
    assert_eq!(support::service::http_get(service.addr, "/health").trim_end(), "ok");
    let lines: Vec<String> = (0..200).map(|i| format!("record {i}")).collect();
    client.produce("logs", &lines);
    assert!(client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(60)), "{:?}", client.committed(GROUP, "logs"));
    let health = support::service::http_get(service.addr, "/health");
    let health_status = support::service::http_status(service.addr, "/health");
    let metrics = scrape(service.addr);
    let alerts = client.read_all("alerts", 1, Duration::from_secs(30));
    let events = client.read_all("events", lines.len(), Duration::from_secs(30));
    service.stop().expect("clean stop");
    assert_eq!(health_status, 200, "a liveness probe stays up");
    assert!(health.contains("degraded: stage faulty (enricher) quarantined in 1 worker(s)"), "{health}");
    assert_eq!(metrics.get("logsift_stage_degraded{stage=\"faulty\"}"), Some(&1.0), "{metrics:?}");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].json()["rule"]["id"], "logsift.plugin.degraded");
    assert_eq!(events.len(), lines.len(), "fail-open: every record still comes out");
}

#[test]
fn workers_beyond_the_input_partitions_are_counted_idle_and_check_says_so() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("logs", 1, 1).expect("input topic");
    for topic in ["events", "alerts", "dead-letter"] {
        cluster.create_topic(topic, 1, 1).expect("output topic");
    }
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_with_workers(dir.path(), &client.brokers, 3);
    let service = Service::start(&config);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let settled = |m: &std::collections::BTreeMap<String, f64>| {
        m.get("logsift_input_partitions") == Some(&1.0)
            && m.get("logsift_workers_idle") == Some(&2.0)
            && m.get("logsift_assigned_partitions") == Some(&1.0)
    };
    let mut metrics = scrape(service.addr);
    while !settled(&metrics) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        metrics = scrape(service.addr);
    }
    service.stop().expect("clean stop");
    assert!(settled(&metrics), "one partition, three workers: two idle: {metrics:?}");

    let report = logsift::commands::check::check(&config, logsift::config::Overrides::default()).expect("check");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.notes.iter().any(|n| n.contains("3 workers for 1 input partition(s): 2 worker(s) will sit idle")), "{:?}", report.notes);
}
