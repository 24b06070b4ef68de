//! Queued requests: a tenant's `svcq.<service>.<site>.<op>` arrives in SERVICES as
//! `svcq.<tenant account>.<service>.<site>.<op>` (the export's account token), the
//! service's work-queue stream `svcq_<service>` keeps it and acknowledges at once, and
//! the site's agent takes it through its durable pull consumer `site-<site>` with the
//! JetStream API async-nats uses, and acknowledges it. The agent's creds reach no other
//! service's stream, no other site's consumer and no other filter.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream, Context};
use async_nats::{HeaderMap, RequestErrorKind};
use futures::StreamExt as _;

use super::{settled, Isolated, WAIT};

/// Short enough that the refused JetStream calls below end soon, long enough for a busy
/// test machine to answer the allowed ones.
const JS_TIMEOUT: Duration = Duration::from_secs(3);

/// The service's stream, as the agent makes it.
fn stream_config(service: &str) -> stream::Config {
    stream::Config {
        name: format!("svcq_{service}"),
        subjects: vec![format!("svcq.*.{service}.>")],
        retention: stream::RetentionPolicy::WorkQueue,
        allow_direct: true,
        ..Default::default()
    }
}

/// The site's durable pull consumer with the one filter its creds allow.
fn consumer_config(service: &str, site: &str) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(format!("site-{site}")),
        filter_subject: format!("svcq.*.{service}.{site}.*"),
        ack_policy: consumer::AckPolicy::Explicit,
        ..Default::default()
    }
}

