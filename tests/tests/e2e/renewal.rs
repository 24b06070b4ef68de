//! Credentials that never lapse (issue 20): a Rust client (`nats-creds-client`) and a
//! Python client (`clients/python`, nats-py) hold 10-second creds and consume a JetStream
//! durable consumer fed 50 messages a second for two minutes while their creds renew
//! over their own connections: every message is processed exactly once, in order, and
//! acknowledged; each client's core-NATS subscription of numbered ticks resumes after
//! every renewal (the gaps are counted and printed).
//!
//! The estate: acme's account gets JetStream (re-signed and pushed to the full
//! resolver); its policy caps lifetimes at 10 s, turns on `identity.renewal` and lets
//! minted users publish the request subject and use the test's consumers.
//!
//! Also: backoff and `renew_now` (`failures`), `provisioner request --keep-fresh`
//! (`keep_fresh`), the Python package's unit tests (`python`), and the provisioner's
//! renew-now notices after a narrowing policy reload (`renew_now`).

mod failures;
mod keep_fresh;
mod python;
mod renew_now;
mod rust_client;

use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, stream};
use integration_tests::{connect_with_creds, unix_now, ProductEstate, ProductProcess};
use nsc_setup::{PushOptions, ResolverKind};

/// How long the feed runs.
const FEED: Duration = Duration::from_secs(120);
/// Messages (and ticks) a second.
const RATE: u64 = 50;
/// Messages (and ticks) in all.
const TOTAL: u64 = FEED.as_secs() * RATE;
/// The lifetime every client asks for and the policy caps.
const TTL_SECS: u64 = 10;
/// When the clients renew, as a fraction of the lifetime (less up to a tenth of it, the
/// default jitter): every 6.5 to 7.5 s, about 17 times in the two minutes.
const FRACTION: f64 = 0.75;
/// The stream both consumers read.
const STREAM: &str = "RENEWAL";
/// How long a client may take to catch up after the feed ends.
const DRAIN: Duration = Duration::from_secs(60);
/// The longest a core subscription may stay silent after a reconnect while ticks flow.
const RESUME: Duration = Duration::from_secs(3);

/// What one client saw.
#[derive(Debug, Default)]
pub struct Figures {
    /// The highest stream sequence processed in order.
    pub processed: u64,
    /// Deliveries of messages already processed.
    pub duplicates: u64,
    /// Ranges of sequences skipped (lost, or out of order).
    pub skipped: Vec<(u64, u64)>,
    /// Renewals that succeeded.
    pub renewals: u64,
    /// Renewal attempts that failed.
    pub failures: u64,
    /// Ticks received on the core subscription.
    pub ticks: u64,
    /// The last tick received.
    pub last_tick: u64,
    /// The number of ticks missed in each gap.
    pub gaps: Vec<u64>,
    /// Connections lost (each renewal swaps the connection).
    pub disconnects: u64,
    /// The longest wait from a reconnect to the next tick (reconnects after the last
    /// tick aside).
    pub max_resume: Option<Duration>,
}

/// For each reconnect at one of `swaps`, how long until the next tick (`ticks` are the
/// arrival times); reconnects after the last tick have none.
pub fn resume_delays(
    swaps: &[tokio::time::Instant],
    ticks: &[tokio::time::Instant],
) -> Vec<Duration> {
    swaps
        .iter()
        .filter_map(|swap| ticks.iter().find(|t| *t > swap).map(|t| *t - *swap))
        .collect()
}

/// The number of ticks missing between consecutive received ticks.
pub fn gaps_of(ticks: &[u64]) -> Vec<u64> {
    ticks
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if *b > a + 1 => Some(b - a - 1),
            _ => None,
        })
        .collect()
}

