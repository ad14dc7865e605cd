//! The HTTP endpoint of service mode: `/` (the live status page, with `/status.js`,
//! `/status.css` and the `/status.json` it polls), `/metrics` (Prometheus), `/health` (the
//! process is alive), `/ready` (partitions are assigned and workers are consuming) and
//! `/plugins` (the running generation's plugins, their counters, and what the last reload
//! refused). It binds to 127.0.0.1 unless configured otherwise.
//!
//! Every route sits behind [`guard`]: a request whose `Host` does not name this endpoint is
//! refused (DNS rebinding), and every response carries a strict Content-Security-Policy.
//! [`history`] samples throughput and lag per partition for the page; [`page`] serves it.

pub mod guard;
pub mod history;
pub mod page;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::metrics::Metrics;
use crate::reload::Pipeline;

/// What the endpoint reports on.
pub struct Status {
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// The running plugins.
    pub pipeline: Arc<Pipeline>,
    /// Set while shutting down: `/ready` then fails so traffic moves elsewhere.
    pub stopping: AtomicBool,
    /// Throughput and lag per partition over the last minutes.
    pub history: history::History,
    /// When the endpoint's status began.
    pub started: Instant,
}

impl Status {
    /// The status of a service with these metrics and this pipeline.
    pub fn new(metrics: Arc<Metrics>, pipeline: Arc<Pipeline>) -> Self {
        Status { metrics, pipeline, stopping: AtomicBool::new(false), history: history::History::default(), started: Instant::now() }
    }
}

async fn metrics(State(status): State<Arc<Status>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], status.metrics.encode())
}

