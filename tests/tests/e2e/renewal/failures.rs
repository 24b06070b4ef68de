//! The library's failure path against real processes: `renew_now` renews at once; while
//! the provisioner is down each attempt fails and the next waits longer (a capped
//! exponential backoff, never a spin); once it is back, the next attempt renews.

use std::time::Duration;

use integration_tests::{connect_with_creds, ProductEstate};
use nats_creds_client::{Ask, FreshCreds, RenewalEvent, RenewalOptions};
use nsc_setup::ResolverKind;
use tokio::sync::broadcast;

/// Upper bound for one awaited event.
const EVENT: Duration = Duration::from_secs(10);

async fn next(events: &mut broadcast::Receiver<RenewalEvent>) -> RenewalEvent {
    tokio::time::timeout(EVENT, events.recv())
        .await
        .expect("no renewal event in time")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewals_back_off_while_the_service_is_down_and_resume_when_it_is_back() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let mut provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let url = estate.url();
    let bootstrap = estate.creds("acme", "bootstrap").unwrap();
    let bootstrap = connect_with_creds(&url, &bootstrap).await.unwrap().client;
    let ask = Ask {
        name: "backoff".into(),
        ttl: Some(3600),
        ..Ask::default()
    };
    let options = RenewalOptions {
        backoff_min: Duration::from_millis(200),
        backoff_max: Duration::from_millis(800),
        ..RenewalOptions::default()
    };
    let fresh = FreshCreds::new(claims::KeyPair::new_user(), ask, options);
    let first = fresh.obtain(&bootstrap).await.unwrap();
    let mut events = fresh.subscribe();
    let _renewal = fresh.spawn_renewal(bootstrap.clone(), None);

    // An hour-long credential is not due for half an hour: renew_now renews at once.
    fresh.renew_now();
    let RenewalEvent::Renewed { expires } = next(&mut events).await else {
        panic!("renew_now did not renew");
    };
    assert!(expires >= first.expires, "{expires} < {}", first.expires);

    provisioner.kill();
    fresh.renew_now();
    let mut waits = Vec::new();
    for _ in 0..4 {
        match next(&mut events).await {
            RenewalEvent::Failed { reason, retry_in } => {
                assert!(reason.starts_with("no answer"), "{reason}");
                waits.push(retry_in);
            }
            other => panic!("renewed while the service is down: {other:?}"),
        }
    }
    println!("waits between failed attempts: {waits:?}");
    // Each wait is drawn from the upper half of its step: 200, 400, 800, 800 ms.
    let steps = [200u64, 400, 800, 800].map(Duration::from_millis);
    for (wait, step) in waits.iter().zip(steps) {
        assert!(
            *wait >= step / 2 && *wait <= step,
            "{wait:?} outside {step:?}'s upper half"
        );
    }

    let _back = estate.start_provisioner("p2", &[]).unwrap();
    loop {
        match next(&mut events).await {
            RenewalEvent::Renewed { .. } => break,
            RenewalEvent::Failed { retry_in, .. } => {
                assert!(retry_in <= Duration::from_millis(800), "{retry_in:?}");
            }
        }
    }
    let creds = fresh.creds_file().unwrap();
    connect_with_creds(&url, &creds).await.unwrap();
}
