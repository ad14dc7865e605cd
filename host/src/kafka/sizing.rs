//! The sizing rule: partitions = cores = consumers. A worker is one consumer of the group,
//! and a partition is read by one consumer at a time, so workers beyond the input's
//! partition count (over every process of the group) sit idle. At start the service asks
//! the brokers how many partitions the input topics have, says so in the log and in
//! `/metrics` (`logsift_input_partitions`, `logsift_workers_idle`), and warns when this
//! process alone has more workers than there are partitions; `logsift check` says the same
//! when the brokers are reachable.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use super::client;
use crate::config::KafkaConfig;

/// The partitions of the input topics, or why they are not known.
pub fn input_partitions(kafka: &KafkaConfig, timeout: Duration) -> Result<usize, String> {
    if kafka.topic_pattern.is_some() {
        return Err("the input is a topic pattern: its partitions are known once subscribed".into());
    }
    let consumer: BaseConsumer =
        client::consumer(kafka, "logsift-sizing").map_err(|e| e.to_string())?.create().map_err(|e| e.to_string())?;
    let mut total = 0;
    for topic in &kafka.topics {
        let metadata = consumer.fetch_metadata(Some(topic), timeout).map_err(|e| format!("asking the brokers about {topic}: {e}"))?;
        let partitions = metadata.topics().iter().find(|t| t.name() == topic).map_or(0, |t| t.partitions().len());
        if partitions == 0 {
            return Err(format!("the brokers know no partition of the input topic {topic}"));
        }
        total += partitions;
    }
    Ok(total)
}

/// What to say when `workers` of one process meet `partitions` input partitions: a
/// warning when some workers can never get a partition.
pub fn advice(workers: usize, partitions: usize) -> Option<String> {
    (workers > partitions).then(|| {
        format!(
            "{workers} workers for {partitions} input partition(s): {} worker(s) will sit idle \
             (partitions = cores = consumers: add partitions to the input topics, or set workers = {partitions})",
            workers - partitions
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_workers_than_partitions_is_a_warning_naming_both_fixes() {
        let said = advice(4, 1).expect("a warning");
        assert!(said.starts_with("4 workers for 1 input partition(s): 3 worker(s) will sit idle"), "{said}");
        assert!(said.contains("set workers = 1"), "{said}");
        assert_eq!(advice(2, 2), None);
        assert_eq!(advice(2, 8), None, "more partitions than workers: other processes of the group take the rest");
    }
}
