//! Kafka helpers for the service tests: an independent client that feeds input topics,
//! reads output topics back whole, and asks the group coordinator what was committed.
//! Everything here talks to a real Kafka-protocol broker (librdkafka's mock cluster or
//! Tansu) over TCP; nothing fakes a broker.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

/// One record read back from an output topic.
#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
}

impl Record {
    /// A consumed message, copied out with its headers as text.
    fn from_message(m: &impl Message) -> Self {
        let headers = m
            .headers()
            .map(|h| h.iter().map(|h| (h.key.to_owned(), String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned())).collect())
            .unwrap_or_default();
        Record {
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().unwrap_or_default().to_vec(),
            headers,
        }
    }

    /// A header's value, or a panic naming it.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap_or_else(|| panic!("record without header {name}: {self:?}"))
    }

    /// The input position this record came from, from its provenance headers.
    pub fn source(&self) -> (i32, i64) {
        (self.header("logsift.source.partition").parse().expect("partition"), self.header("logsift.source.offset").parse().expect("offset"))
    }

    /// The payload as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload)
            .unwrap_or_else(|e| panic!("payload is not JSON ({e}): {}", String::from_utf8_lossy(&self.payload)))
    }
}

/// A test client on a broker.
pub struct Client {
    pub brokers: String,
}

impl Client {
    pub fn new(brokers: impl Into<String>) -> Self {
        Client { brokers: brokers.into() }
    }

    fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        config
    }

    /// Produces lines to a topic, keyed by line number, partitioned by key; waits for every ack.
    pub fn produce(&self, topic: &str, lines: &[String]) {
        self.produce_from(topic, lines, 0);
    }

    /// Like [`Client::produce`], numbering keys from `first`.
    pub fn produce_from(&self, topic: &str, lines: &[String], first: usize) {
        self.produce_stamped(topic, lines, first, None);
    }

    /// Like [`Client::produce_from`], each record stamped with its time (Unix ms) when
    /// `stamps` are given.
    pub fn produce_stamped(&self, topic: &str, lines: &[String], first: usize, stamps: Option<&[i64]>) {
        let producer: BaseProducer = self.config().set("linger.ms", "5").create().expect("test producer");
        for (i, line) in lines.iter().enumerate() {
            let key = format!("line-{}", first + i);
            let mut record = BaseRecord::to(topic).payload(line.as_str()).key(key.as_str());
            if let Some(stamps) = stamps {
                record = record.timestamp(stamps[i]);
            }
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, back)) => {
                        record = back;
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(30)).expect("test producer flush");
    }

    fn partitions(&self, consumer: &BaseConsumer, topic: &str) -> Vec<i32> {
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
        metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect()
    }

    /// Reads every record of a topic, waiting until `at_least` have arrived (or `wait` passed),
    /// then until no more arrive for a second.
    pub fn read_all(&self, topic: &str, at_least: usize, wait: Duration) -> Vec<Record> {
        let consumer: BaseConsumer =
            self.config().set("group.id", "logsift-test-reader").set("enable.auto.commit", "false").create().expect("test consumer");
        let mut list = TopicPartitionList::new();
        for p in self.partitions(&consumer, topic) {
            list.add_partition_offset(topic, p, Offset::Beginning).expect("partition");
        }
        consumer.assign(&list).expect("assign");
        let mut out = Vec::new();
        let deadline = Instant::now() + wait;
        let mut quiet_since = Instant::now();
        loop {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    out.push(Record::from_message(&m));
                    quiet_since = Instant::now();
                }
                Some(Err(e)) => panic!("reading {topic}: {e}"),
                None => {
                    let quiet = quiet_since.elapsed() > Duration::from_secs(1);
                    if (out.len() >= at_least && quiet) || Instant::now() > deadline {
                        return out;
                    }
                }
            }
        }
    }

    /// Reads every record of a topic up to the end each partition has now (its high
    /// watermark, read first): what was acknowledged before the call is all there.
    pub fn read_to_end(&self, topic: &str) -> Vec<Record> {
        let consumer: BaseConsumer =
            self.config().set("group.id", "logsift-test-reader").set("enable.auto.commit", "false").create().expect("test consumer");
        let mut list = TopicPartitionList::new();
        let mut ends = BTreeMap::new();
        for p in self.partitions(&consumer, topic) {
            let (_, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10)).expect("watermarks");
            if high > 0 {
                list.add_partition_offset(topic, p, Offset::Beginning).expect("partition");
                ends.insert(p, high);
            }
        }
        let mut out = Vec::new();
        if ends.is_empty() {
            return out;
        }
        consumer.assign(&list).expect("assign");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ends.is_empty() {
            assert!(Instant::now() < deadline, "reading {topic} to its end: partitions {ends:?} not reached");
            let Some(message) = consumer.poll(Duration::from_millis(100)) else { continue };
            let m = message.unwrap_or_else(|e| panic!("reading {topic}: {e}"));
            if ends.get(&m.partition()).is_some_and(|end| m.offset() + 1 >= *end) {
                ends.remove(&m.partition());
            }
            out.push(Record::from_message(&m));
        }
        out
    }

    /// Creates topics (an existing topic is fine).
    pub fn create_topics(&self, topics: &[&str], partitions: i32) {
        use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
        use rdkafka::client::DefaultClientContext;
        let admin: AdminClient<DefaultClientContext> = self.config().create().expect("admin client");
        let new: Vec<_> = topics.iter().map(|t| NewTopic::new(t, partitions, TopicReplication::Fixed(1))).collect();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let results = runtime
            .block_on(admin.create_topics(&new, &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)))))
            .expect("create topics");
        for result in results {
            if let Err((topic, code)) = result {
                assert_eq!(code, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists, "creating {topic}: {code}");
            }
        }
    }

    /// The offsets a group has committed on a topic, per partition (absent: nothing committed).
    pub fn committed(&self, group: &str, topic: &str) -> BTreeMap<i32, i64> {
        let consumer: BaseConsumer = self.config().set("group.id", group).create().expect("offset client");
        let mut list = TopicPartitionList::new();
        for p in self.partitions(&consumer, topic) {
            list.add_partition(topic, p);
        }
        let committed = consumer.committed_offsets(list, Duration::from_secs(10)).expect("committed offsets");
        committed
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(o) => Some((e.partition(), o)),
                _ => None,
            })
            .collect()
    }

    /// The sum of a group's committed offsets on a topic.
    pub fn committed_total(&self, group: &str, topic: &str) -> i64 {
        self.committed(group, topic).values().sum()
    }

    /// Waits until the group has committed `total` records of the topic; returns whether it did.
    pub fn wait_committed(&self, group: &str, topic: &str, total: i64, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if self.committed_total(group, topic) >= total {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    }
}

