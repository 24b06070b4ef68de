//! `portal bench`: a load generator for the HTTP API. N concurrent clients send
//! `POST /api/v1/credentials` (the portal makes each key and proof, the provisioner
//! decides and mints) for a fixed duration; it prints creds/s, latency percentiles and
//! errors in the same form as `provisioner bench`, so the two doors compare line by line.
//!
//! Each client takes one line of `--tokens` (`NAME TOKEN`: an ID token whose subject is
//! NAME, round robin when there are fewer lines than clients) and asks for
//! `NAME-<run><client>-<n>`, a device name of NAME's that is new on every request of
//! every run. A `200`
//! counts as a credential, any other status as refused, no answer as an error.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use provisioner::cli::bench_report::{report, Tally};
use provisioner::cli::nats_args::parse_duration;
use provisioner::exit::Outcome;

/// What one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Arguments of `portal bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The portal's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// File of `NAME TOKEN` lines: the callers (one per client, round robin).
    #[arg(long, value_name = "FILE")]
    pub tokens: PathBuf,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// How long to run (`10s`, `1m`, or seconds).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
}

/// One caller: a name and its bearer token.
#[derive(Clone)]
struct Caller {
    name: String,
    token: String,
}

/// Reads `NAME TOKEN` lines; blank lines and `#` comments are skipped.
fn read_callers(path: &std::path::Path) -> anyhow::Result<Vec<Caller>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    let callers: Vec<Caller> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(name, token)| Caller {
            name: name.to_owned(),
            token: token.trim().to_owned(),
        })
        .collect();
    anyhow::ensure!(
        !callers.is_empty(),
        "`{}` holds no `NAME TOKEN` line",
        path.display()
    );
    Ok(callers)
}

/// Runs `bench`.
///
/// # Errors
/// When the tokens cannot be read or the HTTP client cannot be built.
pub fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(bench(args))
}

async fn bench(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let callers = read_callers(&args.tokens)?;
    let http =
        oidc::remote::http_client(None).map_err(|why| anyhow::anyhow!("the HTTP client: {why}"))?;
    let url = format!("{}/api/v1/credentials", args.url.trim_end_matches('/'));
    // Names new to this run, so runs one after another on one estate take no name twice.
    let run: String = nuid::next().to_lowercase().chars().take(6).collect();
    let tally = Arc::new(Tally::default());
    let refusals: Arc<Mutex<BTreeMap<u16, u64>>> = Arc::default();
    let deadline = Instant::now() + args.duration;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.concurrency);
    for client in 0..args.concurrency.max(1) {
        let caller = callers
            .get(client % callers.len())
            .cloned()
            .context("no caller")?;
        let (http, url, tally) = (http.clone(), url.clone(), Arc::clone(&tally));
        let refusals = Arc::clone(&refusals);
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let body =
                    serde_json::json!({ "name": format!("{}-{run}{client}-{n}", caller.name) });
                let sent = Instant::now();
                let answer = http
                    .post(&url)
                    .bearer_auth(&caller.token)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .timeout(REQUEST_TIMEOUT)
                    .send()
                    .await;
                let status = match answer {
                    // The body is read so the connection can carry the next request.
                    Ok(response) => {
                        let status = response.status();
                        let read = response.bytes().await.is_ok();
                        read.then_some(status)
                    }
                    Err(_) => None,
                };
                match status {
                    Some(status) => {
                        latencies.push(sent.elapsed());
                        if status.is_success() {
                            tally.ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            tally.refused.fetch_add(1, Ordering::Relaxed);
                            if let Ok(mut by_status) = refusals.lock() {
                                *by_status.entry(status.as_u16()).or_default() += 1;
                            }
                        }
                    }
                    None => {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let flow = "HTTP (POST /api/v1/credentials, .creds made by the portal)";
    let outcome = report(args.concurrency, flow, "creds", started, &tally, tasks).await?;
    let by_status = refusals.lock().map(|m| m.clone()).unwrap_or_default();
    if !by_status.is_empty() {
        let parts: Vec<String> = by_status.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        println!("refused by status | {}", parts.join(" | "));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lines_name_their_caller() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, "# callers\nb0 eyJ.a.b\n\nb1\teyJ.c.d\n").unwrap();
        let callers = read_callers(&path).unwrap();
        assert_eq!(callers.len(), 2);
        assert_eq!(
            (callers[1].name.as_str(), callers[1].token.as_str()),
            ("b1", "eyJ.c.d")
        );
        std::fs::write(&path, "just-a-name\n").unwrap();
        assert!(read_callers(&path).is_err());
    }
}
