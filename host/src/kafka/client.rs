//! librdkafka client settings: logsift's defaults, the operator's properties over them, and
//! TLS/SASL with the password read from an environment variable or a file. The password
//! goes into librdkafka's configuration only; it is never logged or printed.

use rdkafka::ClientConfig;

use crate::config::{KafkaConfig, KafkaProps, SecurityConfig};

/// Why a client configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The SASL password could not be read.
    #[error("kafka.security: {0}")]
    Secret(String),
    /// Neither `topics` nor `topic_pattern` is set, or both are.
    #[error("kafka: set exactly one of `topics` and `topic_pattern`")]
    Input,
    /// A property logsift's delivery guarantee depends on was configured.
    #[error("{section}.{key} cannot be set: {why}")]
    Fixed {
        /// Where it was set (`kafka.consumer`, `kafka.producer`, `outputs.<name>.producer`).
        section: String,
        /// The property.
        key: &'static str,
        /// What logsift sets it to, and why.
        why: &'static str,
    },
}

const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("enable.auto.commit", "true"),
    ("auto.commit.interval.ms", "1000"),
    ("fetch.min.bytes", "1"),
    ("fetch.wait.max.ms", "100"),
    ("auto.offset.reset", "earliest"),
    ("session.timeout.ms", "10000"),
    ("statistics.interval.ms", "5000"),
];

/// A property logsift's at-least-once guarantee depends on: its value, and why.
type Fixed = (&'static str, &'static str, &'static str);

/// Consumer properties logsift sets and refuses from the configuration.
const CONSUMER_FIXED: &[Fixed] = &[(
    "enable.auto.offset.store",
    "false",
    "logsift stores an input offset itself, once every output of that record (and of every earlier one) is acknowledged",
)];

/// Producer properties logsift sets and refuses from the configuration.
const PRODUCER_FIXED: &[Fixed] = &[(
    "message.timeout.ms",
    "0",
    "logsift lets librdkafka retry an output until the broker takes it (0: no timeout); a timeout would turn a broker outage into dead letters and then a stopped worker",
)];

const PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("linger.ms", "5"),
    ("batch.size", "1000000"),
    ("compression.type", "lz4"),
    ("enable.idempotence", "true"),
    ("statistics.interval.ms", "5000"),
];

fn base(
    kafka: &KafkaConfig,
    defaults: &[(&str, &str)],
    layers: &[(&str, &KafkaProps)],
    fixed: &[Fixed],
) -> Result<ClientConfig, ClientError> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &kafka.brokers);
    for (key, value) in defaults {
        config.set(*key, *value);
    }
    for (section, layer) in layers {
        for (key, value) in *layer {
            if let Some((key, _, why)) = fixed.iter().find(|(fixed, _, _)| fixed == key) {
                return Err(ClientError::Fixed { section: (*section).to_owned(), key, why });
            }
            config.set(key, value.to_string());
        }
    }
    for (key, value, _) in fixed {
        config.set(*key, *value);
    }
    security(&mut config, &kafka.security)?;
    Ok(config)
}

/// The configuration of one worker's consumer.
pub fn consumer(kafka: &KafkaConfig, client_id: &str) -> Result<ClientConfig, ClientError> {
    if kafka.topics.is_empty() == kafka.topic_pattern.is_none() {
        return Err(ClientError::Input);
    }
    let mut config = base(kafka, CONSUMER_DEFAULTS, &[("kafka.consumer", &kafka.consumer)], CONSUMER_FIXED)?;
    config.set("group.id", &kafka.group_id).set("client.id", client_id);
    Ok(config)
}

/// The configuration of a producer for an output (`name`, with its extra properties), or
/// of the producer shared by the outputs without their own (`name` is `None`).
pub fn producer(kafka: &KafkaConfig, output: (Option<&str>, &KafkaProps), client_id: &str) -> Result<ClientConfig, ClientError> {
    let section = output.0.map(|name| format!("outputs.{name}.producer"));
    let layers = [("kafka.producer", &kafka.producer), (section.as_deref().unwrap_or("kafka.producer"), output.1)];
    let mut config = base(kafka, PRODUCER_DEFAULTS, &layers, PRODUCER_FIXED)?;
    config.set("client.id", client_id);
    Ok(config)
}