/// Seconds since the Unix epoch (0 for a time before it).
pub fn unix_seconds(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// The running generation's plugins with their counters, and what the last reload refused.
async fn plugins(State(status): State<Arc<Status>>) -> axum::Json<serde_json::Value> {
    let generation = status.pipeline.current();
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let plugins: Vec<_> = generation
        .stages
        .iter()
        .map(|(p, _)| {
            serde_json::json!({
                "stage": &*p.name,
                "plugin": p.meta.name,
                "version": p.meta.version,
                "kind": p.meta.kind.to_string(),
                "hash": p.hash,
                "path": p.path.display().to_string(),
                "loaded_at": unix_seconds(p.loaded_at),
                "status": "running",
                "calls": load(&p.counters.calls),
                "records": load(&p.counters.records),
                "faults": load(&p.counters.faults),
                "alerts": load(&p.counters.alerts),
            })
        })
        .collect();
    let refused: Vec<_> = status
        .pipeline
        .refusals()
        .into_iter()
        .map(|r| serde_json::json!({"path": r.path.display().to_string(), "status": "refused", "reason": r.reason, "kept_previous": r.kept_previous, "at": unix_seconds(r.at)}))
        .collect();
    axum::Json(
        serde_json::json!({"generation": generation.id, "created": unix_seconds(generation.created), "plugins": plugins, "refused": refused}),
    )
}

/// Liveness: always 200 while the process serves (a probe that failed would get it
/// restarted, which cures nothing), with `degraded: …` naming the stages quarantined in
/// some worker — their records skip them or are dead-lettered — instead of `ok`.
async fn health(State(status): State<Arc<Status>>) -> String {
    let degraded = status.metrics.degraded_stages();
    if degraded.is_empty() {
        return "ok\n".into();
    }
    let generation = status.pipeline.current();
    let stages: Vec<String> = degraded
        .iter()
        .map(|(stage, workers)| {
            let kind = generation.stages.iter().find(|(p, _)| &*p.name == stage).map(|(p, _)| p.meta.kind.to_string());
            format!("stage {stage} ({}) quarantined in {workers} worker(s)", kind.as_deref().unwrap_or("unloaded"))
        })
        .collect();
    format!("degraded: {}\n", stages.join("; "))
}

async fn ready(State(status): State<Arc<Status>>) -> (StatusCode, &'static str) {
    if !status.stopping.load(Ordering::Relaxed) && status.metrics.assigned_partitions.get() > 0 {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready: no partitions assigned\n")
    }
}

/// Samples the partitions into the history every [`history::INTERVAL`], for ever.
async fn sample(status: Arc<Status>) {
    let mut tick = tokio::time::interval(history::INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        status.history.sample(Instant::now(), &status.metrics.partitions());
    }
}

/// Binds the endpoint and returns its address and the server future (which also samples
/// the status page's history, until the server stops).
pub async fn bind(
    addr: SocketAddr,
    status: Arc<Status>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, impl Future<Output = std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let sampler = sample(Arc::clone(&status));
    let app = Router::new()
        .route("/", get(page::html))
        .route("/status.js", get(page::script))
        .route("/status.css", get(page::style))
        .route("/status.json", get(page::json))
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/plugins", get(plugins))
        .with_state(status)
        .layer(axum::middleware::from_fn_with_state(guard::HostCheck::new(local), guard::guard));
    let server = std::future::IntoFuture::into_future(axum::serve(listener, app).with_graceful_shutdown(shutdown));
    Ok((local, async move {
        tokio::select! {
            result = server => result,
            () = sampler => Ok(()),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{AlertRecord, ChainOutput, DeadLetter, InputRecord, OutputRecord, Payload};
    use crate::reload::Generation;
    use logsift_event::Origin;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A raw HTTP/1.0 GET with the given `Host`: the status code and the whole response.
    async fn get(addr: SocketAddr, path: &str, host: Option<&str>) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connecting");
        let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
        stream.write_all(format!("GET {path} HTTP/1.0\r\n{host}\r\n").as_bytes()).await.expect("request");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("response");
        let code = response.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status line");
        (code, response)
    }

    async fn serve(status: Arc<Status>) -> SocketAddr {
        let (addr, server) = bind("127.0.0.1:0".parse().expect("address"), status, std::future::pending()).await.expect("binding");
        tokio::spawn(server);
        addr
    }

    fn status() -> Arc<Status> {
        Arc::new(Status::new(Arc::new(Metrics::default()), Arc::new(Pipeline::new(Generation::new(1, Vec::new())))))
    }

    #[tokio::test]
    async fn a_request_naming_another_host_is_refused_on_every_route() {
        let addr = serve(status()).await;
        for path in ["/", "/status.json", "/status.js", "/metrics", "/plugins", "/health"] {
            let (code, response) = get(addr, path, Some("evil.example")).await;
            assert_eq!(code, 421, "{path}: {response}");
            assert!(!response.contains("evil.example"), "the refused name is not echoed");
            assert_eq!(get(addr, path, Some(&format!("evil.example:{}", addr.port()))).await.0, 421);
            assert_eq!(get(addr, path, None).await.0, 421, "{path} without Host");
            assert_eq!(get(addr, path, Some(&addr.to_string())).await.0, 200, "{path}");
            assert_eq!(get(addr, path, Some(&format!("localhost:{}", addr.port()))).await.0, 200, "{path}");
        }
    }

    #[tokio::test]
    async fn every_response_carries_a_strict_content_security_policy() {
        let addr = serve(status()).await;
        let host = addr.to_string();
        for path in ["/", "/status.json", "/nowhere"] {
            let (_, response) = get(addr, path, Some(&host)).await;
            let head = response.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase();
            assert!(head.contains("content-security-policy: default-src 'none'; script-src 'self';"), "{path}: {head}");
            assert!(head.contains("x-content-type-options: nosniff") && head.contains("referrer-policy: no-referrer"), "{head}");
            assert!(head.contains("cache-control: no-store"), "{head}");
        }
        let (_, page) = get(addr, "/", Some(&host)).await;
        assert!(page.contains("<script src=\"/status.js\" defer></script>") && !page.contains("<script>"), "no inline script");
        assert!(!page.contains("http://") && !page.contains("https://"), "no external asset");
        let (_, script) = get(addr, "/status.js", Some(&host)).await;
        let code: String = script.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            assert!(!code.contains(sink), "status.js must not use {sink}");
        }
    }

    #[tokio::test]
    async fn the_status_json_shows_hostile_dead_letters_and_alerts_as_bounded_text() {
        let status = status();
        let hostile = format!("<script>document.title='pwned'</script>\u{202e}{}", "x".repeat(1000));
        let inputs = vec![InputRecord {
            cut_from: None,
            raw: hostile.clone().into_bytes(),
            origin: Origin::Kafka { topic: "logs".into(), partition: 3, offset: 42, key: None, headers: Vec::new() },
        }];
        let alert = AlertRecord {
            id: "1".into(),
            plugin: Arc::from("sigma"),
            rule_id: "r1".into(),
            title: "<img src=x onerror=alert(1)>".into(),
            level: crate::wasm::Level::High,
            tags: Vec::new(),
            status: None,
            details: Vec::new(),
            event: None,
            shadow: false,
        };
        let out = ChainOutput {
            routed: vec![
                OutputRecord {
                    source: 0,
                    output: Arc::from("dead_letter"),
                    payload: Payload::DeadLetter(DeadLetter { plugin: Arc::from("weblog"), reason: hostile.clone() }),
                },
                OutputRecord { source: 0, output: Arc::from("alerts"), payload: Payload::Alert(alert) },
            ],
            ..ChainOutput::default()
        };
        status.metrics.record_batch(&inputs, &[(Arc::from("logs"), 3)], &out);
        let json = serde_json::to_value(page::snapshot(&status)).expect("json");
        let latest = &json["dead_letters"]["latest"][0];
        assert_eq!(latest["source"], "logs[3]@42");
        assert_eq!(latest["original_bytes"], hostile.len());
        let original = latest["original"].as_str().expect("text");
        assert!(original.starts_with("<script>document.title='pwned'</script>\\u{202e}xxx"), "{original}");
        // 200 bytes of the record: 198 characters, U+202E (3 bytes) spelled as an 8-character escape.
        assert_eq!(original.chars().count(), 197 + 8, "{original}");
        let reason = json["dead_letters"]["by_reason"][0]["reason"].as_str().expect("text");
        assert!(reason.ends_with("xx…") && reason.chars().count() == 200 + 7 + 1, "{reason}");
        assert_eq!(json["rules"]["top"][0]["title"], "<img src=x onerror=alert(1)>");
        assert_eq!(json["rules"]["top"][0]["level"], "high");
        assert_eq!(json["totals"]["records_in"], 1);
    }
}