/// Publishes a queued request as a tenant's client does and returns the stream's
/// acknowledgement.
async fn queue(js: &Context, subject: &str, id: &str) -> jetstream::publish::PublishAck {
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", id);
    js.publish_with_headers(subject.to_owned(), headers, "{}".into())
        .await
        .unwrap()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_agent_takes_its_queued_requests_and_nothing_else() {
    let estate = Isolated::start();
    let mut storage = estate.service_user("agent-storage-sto1").await;
    let compute = estate.service_user("agent-compute-sto1").await;
    let acme = estate.written.estate.account("acme").unwrap().public_key();
    let globex = estate
        .written
        .estate
        .account("globex")
        .unwrap()
        .public_key();

    // The agent makes its service's stream and its site's consumer.
    let mut js = jetstream::new(storage.client.clone());
    js.set_timeout(JS_TIMEOUT);
    let mut kept = js
        .get_or_create_stream(stream_config("storage"))
        .await
        .unwrap();
    let ours: consumer::PullConsumer = kept
        .get_or_create_consumer("site-sto1", consumer_config("storage", "sto1"))
        .await
        .unwrap();
    // Again: found, not made (the info subject).
    let _: consumer::PullConsumer = kept
        .get_or_create_consumer("site-sto1", consumer_config("storage", "sto1"))
        .await
        .unwrap();

    // A tenant's request is kept under its account, acknowledged at once; a repeat with
    // the same message id is a duplicate.
    let alice = estate.tenant_user_of("acme", "alice").await;
    let alice_js = jetstream::new(alice.client.clone());
    let ack = queue(&alice_js, "svcq.storage.sto1.allocate", "r-1").await;
    assert_eq!((ack.stream.as_str(), ack.sequence), ("svcq_storage", 1));
    assert!(!ack.duplicate);
    let again = queue(&alice_js, "svcq.storage.sto1.allocate", "r-1").await;
    assert!(again.duplicate);
    let raw = kept.get_raw_message(1).await.unwrap();
    let subject = format!("svcq.{acme}.storage.sto1.allocate");
    assert_eq!(raw.subject.as_str(), subject);
    let direct = kept.direct_get(1).await.unwrap();
    assert_eq!(direct.subject.as_str(), subject);
    let last = kept.direct_get_last_for_subject(&subject).await.unwrap();
    assert_eq!(last.sequence, 1);

    // The agent fetches it, names the tenant from the subject, acknowledges it.
    let mut batch = ours.fetch().max_messages(1).messages().await.unwrap();
    let message = tokio::time::timeout(WAIT, batch.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(message.subject.as_str(), subject);
    message.double_ack().await.unwrap();
    assert_eq!(kept.info().await.unwrap().state.messages, 0);

    // Another tenant's request lands under its own key, taken by `messages()`.
    let bob = estate.tenant_user_of("globex", "bob").await;
    let bob_js = jetstream::new(bob.client.clone());
    let ack = queue(&bob_js, "svcq.storage.sto1.deallocate", "r-2").await;
    assert_eq!(ack.sequence, 2);
    let mut messages = ours.messages().await.unwrap();
    let message = tokio::time::timeout(WAIT, messages.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        message.subject.as_str(),
        format!("svcq.{globex}.storage.sto1.deallocate")
    );
    message.double_ack().await.unwrap();
    // Naming acme in its own subject gets globex nowhere: its import puts its own key
    // first, and no stream keeps `svcq.<globex>.<acme>.…`.
    let forged = bob
        .client
        .request(format!("svcq.{acme}.storage.sto1.allocate"), "{}".into())
        .await;
    assert_eq!(forged.unwrap_err().kind(), RequestErrorKind::NoResponders);
    let state = &kept.info().await.unwrap().state;
    assert_eq!((state.messages, state.last_sequence), (0, 2));

    // Compute's stream and consumer exist; the storage agent reaches neither.
    let compute_js = jetstream::new(compute.client.clone());
    let theirs = compute_js
        .get_or_create_stream(stream_config("compute"))
        .await
        .unwrap();
    let _: consumer::PullConsumer = theirs
        .get_or_create_consumer("site-sto1", consumer_config("compute", "sto1"))
        .await
        .unwrap();
    settled(&compute).await;
    assert!(js
        .create_consumer_on_stream(consumer_config("compute", "sto1"), "svcq_compute")
        .await
        .is_err());
    storage
        .expect_permission_violation(
            "$JS.API.CONSUMER.CREATE.svcq_compute.site-sto1.svcq.*.compute.sto1.*",
        )
        .await
        .unwrap();
    assert!(js.get_stream("svcq_compute").await.is_err());
    storage
        .expect_permission_violation("$JS.API.STREAM.INFO.svcq_compute")
        .await
        .unwrap();
    // Another site's consumer (and compute's): no fetch, no creation.
    for next in [
        "$JS.API.CONSUMER.MSG.NEXT.svcq_storage.site-osl1",
        "$JS.API.CONSUMER.MSG.NEXT.svcq_compute.site-sto1",
    ] {
        let inbox = storage.client.new_inbox();
        storage
            .client
            .publish_with_reply(next, inbox, "{\"batch\":1}".into())
            .await
            .unwrap();
        storage.client.flush().await.unwrap();
        storage.expect_permission_violation(next).await.unwrap();
    }
    assert!(kept
        .create_consumer(consumer_config("storage", "osl1"))
        .await
        .is_err());
    storage
        .expect_permission_violation(
            "$JS.API.CONSUMER.CREATE.svcq_storage.site-osl1.svcq.*.storage.osl1.*",
        )
        .await
        .unwrap();
    // Its own durable with a wider filter, or with `filter_subjects` (no filter in the
    // subject): refused, so it never takes another site's requests.
    let wider = consumer::pull::Config {
        filter_subject: String::from("svcq.*.storage.>"),
        ..consumer_config("storage", "sto1")
    };
    assert!(kept.create_consumer(wider).await.is_err());
    storage
        .expect_permission_violation(
            "$JS.API.CONSUMER.CREATE.svcq_storage.site-sto1.svcq.*.storage.>",
        )
        .await
        .unwrap();
    let listed = consumer::pull::Config {
        filter_subject: String::new(),
        filter_subjects: vec![String::from("svcq.*.storage.sto1.*")],
        ..consumer_config("storage", "sto1")
    };
    assert!(kept.create_consumer(listed).await.is_err());
    storage
        .expect_permission_violation("$JS.API.CONSUMER.CREATE.svcq_storage.site-sto1")
        .await
        .unwrap();
    // Tenants' requests to compute still reach compute's stream only.
    let ack = queue(&alice_js, "svcq.compute.sto1.allocate", "c-1").await;
    assert_eq!((ack.stream.as_str(), ack.sequence), ("svcq_compute", 1));
}
