//! Starting and stopping the service: the first generation of plugins and the reload
//! thread, one thread per worker, the shared producers, and the HTTP endpoint. Shutdown (the future passed in, e.g. SIGTERM)
//! stops consumption, lets every worker drain and commit, flushes, and returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{mpsc, watch};

use super::sink::Producers;
use super::worker::{Worker, WorkerError};
use crate::config::Settings;
use crate::http::{self, Status};
use crate::metrics::Metrics;
use crate::runtime::Runtime;

/// Says how the input's partitions meet this process's workers (see [`sizing`](super::sizing)).
async fn report_sizing(kafka: crate::config::KafkaConfig, workers: usize, metrics: Arc<Metrics>) {
    let asked = tokio::task::spawn_blocking(move || super::sizing::input_partitions(&kafka, Duration::from_secs(5))).await;
    match asked {
        Ok(Ok(partitions)) => {
            metrics.input_partitions.set(partitions as i64);
            match super::sizing::advice(workers, partitions) {
                Some(warning) => tracing::warn!(workers, partitions, "{warning}"),
                None => tracing::info!(workers, partitions, "input partitions"),
            }
        }
        Ok(Err(why)) => tracing::info!(workers, "input partitions not known at start: {why}"),
        Err(e) => tracing::warn!("asking for the input partitions: {e}"),
    }
}

/// Runs service mode until `shutdown` completes or a worker fails. Returns the address the
/// HTTP endpoint listened on through `on_listen` as soon as it is bound.
pub async fn serve(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send,
    on_listen: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    let kafka = settings.kafka.clone().context("service mode needs a [kafka] section (brokers and topics)")?;
    let settings = Arc::new(settings);
    let metrics = Arc::new(Metrics::default());
    let mut runtime = Runtime::start((*settings).clone(), Some(Arc::clone(&metrics))).context("loading the pipeline")?;
    runtime.watch()?;
    let pipeline = Arc::clone(runtime.pipeline());
    let status = Arc::new(Status::new(Arc::clone(&metrics), Arc::clone(&pipeline)));
    let (http_stop, mut http_stopped) = watch::channel(false);
    let (addr, server) = http::bind(settings.http.listen, Arc::clone(&status), async move {
        let _ = http_stopped.changed().await;
    })
    .await
    .with_context(|| format!("binding the HTTP endpoint {}", settings.http.listen))?;
    tracing::info!(%addr, "HTTP endpoint listening (/ status page, /metrics, /health, /ready, /plugins)");
    on_listen(addr);
    let server = tokio::spawn(server);

    let workers = settings.worker_count();
    metrics.workers_idle.set(workers as i64);
    // Off the start-up path: the brokers may take seconds to answer.
    tokio::spawn(report_sizing(kafka.clone(), workers, Arc::clone(&metrics)));
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..workers).map(|_| std::sync::mpsc::channel()).unzip();
    let producers = Arc::new(Producers::new(&settings, &kafka, senders, &metrics)?);
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, mut done) = mpsc::unbounded_channel::<(usize, Result<(), WorkerError>)>();
    for (id, acks) in receivers.into_iter().enumerate() {
        let worker = Worker::new(
            id,
            Arc::clone(&settings),
            Arc::clone(&pipeline),
            Arc::clone(&producers),
            acks,
            Arc::clone(&metrics),
            Arc::clone(&stop),
        )?;
        let done_tx = done_tx.clone();
        std::thread::Builder::new()
            .name(format!("logsift-worker-{id}"))
            .spawn(move || {
                let result = worker.run();
                let _ = done_tx.send((id, result));
            })
            .context("starting a worker thread")?;
    }
    drop(done_tx);
    tracing::info!(workers, brokers = %kafka.brokers, group = %kafka.group_id, "logsift service started");

    let mut failure = None;
    let mut running = workers;
    tokio::select! {
        () = shutdown => tracing::info!("shutdown requested: draining in-flight records"),
        Some((id, result)) = done.recv() => {
            running -= 1;
            if let Err(e) = result {
                tracing::error!(worker = id, "worker failed: {e}");
                failure = Some(anyhow::Error::from(e).context(format!("worker {id} failed")));
            }
        }
    }
    status.stopping.store(true, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    while running > 0 {
        let Some((id, result)) = done.recv().await else { break };
        running -= 1;
        if let Err(e) = result {
            tracing::error!(worker = id, "worker failed: {e}");
            failure.get_or_insert(anyhow::Error::from(e).context(format!("worker {id} failed")));
        }
    }
    let drain = Duration::from_secs(kafka.drain_timeout_secs);
    tokio::task::spawn_blocking(move || producers.flush(drain)).await?.context("flushing producers")?;
    let _ = http_stop.send(true);
    let _ = server.await;
    match failure {
        Some(e) => Err(e),
        None => {
            tracing::info!("logsift service stopped cleanly");
            Ok(())
        }
    }
}
