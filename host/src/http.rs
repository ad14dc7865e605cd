//! The HTTP endpoint of service mode: `/metrics` (Prometheus), `/health` (the process is
//! alive), `/ready` (partitions are assigned and workers are consuming) and `/plugins`
//! (the running generation's plugins, their counters, and what the last reload refused). It binds to
//! 127.0.0.1 unless configured otherwise.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
}

async fn metrics(State(status): State<Arc<Status>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], status.metrics.encode())
}

fn unix_seconds(t: std::time::SystemTime) -> f64 {
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

async fn health() -> &'static str {
    "ok\n"
}

async fn ready(State(status): State<Arc<Status>>) -> (StatusCode, &'static str) {
    if !status.stopping.load(Ordering::Relaxed) && status.metrics.assigned_partitions.get() > 0 {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready: no partitions assigned\n")
    }
}

/// Binds the endpoint and returns its address and the server future.
pub async fn bind(
    addr: SocketAddr,
    status: Arc<Status>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, impl Future<Output = std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/plugins", get(plugins))
        .with_state(status);
    Ok((local, async move { axum::serve(listener, app).with_graceful_shutdown(shutdown).await }))
}
