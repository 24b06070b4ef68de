//! What a load run prints, the same for every load generator (`provisioner bench`,
//! `portal bench`): the rate, refusals, errors and latency percentiles, and an outcome
//! that fails the run when anything was refused or failed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::exit::Outcome;

/// Requests answered, refused and failed, counted by every worker of a run.
#[derive(Debug, Default)]
pub struct Tally {
    /// Answered with what was asked for.
    pub ok: AtomicU64,
    /// Answered with a refusal.
    pub refused: AtomicU64,
    /// Not answered (an error or a timeout).
    pub failed: AtomicU64,
}

/// Waits for the tasks and prints rate, refusals, errors and latency percentiles.
pub async fn report(
    concurrency: usize,
    flow: &str,
    unit: &str,
    started: Instant,
    tally: &Tally,
    tasks: Vec<tokio::task::JoinHandle<Vec<Duration>>>,
) -> anyhow::Result<Outcome> {
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let ok = tally.ok.load(Ordering::Relaxed);
    let refused = tally.refused.load(Ordering::Relaxed);
    let failed = tally.failed.load(Ordering::Relaxed);
    let pct = |p: f64| -> String {
        if latencies.is_empty() {
            return String::from("-");
        }
        let max_index = latencies.len().saturating_sub(1);
        // Nearest-rank percentile: round half up on an index that is always in range.
        let index = ((p * max_index as f64) + 0.5) as usize;
        let value = latencies
            .get(index.min(max_index))
            .copied()
            .unwrap_or_default();
        format!("{:.2} ms", value.as_secs_f64() * 1000.0)
    };
    println!(
        "flow {flow} | concurrency {} | duration {:.1} s",
        concurrency,
        elapsed.as_secs_f64()
    );
    println!(
        "{unit} {ok} | {:.0} {unit}/s | refused {refused} | errors {failed}",
        ok as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50 {} | p90 {} | p99 {} | max {}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    Ok(if failed == 0 && refused == 0 {
        Outcome::Ok
    } else {
        Outcome::Error
    })
}
