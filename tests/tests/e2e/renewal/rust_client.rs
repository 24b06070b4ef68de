//! The Rust side: `nats-creds-client` obtains 10 s creds over acme's bootstrap user,
//! connects as the user with them and renews over that same connection; the client
//! consumes its durable consumer (each message acknowledged and confirmed) and counts the
//! ticks of its core subscription.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull};
use async_nats::Event;
use futures::StreamExt as _;
use integration_tests::connect_with_creds;
use nats_creds_client::{Ask, FreshCreds, RenewalEvent, RenewalOptions};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{gaps_of, resume_delays, Figures, FRACTION, STREAM, TTL_SECS};

/// Retry pacing while the connection is being swapped (each retry checks again).
const RETRY_PAUSE: Duration = Duration::from_millis(50);
/// Tries at confirming one acknowledgement.
const ACK_ATTEMPTS: usize = 20;

/// What the consumer processed: the highest stream sequence in order, the deliveries of
/// messages already processed, and the ranges of sequences skipped.
struct Consumed {
    processed: u64,
    duplicates: u64,
    skipped: Vec<(u64, u64)>,
}

/// A running client.
pub struct RustClient {
    fresh: FreshCreds,
    consumer: JoinHandle<Consumed>,
    ticks: Arc<Mutex<Vec<(Instant, u64)>>>,
    connects: Arc<Mutex<Vec<Instant>>>,
    /// Renewals and failed attempts, as the events reported them.
    outcomes: Arc<[AtomicU64; 2]>,
    renewal: nats_creds_client::Renewal,
}

/// Obtains creds for `name` through the bootstrap user and starts consuming.
pub async fn start(url: &str, bootstrap: &str, name: &str, expect: u64) -> RustClient {
    let bootstrap = connect_with_creds(url, bootstrap).await.unwrap().client;
    let ask = Ask {
        name: name.into(),
        ttl: Some(TTL_SECS),
        ..Ask::default()
    };
    let options = RenewalOptions {
        fraction: FRACTION,
        ..RenewalOptions::default()
    };
    let fresh = FreshCreds::new(claims::KeyPair::new_user(), ask, options);
    fresh.obtain(&bootstrap).await.unwrap();
    drop(bootstrap);

    let mut events = fresh.subscribe();
    let outcomes = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let count = Arc::clone(&outcomes);
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            match event {
                RenewalEvent::Renewed { .. } => count[0].fetch_add(1, Ordering::SeqCst),
                RenewalEvent::Failed { reason, retry_in } => {
                    println!("rust: renewal failed: {reason} (retry in {retry_in:?})");
                    count[1].fetch_add(1, Ordering::SeqCst)
                }
            };
        }
    });
    let connects = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&connects);
    let client = fresh
        .connect_options()
        .event_callback(move |event| {
            let seen = Arc::clone(&seen);
            async move {
                if matches!(event, Event::Connected) {
                    seen.lock().unwrap().push(Instant::now());
                }
            }
        })
        .connect(url)
        .await
        .unwrap();
    let renewal = fresh.spawn_renewal(client.clone(), Some(client.clone()));

    let ticks = Arc::new(Mutex::new(Vec::new()));
    let mut subscription = client
        .subscribe(format!("tenant.acme.{name}.ticks"))
        .await
        .unwrap();
    client.flush().await.unwrap();
    let record = Arc::clone(&ticks);
    tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            let n: u64 = std::str::from_utf8(&message.payload)
                .unwrap()
                .parse()
                .unwrap();
            record.lock().unwrap().push((Instant::now(), n));
        }
    });
    let consumer = tokio::spawn(consume(client, expect));
    RustClient {
        fresh,
        consumer,
        ticks,
        connects,
        outcomes,
        renewal,
    }
}

/// Processes stream messages until `expect` are processed in order.
async fn consume(client: async_nats::Client, expect: u64) -> Consumed {
    let js = jetstream::new(client);
    let consumer: jetstream::consumer::Consumer<pull::Config> =
        js.get_consumer_from_stream("rust", STREAM).await.unwrap();
    let (mut processed, mut duplicates, mut skipped) = (0u64, 0u64, Vec::new());
    while processed < expect {
        let Ok(mut messages) = consumer.messages().await else {
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        while processed < expect {
            let message = match messages.next().await {
                Some(Ok(message)) => message,
                // Heartbeats missed while the connection is swapped: keep reading.
                Some(Err(_)) => continue,
                None => break,
            };
            let seq = message.info().unwrap().stream_sequence;
            if seq <= processed {
                duplicates += 1;
            } else {
                if seq > processed + 1 {
                    skipped.push((processed + 1, seq - 1));
                }
                processed = seq;
            }
            for _ in 0..ACK_ATTEMPTS {
                if message.double_ack().await.is_ok() {
                    break;
                }
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
    Consumed {
        processed,
        duplicates,
        skipped,
    }
}

impl RustClient {
    /// Waits up to `drain` for the consumer to finish (and a moment for tick `expect`),
    /// then reports.
    pub async fn finish(self, expect: u64, drain: Duration) -> Figures {
        let Consumed {
            processed,
            duplicates,
            skipped,
        } = tokio::time::timeout(drain, self.consumer)
            .await
            .expect("the Rust consumer did not finish in time")
            .unwrap();
        // The last tick follows the last message: give it a moment to arrive.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.ticks.lock().unwrap().last().map(|(_, n)| *n) < Some(expect)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let ticks = self.ticks.lock().unwrap().clone();
        let connects = self.connects.lock().unwrap().clone();
        drop(self.renewal);
        let renewals = self.outcomes[0].load(Ordering::SeqCst);
        let failures = self.outcomes[1].load(Ordering::SeqCst);
        println!(
            "rust: creds of {} expire at {:?}",
            self.fresh.name(),
            self.fresh.expires()
        );
        let numbers: Vec<u64> = ticks.iter().map(|(_, n)| *n).collect();
        let times: Vec<Instant> = ticks.iter().map(|(t, _)| *t).collect();
        // The first connect is not a swap.
        let swaps = connects.get(1..).unwrap_or_default().to_vec();
        Figures {
            processed,
            duplicates,
            skipped,
            renewals,
            failures,
            ticks: numbers.len() as u64,
            last_tick: numbers.last().copied().unwrap_or(0),
            gaps: gaps_of(&numbers),
            disconnects: swaps.len() as u64,
            max_resume: resume_delays(&swaps, &times).into_iter().max(),
        }
    }
}
