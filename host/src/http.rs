//! The HTTP endpoint of service mode: `/metrics` (Prometheus), `/health` (the process is
//! alive) and `/ready` (partitions are assigned and workers are consuming). It binds to
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

/// What the endpoint reports on.
pub struct Status {
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// Set while shutting down: `/ready` then fails so traffic moves elsewhere.
    pub stopping: AtomicBool,
}

async fn metrics(State(status): State<Arc<Status>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], status.metrics.encode())
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
    let app = Router::new().route("/metrics", get(metrics)).route("/health", get(health)).route("/ready", get(ready)).with_state(status);
    Ok((local, async move { axum::serve(listener, app).with_graceful_shutdown(shutdown).await }))
}
