//! A worker running batches back to back while generations are reloaded beside it, as a
//! service worker does: it follows the published generation between batches and times every
//! batch, apart for those that ran while a reload was under way. What the reload benches
//! (`reload`, and the whole Sigma corpus in `sigma`) report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use logsift::pipeline::{Chain, InputRecord};
use logsift::reload::Pipeline;

/// Batch times, each list sorted.
pub struct Timings {
    /// Batches while no reload was under way.
    pub steady: Vec<Duration>,
    /// Batches while one was.
    pub during: Vec<Duration>,
    /// Batches that moved to a new generation (their instances made on the worker).
    pub switches: Vec<Duration>,
}

impl Timings {
    /// p99 of the batches during reloads over p99 of the steady ones.
    pub fn p99_during_per_steady(&self) -> f64 {
        percentile(&self.during, 0.99).as_secs_f64() / percentile(&self.steady, 0.99).as_secs_f64()
    }

    /// The longest batch that moved to a new generation.
    pub fn longest_switch(&self) -> Duration {
        *self.switches.last().expect("the worker moved to a new generation")
    }

    /// Prints the batch times, one line each for steady, during reloads and switches.
    pub fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        for (name, v) in [("steady state", &self.steady), ("during reloads", &self.during)] {
            println!(
                "  {name:<15} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({} batches)",
                ms(percentile(v, 0.5)),
                ms(percentile(v, 0.99)),
                ms(*v.last().expect("batches")),
                v.len()
            );
        }
        println!(
            "  p99 during / steady {:.2}; {} generation switches, the longest batch among them {:.2} ms",
            self.p99_during_per_steady(),
            self.switches.len(),
            ms(self.longest_switch())
        );
    }
}

/// The worker thread and the flags the reloading side sets.
pub struct Worker {
    reloading: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Timings>,
}

impl Worker {
    /// Starts the worker on `pipeline`'s current generation, cycling through `batches`.
    pub fn start(pipeline: Arc<Pipeline>, batches: Vec<Vec<InputRecord>>) -> Worker {
        let reloading = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, halt) = (Arc::clone(&reloading), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut current = pipeline.current();
            let mut chain = Chain::new(current.stages.iter().cloned());
            let mut timings = Timings { steady: Vec::new(), during: Vec::new(), switches: Vec::new() };
            for batch in batches.iter().cycle() {
                if halt.load(Ordering::Relaxed) {
                    break;
                }
                let t = Instant::now();
                let switched = pipeline.current_id() != current.id;
                if switched {
                    current = pipeline.current();
                    chain.update(&current.stages);
                }
                std::hint::black_box(chain.process(batch));
                let took = t.elapsed();
                if switched {
                    timings.switches.push(took);
                }
                if flag.load(Ordering::Relaxed) { timings.during.push(took) } else { timings.steady.push(took) }
            }
            for v in [&mut timings.steady, &mut timings.during, &mut timings.switches] {
                v.sort_unstable();
            }
            timings
        });
        Worker { reloading, stop, thread }
    }

    /// Marks the batches from now on as running during a reload, or not.
    pub fn reloading(&self, on: bool) {
        self.reloading.store(on, Ordering::Relaxed);
    }

    /// Stops the worker and returns its timings.
    pub fn finish(self) -> Timings {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("worker")
    }
}

/// The `p` quantile (0..=1) of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
