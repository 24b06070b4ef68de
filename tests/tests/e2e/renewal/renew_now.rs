//! Renew now: a policy reload (SIGHUP) that narrows what acme's users may publish tells
//! each live user, in its private inbox (`_INBOX.<name>.renew-now`, through AUTH's
//! stream export that `nsc-setup` estates import into every tenant), to renew at once.
//! The Rust client renews within 2 s of the signal (the time is printed), reconnects
//! with the narrower JWT, and its next publish outside the new grant is refused by the
//! server; the Python helper hears the same notice and renews long before its schedule.
//! Nobody hears another user's notices: a user subscribing to another's notice subject
//! is refused by the server.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use async_nats::{Event, ServerError};
use integration_tests::{connect_with_creds, ProductEstate};
use nats_creds_client::{Ask, FreshCreds, RenewalEvent, RenewalOptions};
use nsc_setup::ResolverKind;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::python;
use crate::registry::{policy, provisioner};

/// The bound the issue sets from the reload to the client holding the new grant.
const REACH: Duration = Duration::from_secs(2);
/// Lifetime asked for: the schedule (half of it) lies far beyond the test, so only a
/// notice renews.
const TTL: u64 = 3600;
/// How long each other step may take.
const STEP: Duration = Duration::from_secs(15);

/// acme's policy with renewal on; `narrow` lets users publish only under
/// `tenant.acme.<name>.narrow.>` (besides the request subject) instead of all of
/// `tenant.acme.<name>.>`.
fn write_policy(estate: &ProductEstate, narrow: bool) -> std::path::PathBuf {
    let path = policy(
        estate,
        &[("acme", "identity.renewal.enabled = true\n")],
        &["acme"],
    );
    if narrow {
        let text = std::fs::read_to_string(&path).unwrap();
        let narrowed: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("permissions.pub.allow") && l.contains("tenant.acme.{name}.>") {
                    l.replacen("tenant.acme.{name}.>", "tenant.acme.{name}.narrow.>", 1)
                } else {
                    l.to_owned()
                }
            })
            .collect();
        let narrowed = narrowed.join("\n");
        assert!(
            narrowed.contains("tenant.acme.{name}.narrow.>"),
            "{narrowed}"
        );
        std::fs::write(&path, narrowed).unwrap();
    }
    path
}

/// A Rust client: its creds, its own connection's events, its renewal events.
struct RustUser {
    fresh: FreshCreds,
    client: async_nats::Client,
    events: mpsc::UnboundedReceiver<Event>,
    renewals: tokio::sync::broadcast::Receiver<RenewalEvent>,
    _renewal: nats_creds_client::Renewal,
}

async fn rust_user(url: &str, bootstrap: &async_nats::Client, name: &str) -> RustUser {
    let ask = Ask {
        name: name.into(),
        ttl: Some(TTL),
        ..Ask::default()
    };
    let fresh = FreshCreds::new(claims::KeyPair::new_user(), ask, RenewalOptions::default());
    fresh.obtain(bootstrap).await.unwrap();
    let (tx, events) = mpsc::unbounded_channel();
    let client = fresh
        .connect_options()
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(event);
            }
        })
        .connect(url)
        .await
        .unwrap();
    let mut events = events;
    // The first connect's event, so that a later `Connected` is a reconnect's.
    event_until(&mut events, Instant::now() + STEP, |e| {
        matches!(e, Event::Connected)
    })
    .await;
    let renewals = fresh.subscribe();
    let renewal = fresh
        .start_renewal(client.clone(), Some(client.clone()))
        .await;
    RustUser {
        fresh,
        client,
        events,
        renewals,
        _renewal: renewal,
    }
}

/// Waits for `wanted` among `events` until `deadline`.
async fn event_until(
    events: &mut mpsc::UnboundedReceiver<Event>,
    deadline: Instant,
    wanted: impl Fn(&Event) -> bool,
) -> Event {
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the awaited connection event did not come in time")
            .expect("event stream closed");
        if wanted(&event) {
            return event;
        }
    }
}

/// `clients/python/tests/renew_now_client.py`, its JSON lines echoed and kept.
struct PythonUser {
    child: Child,
    lines: mpsc::UnboundedReceiver<Value>,
}

fn start_python(python: &Path, url: &str, bootstrap: &Path, name: &str) -> PythonUser {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/python/tests/renew_now_client.py");
    let mut child = Command::new(python)
        .arg(script)
        .args(["--url", url, "--name", name, "--ttl", &TTL.to_string()])
        .arg("--bootstrap-creds")
        .arg(bootstrap)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            println!("python: {line}");
            if let Ok(value) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(value);
            }
        }
    });
    PythonUser { child, lines }
}

impl PythonUser {
    /// The next line holding `key`.
    async fn line_with(&mut self, key: &str) -> Value {
        let deadline = Instant::now() + STEP;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("no `{key}` from the Python client within {STEP:?}"))
                .unwrap_or_else(|| panic!("the Python client ended without `{key}`"));
            if line.get(key).is_some() {
                return line;
            }
        }
    }

    async fn finish(mut self) {
        let status = tokio::time::timeout(STEP, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "the Python client failed: {status}");
    }
}