/// Builds every client configuration the settings ask for without contacting a broker:
/// what `logsift check` reports before a service would fail to start.
pub fn check_properties(settings: &crate::config::Settings) -> Result<(), ClientError> {
    let Some(kafka) = &settings.kafka else { return Ok(()) };
    consumer(kafka, "logsift-check")?;
    producer(kafka, (None, &KafkaProps::new()), "logsift-check")?;
    for (name, output) in &settings.outputs {
        producer(kafka, (Some(name), &output.producer), "logsift-check")?;
    }
    Ok(())
}

/// The topics (or the one pattern) to subscribe to.
pub fn subscription(kafka: &KafkaConfig) -> Vec<String> {
    match &kafka.topic_pattern {
        Some(pattern) => vec![pattern.clone()],
        None => kafka.topics.clone(),
    }
}

fn security(config: &mut ClientConfig, security: &SecurityConfig) -> Result<(), ClientError> {
    let paths = [
        ("security.protocol", security.protocol.clone()),
        ("sasl.mechanism", security.sasl_mechanism.clone()),
        ("sasl.username", security.username.clone()),
        ("ssl.ca.location", security.ca_location.as_ref().map(|p| p.display().to_string())),
        ("ssl.certificate.location", security.certificate_location.as_ref().map(|p| p.display().to_string())),
        ("ssl.key.location", security.key_location.as_ref().map(|p| p.display().to_string())),
    ];
    for (key, value) in paths {
        if let Some(value) = value {
            config.set(key, value);
        }
    }
    if let Some(password) = password(security)? {
        config.set("sasl.password", password);
    }
    Ok(())
}

/// Reads the SASL password from where the configuration says it is.
fn password(security: &SecurityConfig) -> Result<Option<String>, ClientError> {
    match (&security.password_env, &security.password_file) {
        (Some(_), Some(_)) => Err(ClientError::Secret("set password_env or password_file, not both".into())),
        (Some(var), None) => std::env::var(var)
            .map(Some)
            .map_err(|_| ClientError::Secret(format!("the environment variable {var} named by password_env is not set"))),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|text| Some(text.trim_end_matches(['\n', '\r']).to_owned()))
            .map_err(|e| ClientError::Secret(format!("cannot read password_file {}: {}", path.display(), e.kind()))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kafka(security: SecurityConfig) -> KafkaConfig {
        KafkaConfig {
            brokers: "b:9092".into(),
            group_id: "g".into(),
            topics: vec!["logs".into()],
            topic_pattern: None,
            consumer: KafkaProps::new(),
            producer: KafkaProps::new(),
            security,
            drain_timeout_secs: 1,
        }
    }

    #[test]
    fn the_password_comes_from_a_file_and_never_shows_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        let sec = SecurityConfig { password_file: Some(file), ..SecurityConfig::default() };
        let config = consumer(&kafka(sec), "c").unwrap();
        assert_eq!(config.get("sasl.password"), Some("s3cret"));
        let missing = SecurityConfig { password_env: Some("LOGSIFT_TEST_SURELY_UNSET".into()), ..SecurityConfig::default() };
        let err = consumer(&kafka(missing), "c").unwrap_err().to_string();
        assert!(err.contains("LOGSIFT_TEST_SURELY_UNSET") && !err.contains("s3cret"), "{err}");
    }

    #[test]
    fn properties_the_guarantee_depends_on_are_set_by_logsift_and_refused_with_the_key() {
        let mut k = kafka(SecurityConfig::default());
        k.consumer.insert("fetch.min.bytes".into(), crate::config::PropValue::Int(1024));
        let config = consumer(&k, "c").unwrap();
        assert_eq!(config.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(config.get("fetch.min.bytes"), Some("1024"), "other properties pass through");
        let config = producer(&k, (None, &KafkaProps::new()), "p").unwrap();
        assert_eq!(config.get("message.timeout.ms"), Some("0"));

        k.consumer.insert("enable.auto.offset.store".into(), crate::config::PropValue::Bool(true));
        let err = consumer(&k, "c").unwrap_err().to_string();
        assert!(err.starts_with("kafka.consumer.enable.auto.offset.store cannot be set"), "{err}");
        let mut own = KafkaProps::new();
        own.insert("message.timeout.ms".into(), crate::config::PropValue::Int(30000));
        let err = producer(&k, (Some("alerts"), &own), "p").unwrap_err().to_string();
        assert!(err.starts_with("outputs.alerts.producer.message.timeout.ms cannot be set"), "{err}");
    }

    #[test]
    fn exactly_one_input_is_required() {
        let mut k = kafka(SecurityConfig::default());
        k.topic_pattern = Some("^logs-.*".into());
        assert!(matches!(consumer(&k, "c"), Err(ClientError::Input)));
    }
}
