//! `provisioner serve` over its life: two replicas in one queue group both serve and a
//! client's retries ride over one being killed under load; SIGHUP reloads the policy,
//! validated first, and a broken policy leaves the running one in place.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use claims::KeyPair;
use integration_tests::{connect_with_creds, ProductEstate, LOG_WAIT, STEP};
use nsc_setup::ResolverKind;
use serde_json::Value;

const SUBJECT: &str = "creds.request";

fn request_body(name: &str) -> bytes::Bytes {
    crate::proven::proven(&KeyPair::new_user(), name, None)
        .to_string()
        .into()
}

/// Sends a fresh request for `name`, retrying on timeouts and 503s, as a client should.
async fn request_with_retries(
    client: &async_nats::Client,
    name: &str,
    retries: &AtomicU64,
) -> Value {
    for _ in 0..10 {
        let sent = tokio::time::timeout(
            Duration::from_secs(1),
            client.request(SUBJECT, request_body(name)),
        )
        .await;
        match sent {
            Ok(Ok(reply))
                if reply
                    .headers
                    .as_ref()
                    .and_then(|h| h.get("Nats-Service-Error-Code"))
                    .is_none() =>
            {
                return serde_json::from_slice(&reply.payload).unwrap();
            }
            _ => {
                retries.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    panic!("request for `{name}` failed after 10 tries");
}

#[tokio::test]
async fn two_replicas_share_the_load_and_retries_survive_killing_one() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let mut p1 = estate.start_provisioner("p1", &[]).unwrap();
    let mut p2 = estate.start_provisioner("p2", &[]).unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let client = Arc::new(client.client);
    let retries = Arc::new(AtomicU64::new(0));

    // Warm-up: both replicas answer requests from the one queue group.
    for i in 0..40 {
        let body = request_with_retries(&client, &format!("warm{i}"), &retries).await;
        assert!(body["jwt"].is_string());
    }
    // Each replica logs its mints just after replying.
    p1.wait_for_count("minted", 1, LOG_WAIT)
        .expect("replica 1 served nothing");
    p2.wait_for_count("minted", 1, LOG_WAIT)
        .expect("replica 2 served nothing");

    // Load from 8 requesters; replica 1 is killed while it runs.
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let client = Arc::clone(&client);
        let retries = Arc::clone(&retries);
        let done = Arc::clone(&done);
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let body =
                    request_with_retries(&client, &format!("load{worker}x{i}"), &retries).await;
                assert!(body["jwt"].is_string(), "{body}");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let deadline = tokio::time::Instant::now() + STEP;
    while done.load(Ordering::Relaxed) < 50 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    p1.kill();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(done.load(Ordering::Relaxed), 200);
    eprintln!(
        "200 requests under load, replica killed mid-way, {} retries",
        retries.load(Ordering::Relaxed)
    );
}

#[tokio::test]
async fn sighup_reloads_a_valid_policy_and_keeps_the_old_one_on_error() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let mut provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let ask = |name: &'static str| {
        let client = client.client.clone();
        async move {
            let reply = client.request(SUBJECT, request_body(name)).await.unwrap();
            serde_json::from_slice::<Value>(&reply.payload).unwrap()
        }
    };
    assert!(ask("bob").await["jwt"].is_string());

    let policy_path = estate.written.dir.join("policy.toml");
    let original = std::fs::read_to_string(&policy_path).unwrap();
    // The estate already reserves names; bob joins them.
    let reserving_bob = original.replacen("names.reserved = [", "names.reserved = [\"bob\", ", 1);
    assert_ne!(reserving_bob, original);
    std::fs::write(&policy_path, &reserving_bob).unwrap();
    provisioner.signal("HUP").unwrap();
    provisioner
        .wait_for_output("SIGHUP: policy reloaded", STEP)
        .unwrap();
    assert_eq!(ask("bob").await["error"]["code"], "name_reserved");

    std::fs::write(&policy_path, format!("{reserving_bob}bogus_key = 1\n")).unwrap();
    provisioner.signal("HUP").unwrap();
    provisioner.wait_for_output("reload refused", STEP).unwrap();
    assert!(
        provisioner.output().contains("bogus_key"),
        "{}",
        provisioner.output()
    );
    // The previous (valid) policy still decides.
    assert_eq!(ask("bob").await["error"]["code"], "name_reserved");
    assert!(ask("carol").await["jwt"].is_string());
}

#[tokio::test]
async fn sigterm_exits_cleanly_even_when_the_server_is_gone() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let mut provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let ProductEstate {
        dir: _dir,
        written: _written,
        server,
    } = estate;
    drop(server);
    provisioner.wait_for_output("disconnected", STEP).unwrap();
    provisioner.signal("TERM").unwrap();
    let status = provisioner.wait_exit(Duration::from_secs(15)).unwrap();
    assert!(status.success(), "{}", provisioner.output());
}
