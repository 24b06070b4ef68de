//! The global estate: a supercluster of regions joined by gateways plus a leaf node,
//! built by `nsc-setup init --region … --leaf …` and run on loopback
//! ([`integration_tests::supercluster`]), with provisioner replicas in several regions and
//! the registry placed in the home region.
//!
//! Shared here: connecting with a creds file to a set of URLs, and issuing a user with
//! retries across a failover.

mod agents;
mod failover;
mod home_cut_off;
mod issuance;
mod revocation;

use std::time::Duration;

use async_nats::Client;
use claims::{KeyPair, UserClaims};
use integration_tests::{workspace_bin, ProductProcess};
use serde_json::Value;

use crate::registry::{proven, SUBJECT};

/// Tries per user before a test gives up.
const TRIES: usize = 80;
/// How long a replica may take to open the registry in the supercluster.
const SERVING: Duration = Duration::from_secs(60);

/// Connects with creds `text` to any of `urls` (comma-separated), reconnecting forever;
/// replies come to the user's private inbox.
pub async fn connect(urls: &str, text: &str) -> Client {
    let mut options = async_nats::ConnectOptions::with_credentials(text)
        .unwrap()
        .request_timeout(Some(Duration::from_secs(4)));
    if let Some(prefix) = claims::creds_inbox_prefix(text) {
        options = options.custom_inbox_prefix(prefix);
    }
    let addrs: Vec<async_nats::ServerAddr> = urls.split(',').map(|u| u.parse().unwrap()).collect();
    options.connect(addrs).await.unwrap()
}

/// Starts `provisioner serve` on the estate's `provisioner.toml`, connected to `urls`,
/// and waits until it serves.
pub fn provisioner(estate: &std::path::Path, label: &str, urls: &str) -> ProductProcess {
    let bin = workspace_bin("provisioner").unwrap();
    let config = estate.join("provisioner.toml").display().to_string();
    let args = [
        "serve",
        "--config",
        &config,
        "-s",
        urls,
        "--admin-addr",
        "127.0.0.1:0",
        "--request-timeout-ms",
        "10000",
    ];
    let log = estate.join(format!("{label}.log"));
    let mut process = ProductProcess::start(&bin, &args, log, &[]).unwrap();
    process.wait_for_output("serving", SERVING).unwrap();
    process
}

/// A user issued through a failover.
pub struct Issued {
    /// The creds file text.
    pub creds: String,
    /// The tries that failed before the one that succeeded.
    pub retries: usize,
    /// The region the reply says served it.
    pub region: Option<String>,
}

/// Issues `name` for `user` through `client`, retrying what a failover interrupted.
pub async fn issue(client: &Client, user: &KeyPair, name: &str) -> Issued {
    for attempt in 0..TRIES {
        let request = proven(user, name, None, None).to_string();
        let sent = tokio::time::timeout(
            Duration::from_secs(5),
            client.request(SUBJECT, request.into()),
        )
        .await;
        if let Ok(Ok(reply)) = sent {
            let status = reply
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Service-Error-Code"))
                .map(|v| v.as_str().to_owned());
            let body: Value = serde_json::from_slice(&reply.payload).unwrap_or(Value::Null);
            match status.as_deref() {
                None => {
                    let jwt = body["jwt"].as_str().unwrap();
                    assert_eq!(UserClaims::decode(jwt).unwrap().sub, user.public_key());
                    let creds = claims::format_creds(jwt, &user.seed().unwrap());
                    let region = reply
                        .headers
                        .as_ref()
                        .and_then(|h| h.get("Served-Region"))
                        .map(|v| v.as_str().to_owned());
                    return Issued {
                        creds,
                        retries: attempt,
                        region,
                    };
                }
                // Only unavailability is retried; a refusal would be a bug.
                Some("500" | "503") => {}
                Some(other) => panic!("`{name}` refused with {other}: {body}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("`{name}` not issued after {TRIES} tries");
}

/// An admin call on `creds.admin.<op>`, retried while the registry settles.
pub async fn admin_settled(client: &Client, op: &str) -> Value {
    for _ in 0..TRIES {
        let sent = tokio::time::timeout(
            Duration::from_secs(5),
            client.request(
                format!("creds.admin.{op}"),
                bytes::Bytes::from_static(b"{}"),
            ),
        )
        .await;
        if let Ok(Ok(reply)) = sent {
            let failed = reply
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Service-Error-Code"))
                .map(|v| v.as_str().to_owned());
            match failed.as_deref() {
                None => return serde_json::from_slice(&reply.payload).unwrap(),
                Some("500" | "503") => {}
                Some(other) => panic!("`{op}` refused with {other}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("`{op}` failed after {TRIES} tries");
}
