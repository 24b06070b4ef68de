//! `provisioner bench`: a load generator. N concurrent requesters send credential
//! requests for a fixed duration; it prints creds/s, latency percentiles and errors.
//!
//! Every requester makes a fresh key and proof per request in the proof flow, as real
//! clients do, so the figures include the client's own signing work. With
//! `--connect-user`, it measures the auth callout instead: every requester connects
//! with a user and password (no creds), waits until the server lets it in, and
//! disconnects, so each connection is one callout decision and one minted user.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use claims::KeyPair;
use clap::Args;

use crate::cli::bench_report::{report, Tally};
use crate::cli::nats_args::{parse_duration, NatsArgs};
use crate::client::{read_answer, request_body, Answer, Ask};
use crate::exit::Outcome;

/// Arguments of `provisioner bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    /// Connection.
    pub nats: NatsArgs,
    /// Concurrent requesters.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// How long to run.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Send the seed's plain-text requests instead of proven JSON requests.
    #[arg(long)]
    pub legacy: bool,
    /// Tenant to name in JSON requests.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Name prefix; each request asks for `<prefix>-<requester>-<n>`.
    #[arg(long, default_value = "bench")]
    pub name_prefix: String,
    /// Measure the auth callout: connect as this user (a callout credential) over and
    /// over instead of sending requests.
    #[arg(long, value_name = "USER", requires = "connect_password_file")]
    pub connect_user: Option<String>,
    /// File holding the password of `--connect-user`.
    #[arg(long, value_name = "FILE", requires = "connect_user")]
    pub connect_password_file: Option<std::path::PathBuf>,
    /// Measure plain JWT connections: connect with `--creds` over and over instead of
    /// sending requests (the baseline `--connect-user` is compared with).
    #[arg(long, requires = "creds", conflicts_with = "connect_user")]
    pub connect_only: bool,
}

/// How a connection of the connection benchmark logs in.
#[derive(Clone)]
enum Login {
    /// A user and password, answered by the auth callout.
    Password(String, String),
    /// A creds file's JWT and seed, checked by the server alone.
    Creds(String),
}

impl Login {
    fn options(&self) -> anyhow::Result<async_nats::ConnectOptions> {
        Ok(match self {
            Login::Password(user, password) => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
            Login::Creds(text) => async_nats::ConnectOptions::with_credentials(text)?,
        })
    }
}

/// Runs `bench`.
///
/// # Errors
/// When the connection fails.
pub fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(bench(args))
}

async fn bench(args: &BenchArgs) -> anyhow::Result<Outcome> {
    if let (Some(user), Some(file)) = (&args.connect_user, &args.connect_password_file) {
        let password = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("reading `{}`: {e}", file.display()))?;
        let login = Login::Password(user.clone(), password.trim().to_owned());
        return bench_connect(args, login, "callout (user and password at CONNECT)").await;
    }
    if let (true, Some(file)) = (args.connect_only, &args.nats.creds) {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("reading `{}`: {e}", file.display()))?;
        return bench_connect(args, Login::Creds(text), "plain JWT connection (creds)").await;
    }
    let client = args.nats.connect().await?;
    let target = args.nats.target()?;
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + args.duration;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.concurrency);
    for worker in 0..args.concurrency.max(1) {
        let client = client.clone();
        let tally = Arc::clone(&tally);
        let subject = target.subject.clone();
        let legacy = args.legacy;
        let tenant = args.tenant.clone();
        let prefix = args.name_prefix.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let name = format!("{prefix}-{worker}-{n}");
                let body = if legacy {
                    Ok(bytes::Bytes::from(name))
                } else {
                    let ask = Ask {
                        name,
                        tenant: tenant.clone(),
                        ..Default::default()
                    };
                    request_body(&KeyPair::new_user(), &ask)
                };
                let Ok(body) = body else {
                    tally.failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let sent = Instant::now();
                match client.request(subject.clone(), body).await {
                    Ok(reply) => {
                        latencies.push(sent.elapsed());
                        let refused = !legacy
                            && matches!(read_answer(&reply), Ok(Answer::Refused { .. }) | Err(_));
                        let refused = refused
                            || (legacy
                                && reply.headers.as_ref().is_some_and(|h| {
                                    h.get(crate::wire::SERVICE_ERROR_CODE_HEADER).is_some()
                                }));
                        let counter = if refused { &tally.refused } else { &tally.ok };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let flow = if args.legacy {
        "legacy (seed)"
    } else {
        "proof (JSON, v2 proof)"
    };
    report(args.concurrency, flow, "creds", started, &tally, tasks).await
}

/// Connects over and over from `--concurrency` tasks, with a password the auth callout
/// checks or with a creds file the server checks alone.
async fn bench_connect(args: &BenchArgs, login: Login, flow: &str) -> anyhow::Result<Outcome> {
    login.options()?;
    let target = args.nats.target()?;
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + args.duration;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency.max(1) {
        let tally = Arc::clone(&tally);
        let (url, login) = (target.nats_url.clone(), login.clone());
        let timeout = args.nats.timeout;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let Ok(options) = login.options() else {
                    tally.failed.fetch_add(1, Ordering::Relaxed);
                    break;
                };
                let options = options.connection_timeout(timeout).max_reconnects(Some(0));
                let sent = Instant::now();
                match options.connect(url.as_str()).await {
                    Ok(client) => {
                        latencies.push(sent.elapsed());
                        tally.ok.fetch_add(1, Ordering::Relaxed);
                        drop(client);
                    }
                    Err(err)
                        if err.kind() == async_nats::ConnectErrorKind::AuthorizationViolation =>
                    {
                        tally.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    report(
        args.concurrency,
        flow,
        "connections",
        started,
        &tally,
        tasks,
    )
    .await
}
