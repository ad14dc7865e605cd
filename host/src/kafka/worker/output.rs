//! A worker's output side: rendering what a batch became into records, producing them with
//! their provenance headers, and taking in the broker's answers — crediting the input
//! records they stand for, dead-lettering a record whose output is refused, and storing the
//! offsets that are then complete.

use std::sync::Arc;

use foldhash::HashMap;
use logsift_event::Origin;
use rdkafka::consumer::Consumer;
use rdkafka::message::{Header, OwnedHeaders};

use super::super::inflight;
use super::super::sink::{Ack, Delivery};
use super::super::tracker::PartitionKey;
use super::{HEADROOM, Worker, WorkerError};
use crate::metrics::{OutputLabels, TopicLabels};
use crate::pipeline::{ALERTS_SHADOW, Content, DEAD_LETTER, InputRecord, Payload};

impl Worker {
    pub(super) fn topic(&mut self, output: &str) -> Arc<str> {
        if let Some(topic) = self.topics.get(output) {
            return Arc::clone(topic);
        }
        let topic: Arc<str> = Arc::from(self.settings.topic_for(output));
        self.topics.insert(output.to_owned(), Arc::clone(&topic));
        topic
    }

    pub(super) fn output(&mut self, name: &str) -> Arc<str> {
        if let Some(output) = self.outputs.get(name) {
            return Arc::clone(output);
        }
        let output: Arc<str> = Arc::from(name);
        self.outputs.insert(name.to_owned(), Arc::clone(&output));
        output
    }

    pub(super) fn headers(&self, key: &PartitionKey, offset: i64) -> OwnedHeaders {
        let (mut partition, mut offset_text) = (itoa::Buffer::new(), itoa::Buffer::new());
        OwnedHeaders::new_with_capacity(5)
            .insert(Header { key: "logsift.source.topic", value: Some(key.0.as_bytes()) })
            .insert(Header { key: "logsift.source.partition", value: Some(partition.format(key.1).as_bytes()) })
            .insert(Header { key: "logsift.source.offset", value: Some(offset_text.format(offset).as_bytes()) })
            .insert(Header { key: "logsift.plugins", value: Some(self.plugins_header.as_bytes()) })
            .insert(Header { key: "logsift.generation", value: Some(self.generation_header.as_bytes()) })
    }

    /// Produces everything a batch became, then tracks its input records (taking their
    /// bytes, which a dead letter needs should an output be refused later). Acknowledgements
    /// are only read between batches, so none can arrive before its record is tracked.
    pub(super) fn produce(
        &mut self,
        inputs: Vec<InputRecord>,
        keys: &[PartitionKey],
        epochs: &[u64],
        out: &crate::pipeline::ChainOutput,
    ) -> Result<(), WorkerError> {
        let mut json = std::mem::take(&mut self.json);
        for item in out.items() {
            let source = item.source as usize;
            let Origin::Kafka { offset, key: record_key, .. } = &inputs[source].origin else { continue };
            let key_len = record_key.as_ref().map_or(0, |k| k.len());
            let (mut output_name, mut dead) = match item.content {
                Content::Routed(Payload::DeadLetter(dead)) => (item.output, Some((dead.reason.clone(), Arc::clone(&dead.plugin)))),
                _ => (item.output, None),
            };
            json.clear();
            let rendered = match dead {
                Some(_) => None,
                None => {
                    self.renderer.write(&item, &inputs, None, &mut json)?;
                    Some(json.as_slice())
                }
            };
            // Nothing may be larger than its producer sends: a rendered record that would not
            // fit becomes a dead letter; a dead letter keeps as much of the record as fits.
            if let Some(json) = &rendered
                && json.len() + key_len + HEADROOM > self.producers.max_message_bytes(output_name)
            {
                let reason = format!(
                    "the {output_name} record rendered from it is {} bytes, more than the producer's message.max.bytes = {}",
                    json.len(),
                    self.producers.max_message_bytes(output_name)
                );
                (output_name, dead) = (DEAD_LETTER, Some((reason, Arc::from(crate::pipeline::HOST))));
            }
            let (payload, headers): (std::borrow::Cow<'_, [u8]>, _) = match (&dead, rendered) {
                (Some((reason, plugin)), _) => {
                    let raw = inputs[source].raw.as_slice();
                    let room = self.producers.max_message_bytes(output_name).saturating_sub(key_len + HEADROOM + reason.len());
                    let kept = &raw[..raw.len().min(room)];
                    let whole = raw.len().to_string();
                    let mut headers = self
                        .headers(&keys[source], *offset)
                        .insert(Header { key: "logsift.error", value: Some(reason.as_bytes()) })
                        .insert(Header { key: "logsift.plugin", value: Some(plugin.as_bytes()) });
                    if kept.len() < raw.len() {
                        headers = headers.insert(Header { key: "logsift.truncated_from", value: Some(whole.as_bytes()) });
                    }
                    (kept.into(), headers)
                }
                (None, Some(rendered)) => (rendered.into(), self.headers(&keys[source], *offset)),
                (None, None) => continue,
            };
            let output = self.output(output_name);
            let slot = self.in_flight.insert(Delivery {
                partition: keys[source].clone(),
                offset: *offset,
                epoch: epochs[source],
                dead_letter: &*output == DEAD_LETTER,
                output,
                bytes: payload.len(),
            });
            let topic = self.topic(output_name);
            self.producers.send((output_name, &topic), &payload, record_key.as_deref(), headers, inflight::token(self.id, slot))?;
        }
        self.json = json;
        // Status page: records per partition, dead letters and rule hits (one call per batch;
        // it locks once, and only when the batch had dead letters or alerts).
        self.metrics.record_batch(&inputs, keys, out);
        let counts = out.counts(inputs.len());
        let mut per_topic: HashMap<Arc<str>, u64> = HashMap::default();
        for (((input, key), epoch), count) in inputs.into_iter().zip(keys).zip(epochs).zip(counts) {
            let Origin::Kafka { offset, key: record_key, .. } = input.origin else { continue };
            if !self.tracker.add(key, *epoch, offset, count, input.raw, record_key.map(|k| k.to_vec())) {
                // Read before its partition was revoked: its new owner reads it again.
                tracing::debug!(worker = self.id, topic = %key.0, partition = key.1, offset, "record of a revoked assignment not tracked");
            }
            *per_topic.entry(Arc::clone(&key.0)).or_default() += 1;
        }
        for (topic, n) in per_topic {
            self.metrics.records_in.get_or_create(&TopicLabels { topic: topic.to_string() }).inc_by(n);
        }
        Ok(())
    }