fn publish_allow(fresh: &FreshCreds) -> Vec<String> {
    let creds = fresh.creds_file().unwrap();
    let jwt = claims::parse_creds(&creds).unwrap().jwt;
    claims::UserClaims::decode(&jwt)
        .unwrap()
        .nats
        .permissions
        .publish
        .allow
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_narrowing_reload_reaches_live_clients_at_once_and_the_old_grant_is_refused() {
    let python = python::interpreter();
    let estate = ProductEstate::start(&["acme"], ResolverKind::Full, true).unwrap();
    let policy_path = write_policy(&estate, false);
    let p = provisioner(&estate, "p", &policy_path, &[]);
    let url = estate.url();
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;

    let mut nora = rust_user(&url, &bootstrap, "nora").await;
    let mut bystander = rust_user(&url, &bootstrap, "otto").await;
    assert!(publish_allow(&nora.fresh).contains(&"tenant.acme.nora.>".to_owned()));
    // The wide grant works: nora hears its own publish under tenant.acme.nora.
    let mut own = nora.client.subscribe("tenant.acme.nora.>").await.unwrap();
    nora.client.flush().await.unwrap();
    nora.client
        .publish("tenant.acme.nora.wide", "before".into())
        .await
        .unwrap();
    let heard = tokio::time::timeout(STEP, futures::StreamExt::next(&mut own))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard.subject.as_str(), "tenant.acme.nora.wide");

    let mut py = start_python(
        &python,
        &url,
        &estate.creds_path("acme", "bootstrap"),
        "pia",
    );
    let ready = py.line_with("ready").await;
    assert_eq!(ready["ready"], Value::Bool(true), "{ready}");

    // Only nora may hear nora's notices: otto may not subscribe to them.
    bystander
        .client
        .subscribe("_INBOX.nora.renew-now")
        .await
        .unwrap();
    bystander.client.flush().await.unwrap();
    event_until(&mut bystander.events, Instant::now() + STEP, |e| {
        matches!(e, Event::ServerError(ServerError::Other(text))
            if text.to_lowercase().contains("permissions violation for subscription")
                && text.contains("_INBOX.nora.renew-now"))
    })
    .await;

    // The reload narrows every acme user's publish grant.
    write_policy(&estate, true);
    let sent = Instant::now();
    p.signal("HUP").unwrap();

    // nora renews at once.
    let renewed = tokio::time::timeout_at(sent + STEP, nora.renewals.recv())
        .await
        .expect("no renewal after the reload")
        .unwrap();
    let reached = sent.elapsed();
    println!("renew now: the reload reached the Rust client and renewed its creds in {reached:?}");
    assert!(
        matches!(renewed, RenewalEvent::Renewed { .. }),
        "{renewed:?}"
    );
    assert!(reached <= REACH, "took {reached:?}, more than {REACH:?}");
    let narrowed = publish_allow(&nora.fresh);
    assert!(
        narrowed.contains(&"tenant.acme.nora.narrow.>".to_owned()),
        "{narrowed:?}"
    );
    assert!(
        !narrowed.contains(&"tenant.acme.nora.>".to_owned()),
        "{narrowed:?}"
    );

    // The renewal reconnects with the new JWT (the first `Connected` since the one of the
    // first connect); the next publish outside it is refused.
    event_until(&mut nora.events, Instant::now() + STEP, |e| {
        matches!(e, Event::Connected)
    })
    .await;
    nora.client
        .publish("tenant.acme.nora.wide", "after".into())
        .await
        .unwrap();
    nora.client.flush().await.unwrap();
    let refused = event_until(&mut nora.events, Instant::now() + STEP, |e| {
        matches!(e, Event::ServerError(ServerError::Other(text))
            if text.to_lowercase().contains("permissions violation")
                && text.contains("\"tenant.acme.nora.wide\""))
    })
    .await;
    println!("renew now: the next publish outside the new grant: {refused}");
    // Inside the new grant it still works, on the resumed subscription.
    nora.client
        .publish("tenant.acme.nora.narrow.x", "inside".into())
        .await
        .unwrap();
    let heard = tokio::time::timeout(STEP, futures::StreamExt::next(&mut own))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard.subject.as_str(), "tenant.acme.nora.narrow.x");

    // The Python helper heard its notice and renewed, long before its schedule.
    let after = py.line_with("renewed").await;
    let notices = after["notices"].as_u64().unwrap_or(0);
    let publish = after["publish"].to_string();
    println!(
        "renew now: the Python helper renewed {}s after it was ready, notices heard {notices}",
        after["after_ready_secs"]
    );
    assert!(notices >= 1, "{after}");
    assert!(publish.contains("tenant.acme.pia.narrow.>"), "{publish}");
    py.finish().await;

    // otto's grant changed too: its own notice renewed it.
    let otto = tokio::time::timeout(STEP, bystander.renewals.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(otto, RenewalEvent::Renewed { .. }), "{otto:?}");
    assert!(publish_allow(&bystander.fresh).contains(&"tenant.acme.otto.narrow.>".to_owned()));
}