/// Checks that every record of the input topic appears among `outputs` (by their provenance
/// headers) at least once; returns how many appear more than once (at-least-once replays).
pub fn assert_nothing_lost(client: &Client, input_topic: &str, inputs: usize, outputs: &[&Record]) -> usize {
    let seen = positions(outputs.iter().copied());
    let produced = client.read_all(input_topic, inputs, Duration::from_secs(30));
    assert_eq!(produced.len(), inputs, "the input topic holds what the test produced");
    let lost: Vec<_> = produced.iter().map(|r| (r.partition, r.offset)).filter(|p| !seen.contains_key(p)).collect();
    assert!(lost.is_empty(), "{} input records lost, e.g. {:?}", lost.len(), &lost[..lost.len().min(5)]);
    seen.values().map(|n| n - 1).sum()
}

/// Every input position `(partition, offset)` of the outputs, with how often each was seen.
pub fn positions<'a>(records: impl IntoIterator<Item = &'a Record>) -> BTreeMap<(i32, i64), usize> {
    let mut seen = BTreeMap::new();
    for r in records {
        *seen.entry(r.source()).or_insert(0) += 1;
    }
    seen
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port")
}

/// A Tansu broker on a free port, when the binary is installed (`make tools` installs it).
pub struct Tansu {
    child: Child,
    pub addr: SocketAddr,
}

impl Tansu {
    pub fn start() -> Option<Self> {
        let path = std::env::var_os("LOGSIFT_TANSU").map(PathBuf::from).unwrap_or_else(|| super::workspace().join("target/tools/tansu"));
        if !path.exists() {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "Tansu is missing at {} (`make tools` installs it)", path.display());
            eprintln!("skipping: no Tansu at {}", path.display());
            return None;
        }
        let addr = free_port();
        let url = format!("tcp://{addr}");
        let child = Command::new(path)
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting tansu");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "tansu did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Tansu { child, addr })
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the Kafka benches run on: the OpenSSH sample's lines, a Tansu broker and a client of
/// it; `None` (with the reason on stderr) when the sample or Tansu is missing.
pub fn bench_broker() -> Option<(Vec<String>, Tansu, Client)> {
    let Some(lines) = super::shared_lines("data/loghub/OpenSSH_2k.log") else {
        eprintln!("bench skipped: ../shared/data/loghub/OpenSSH_2k.log is needed");
        return None;
    };
    let Some(tansu) = Tansu::start() else {
        eprintln!("bench skipped: `make tools` installs the Tansu broker it needs");
        return None;
    };
    let client = Client::new(tansu.addr.to_string());
    Some((lines, tansu, client))
}