    /// Takes in the acknowledgements received so far and stores the offsets they free.
    pub(super) fn settle(&mut self) -> Result<(), WorkerError> {
        while let Ok(ack) = self.acks.try_recv() {
            self.on_ack(ack)?;
        }
        self.store_offsets();
        Ok(())
    }

    /// Adds the deliveries counted since the last call to the metrics (once per batch, not
    /// once per record).
    pub(super) fn count_delivered(&mut self) {
        for (output, (n, bytes)) in self.delivered.drain() {
            let labels = OutputLabels { output: output.to_string() };
            self.metrics.records_out.get_or_create(&labels).inc_by(n);
            self.metrics.output_bytes.get_or_create(&labels).inc_by(bytes);
            if &*output == DEAD_LETTER {
                self.metrics.dead_letters.inc_by(n);
            }
        }
    }

    pub(super) fn on_ack(&mut self, ack: Ack) -> Result<(), WorkerError> {
        let Some(d) = self.in_flight.take(inflight::split(ack.token).1) else {
            tracing::warn!(worker = self.id, token = ack.token, "an acknowledgement for no record in flight");
            return Ok(());
        };
        match ack.error {
            None => {
                let counts = self.delivered.entry(Arc::clone(&d.output)).or_default();
                *counts = (counts.0 + 1, counts.1 + d.bytes as u64);
            }
            Some(error) if &*d.output == ALERTS_SHADOW => {
                // A rule on trial never costs a live record: its refused alert is only logged.
                tracing::warn!(worker = self.id, topic = %d.partition.0, partition = d.partition.1, offset = d.offset, "shadow alert refused by the broker ({error}); not retried");
            }
            Some(error) if d.dead_letter => {
                return Err(WorkerError::DeadLetterRefused {
                    topic: d.partition.0.to_string(),
                    partition: d.partition.1,
                    offset: d.offset,
                    error,
                });
            }
            Some(error) => {
                tracing::error!(worker = self.id, output = %d.output, topic = %d.partition.0, partition = d.partition.1, offset = d.offset, "output refused by the broker ({error}); sending the record to dead letter");
                if let Some((raw, record_key)) = self.tracker.original(&d.partition, d.epoch, d.offset) {
                    self.tracker.add_output(&d.partition, d.epoch, d.offset);
                    let reason = format!("output {} refused by the broker: {error}", d.output);
                    // Status page: the dead letter and its reason.
                    let source = format!("{}[{}]@{}", d.partition.0, d.partition.1, d.offset);
                    self.metrics.activity.dead_letter("logsift", &reason, source, &raw);
                    let headers = self
                        .headers(&d.partition, d.offset)
                        .insert(Header { key: "logsift.error", value: Some(reason.as_bytes()) })
                        .insert(Header { key: "logsift.plugin", value: Some(b"logsift") });
                    let output = self.output(DEAD_LETTER);
                    let slot = self.in_flight.insert(Delivery {
                        partition: d.partition.clone(),
                        offset: d.offset,
                        epoch: d.epoch,
                        output,
                        dead_letter: true,
                        bytes: raw.len(),
                    });
                    let topic = self.topic(DEAD_LETTER);
                    let token = inflight::token(self.id, slot);
                    self.producers.send((DEAD_LETTER, &topic), &raw, record_key.as_deref(), headers, token)?;
                }
            }
        }
        self.tracker.ack(&d.partition, d.epoch, d.offset);
        Ok(())
    }

    pub(super) fn store_offsets(&mut self) {
        self.count_delivered();
        for ((topic, partition), offset) in self.tracker.take_committable() {
            if let Err(e) = self.consumer.store_offset(&topic, partition, offset) {
                // The partition was revoked meanwhile: its new owner starts from the last commit.
                tracing::debug!(worker = self.id, %topic, partition, offset, "offset not stored: {e}");
            }
        }
    }
}
