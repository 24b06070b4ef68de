//! Subjects: the storage agent cannot subscribe to, answer or publish compute's subjects,
//! joins only its own queue groups and answers its own (ping and locate among them); the admin subtree
//! `svc.<service>.admin.>` is for the service's admin and agents, never for tenants.

use async_nats::RequestErrorKind;

use super::{answer, has_pending, settled, Isolated};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_agent_neither_sees_nor_answers_compute_requests() {
    let estate = Isolated::start();
    let mut storage = estate.service_user("agent-storage-sto1").await;
    let compute = estate.service_user("agent-compute-sto1").await;
    let alice = estate.tenant_user("alice").await;

    // Another service's subjects and queue groups: refused by the server.
    let mut stolen = storage.client.subscribe("svc.compute.>").await.unwrap();
    storage
        .expect_permission_violation("svc.compute.>")
        .await
        .unwrap();
    let mut stolen_queue = storage
        .client
        .queue_subscribe("svc.compute.sto1.allocate", "compute.sto1".into())
        .await
        .unwrap();
    storage
        .expect_permission_violation("svc.compute.sto1.allocate")
        .await
        .unwrap();
    // Its own site's subjects only in its own queue group, not as a plain listener.
    let _plain = storage
        .client
        .subscribe("svc.storage.sto1.allocate")
        .await
        .unwrap();
    storage
        .expect_permission_violation("svc.storage.sto1.allocate")
        .await
        .unwrap();
    // No agent may publish a request to any service (it would carry no server-set
    // identity): refused.
    storage
        .client
        .publish("svc.compute.sto1.allocate", "{}".into())
        .await
        .unwrap();
    storage.client.flush().await.unwrap();
    storage
        .expect_permission_violation("svc.compute.sto1.allocate")
        .await
        .unwrap();

    // Its own subjects: a plain ping and locate, and its site's queue.
    let mut ping = storage.client.subscribe("svc.storage.ping").await.unwrap();
    let mut locate = storage
        .client
        .subscribe("svc.storage.locate")
        .await
        .unwrap();
    let mut own = storage
        .client
        .queue_subscribe("svc.storage.sto1.allocate", "storage.sto1".into())
        .await
        .unwrap();
    settled(&storage).await;
    let mut compute_queue = compute
        .client
        .queue_subscribe("svc.compute.sto1.allocate", "compute.sto1".into())
        .await
        .unwrap();
    settled(&compute).await;

    // A tenant's request to compute reaches compute only.
    let (reply, request) = tokio::join!(
        alice
            .client
            .request("svc.compute.sto1.allocate", "{}".into()),
        answer(&compute, &mut compute_queue, "compute answered"),
    );
    assert_eq!(&reply.unwrap().payload[..], b"compute answered");
    assert!(request.headers.unwrap().get("Nats-Request-Info").is_some());

    // The storage agent answers a tenant's requests on its own subjects.
    let (reply, _) = tokio::join!(
        alice.client.request("svc.storage.ping", "{}".into()),
        answer(&storage, &mut ping, "storage pong"),
    );
    assert_eq!(&reply.unwrap().payload[..], b"storage pong");
    let (reply, _) = tokio::join!(
        alice.client.request("svc.storage.locate", "{}".into()),
        answer(&storage, &mut locate, "storage: not here"),
    );
    assert_eq!(&reply.unwrap().payload[..], b"storage: not here");
    let (reply, _) = tokio::join!(
        alice
            .client
            .request("svc.storage.sto1.allocate", "{}".into()),
        answer(&storage, &mut own, "storage allocated"),
    );
    assert_eq!(&reply.unwrap().payload[..], b"storage allocated");
    // Those answers came after alice's compute request: had the refused subscriptions
    // been accepted, it would be waiting in them now.
    assert!(!has_pending(&mut stolen), "storage saw a compute request");
    assert!(
        !has_pending(&mut stolen_queue),
        "storage joined compute's queue"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_subtree_is_for_the_service_admin_and_never_for_tenants() {
    let estate = Isolated::start();
    let mut admin = estate.service_user("admin-storage").await;
    let storage = estate.service_user("agent-storage-sto1").await;
    let mut compute = estate.service_user("agent-compute-sto1").await;
    let alice = estate.tenant_user("alice").await;

    // The admin cannot listen to requests, nor reach another service's admin subtree.
    let _all = admin.client.subscribe("svc.>").await.unwrap();
    admin.expect_permission_violation("svc.>").await.unwrap();
    let _site = admin
        .client
        .subscribe("svc.storage.sto1.allocate")
        .await
        .unwrap();
    admin
        .expect_permission_violation("svc.storage.sto1.allocate")
        .await
        .unwrap();
    admin
        .client
        .publish("svc.compute.admin.approve", "{}".into())
        .await
        .unwrap();
    admin.client.flush().await.unwrap();
    admin
        .expect_permission_violation("svc.compute.admin.approve")
        .await
        .unwrap();
    // Nor can another service's agent listen to storage's admin subtree.
    let _other = compute
        .client
        .subscribe("svc.storage.admin.>")
        .await
        .unwrap();
    compute
        .expect_permission_violation("svc.storage.admin.>")
        .await
        .unwrap();

    // Storage's agent hears its admin and answers on the admin's private inbox.
    let mut approvals = storage
        .client
        .subscribe("svc.storage.admin.>")
        .await
        .unwrap();
    settled(&storage).await;
    let (reply, request) = tokio::join!(
        admin
            .client
            .request("svc.storage.admin.approve", "{\"id\":\"x\"}".into()),
        answer(&storage, &mut approvals, "approved"),
    );
    assert_eq!(&reply.unwrap().payload[..], b"approved");
    assert_eq!(request.subject.as_str(), "svc.storage.admin.approve");
    assert!(
        request
            .headers
            .is_none_or(|h| h.get("Nats-Request-Info").is_none()),
        "an admin request crosses no import"
    );

    // A tenant's account does not import the admin subtree: nobody there, whatever it
    // sends (even `allocate`, a tenant operation's name, below `admin`).
    for subject in ["svc.storage.admin.approve", "svc.storage.admin.allocate"] {
        let refused = alice.client.request(subject, "{}".into()).await;
        assert_eq!(
            refused.map(|m| m.payload).unwrap_err().kind(),
            RequestErrorKind::NoResponders,
            "{subject}"
        );
    }
    // The admin's next request is the next thing the agent hears: nothing of alice's
    // came in between.
    let (reply, request) = tokio::join!(
        admin
            .client
            .request("svc.storage.admin.deny", "{\"id\":\"y\"}".into()),
        answer(&storage, &mut approvals, "denied"),
    );
    assert_eq!(request.subject.as_str(), "svc.storage.admin.deny");
    assert_eq!(&reply.unwrap().payload[..], b"denied");
}
