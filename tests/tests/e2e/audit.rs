//! Audit events under load and across a shutdown: every answered request's event reaches
//! the audit subject, also when `provisioner serve` is told to stop while a burst of
//! requests is being answered, and the audit queue's metrics are served.

use std::collections::HashSet;
use std::time::Duration;

use claims::KeyPair;
use futures::StreamExt as _;
use integration_tests::{admin_addr, connect_with_creds, http_get, ProductEstate, LOG_WAIT};
use nsc_setup::ResolverKind;
use serde_json::Value;

use crate::provision::{ask, proven};

/// Requests in the burst.
const BURST: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_request_has_its_audit_event_also_across_a_shutdown() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let mut provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let admin = admin_addr(&provisioner.output()).expect("admin address logged");
    let ops = estate
        .extra_user("AUTH", "ops", |u| {
            u.nats.permissions.subscribe.allow = vec!["_INBOX.>".into(), "creds.audit.>".into()];
        })
        .unwrap();
    let ops = connect_with_creds(&estate.url(), &ops).await.unwrap();
    let mut audit = ops.client.subscribe("creds.audit.events").await.unwrap();
    ops.client.flush().await.unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    // Until one event arrives: the subscription may still be propagating.
    loop {
        let (status, body) = ask(
            &client,
            proven(&KeyPair::new_user(), "warm", None).to_string(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), audit.next()).await {
            break;
        }
    }
    let (status, metrics) = http_get(&admin, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("provisioner_audit_queue_depth"),
        "{metrics}"
    );

    // A burst, and the stop signal as soon as its answers are in.
    let asks = (0..BURST).map(|i| {
        let payload = proven(&KeyPair::new_user(), &format!("u{i}"), None).to_string();
        let client = &client;
        async move { ask(client, payload).await }
    });
    let answers = futures::future::join_all(asks).await;
    provisioner.signal("TERM").unwrap();
    let mut expected = HashSet::new();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        expected.insert(body["request_id"].as_str().unwrap().to_owned());
    }
    provisioner.wait_exit(LOG_WAIT).unwrap();

    // Every one of them was published before the provisioner exited.
    let deadline = tokio::time::Instant::now() + LOG_WAIT;
    while !expected.is_empty() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Ok(Some(event)) = tokio::time::timeout(left, audit.next()).await else {
            panic!("{} audit events never arrived", expected.len());
        };
        let event: Value = serde_json::from_slice(&event.payload).unwrap();
        if let Some(id) = event["request_id"].as_str() {
            expected.remove(id);
        }
    }
}