/// acme's policy block: 10 s lifetimes, renewal on, and minted users may publish the
/// request subject and use the stream's consumers (pull, ack).
fn policy(estate: &ProductEstate) -> std::path::PathBuf {
    let text = std::fs::read_to_string(estate.written.dir.join("policy.toml")).unwrap();
    let consumer_api = format!("$JS.API.CONSUMER.MSG.NEXT.{STREAM}.*");
    let info_api = format!("$JS.API.CONSUMER.INFO.{STREAM}.*");
    let ack = format!("$JS.ACK.{STREAM}.>");
    let text = text
        .replacen(
            "names.unique = true\n",
            "names.unique = true\nidentity.renewal.enabled = true\n",
            1,
        )
        .replacen(
            "extra_prefixes = [",
            "extra_prefixes = [\"creds.request\", \"$JS.API.CONSUMER\", \"$JS.ACK\", ",
            1,
        )
        .replacen(
            "permissions.pub.allow = [",
            &format!(
                "permissions.pub.allow = [\"creds.request\", \"{consumer_api}\", \"{info_api}\", \
                 \"{ack}\", "
            ),
            1,
        );
    let capped = format!("ttl = {{ default_secs = {TTL_SECS}, max_secs = {TTL_SECS} }}");
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("ttl = ") {
                capped.as_str()
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains(&capped) && text.contains("identity.renewal.enabled"));
    let path = estate.written.dir.join("policy-renewal.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Re-signs acme's account with JetStream on and pushes it to the resolver.
async fn enable_jetstream(estate: &ProductEstate) {
    let written = &estate.written.estate;
    let mut acme = written.account("acme").unwrap().clone();
    acme.claims.nats.limits.jetstream = claims::JetStreamLimits {
        mem_storage: -1,
        disk_storage: -1,
        streams: -1,
        consumer: -1,
        ..Default::default()
    };
    let signer = written.operator.account_signer().unwrap();
    acme.jwt = acme.claims.encode(signer, unix_now()).unwrap();
    let sys = nsc_setup::push::connect(&estate.url(), &estate.creds_path("SYS", "sys"))
        .await
        .unwrap();
    let report = nsc_setup::push_accounts(&sys, &[&acme], PushOptions::default())
        .await
        .unwrap();
    assert!(report.accounts.iter().all(|a| a.ok()), "{report:?}");
}

/// The stream and one durable pull consumer per client, delivering one message at a
/// time (so that order holds across redeliveries).
async fn stream_and_consumers(feeder: &async_nats::Client, consumers: &[&str]) {
    let js = jetstream::new(feeder.clone());
    let stream = js
        .create_stream(stream::Config {
            name: STREAM.into(),
            subjects: vec!["renewal.feed".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    for name in consumers {
        stream
            .create_consumer(pull::Config {
                durable_name: Some((*name).into()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(5),
                max_ack_pending: 1,
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

/// Publishes message `n` to the stream and tick `n` to each client's tick subject,
/// `RATE` a second for [`FEED`]; returns how many.
async fn feed(feeder: async_nats::Client, tick_subjects: Vec<String>) -> u64 {
    let js = jetstream::new(feeder.clone());
    let total = TOTAL;
    let mut every = tokio::time::interval(Duration::from_millis(1000 / RATE));
    for n in 1..=total {
        every.tick().await;
        let ack = js
            .publish("renewal.feed", n.to_string().into())
            .await
            .unwrap();
        ack.await.unwrap();
        for subject in &tick_subjects {
            feeder
                .publish(subject.clone(), n.to_string().into())
                .await
                .unwrap();
        }
    }
    feeder.flush().await.unwrap();
    total
}

fn print(who: &str, f: &Figures) {
    println!(
        "{who}: renewals {}, failed attempts {}, messages {} (duplicates {}, skipped {:?}), \
         reconnects {}, ticks {} (last {}), gaps {} {:?}, longest resume {:?}",
        f.renewals,
        f.failures,
        f.processed,
        f.duplicates,
        f.skipped,
        f.disconnects,
        f.ticks,
        f.last_tick,
        f.gaps.len(),
        f.gaps,
        f.max_resume
    );
}

fn check(who: &str, f: &Figures, total: u64) {
    assert_eq!(
        f.processed, total,
        "{who}: not every message processed: {f:?}"
    );
    assert!(
        f.skipped.is_empty(),
        "{who}: messages lost or out of order: {f:?}"
    );
    // JetStream delivers at least once: an acknowledgement cut off by a reconnect is
    // redelivered after the ack wait. Processing stays exactly once (the clients keep the
    // last stream sequence and skip a redelivery), and with one message in flight a
    // reconnect can cause at most one redelivery.
    assert!(
        f.duplicates <= f.disconnects,
        "{who}: more redeliveries than reconnects: {f:?}"
    );
    // Two minutes of 10 s creds renewed at about half their life.
    assert!(f.renewals >= 12, "{who}: too few renewals: {f:?}");
    assert_eq!(
        f.last_tick, total,
        "{who}: the core subscription did not last: {f:?}"
    );
    assert!(
        f.max_resume.is_some_and(|d| d <= RESUME),
        "{who}: ticks did not resume within {RESUME:?} after a reconnect: {f:?}"
    );
    assert!(
        f.gaps.len() as u64 <= f.disconnects,
        "{who}: more gaps than connection swaps: {f:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_python_clients_keep_consuming_while_10_second_creds_renew() {
    let python = python::interpreter();
    let estate = ProductEstate::start(&["acme"], ResolverKind::Full, true).unwrap();
    enable_jetstream(&estate).await;
    let policy = policy(&estate);
    let policy = policy.display().to_string();
    let _provisioner: ProductProcess = estate
        .start_provisioner("p", &["--registry", "--policy", &policy])
        .unwrap();
    let url = estate.url();
    let feeder_creds = estate.extra_user("acme", "feeder", |_| {}).unwrap();
    let feeder = connect_with_creds(&url, &feeder_creds)
        .await
        .unwrap()
        .client;
    stream_and_consumers(&feeder, &["rust", "python"]).await;

    let bootstrap = estate.creds_path("acme", "bootstrap");
    let mut py = python::start(&python, &url, &bootstrap, "py-client", TOTAL).await;
    let bootstrap = estate.creds("acme", "bootstrap").unwrap();
    let rust = rust_client::start(&url, &bootstrap, "rs-client", TOTAL).await;
    py.ready().await;

    let subjects = vec![
        String::from("tenant.acme.rs-client.ticks"),
        String::from("tenant.acme.py-client.ticks"),
    ];
    let total = feed(feeder, subjects).await;
    assert_eq!(total, TOTAL);
    let rust = rust.finish(TOTAL, DRAIN).await;
    let py = py.finish(DRAIN).await;
    print("rust", &rust);
    print("python", &py);
    check("rust", &rust, total);
    check("python", &py, total);
}
