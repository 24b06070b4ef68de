//! The generated estate on a server started from the generated `server.conf`, with the
//! full and the memory resolver, plain and scoped tenant signing keys.

use std::time::Duration;

use claims::{UserClaims, UserPermissionLimits};
use futures::StreamExt as _;
use integration_tests::{mint_user, STEP};
use nsc_setup::ResolverKind;

use crate::common::{elided, request_info, Fixture};

#[tokio::test]
async fn full_resolver_plain_keys_with_jetstream() {
    the_estate_works(ResolverKind::Full, false, true).await;
}

#[tokio::test]
async fn full_resolver_scoped_keys() {
    the_estate_works(ResolverKind::Full, true, false).await;
}

#[tokio::test]
async fn memory_resolver_plain_keys() {
    the_estate_works(ResolverKind::Memory, false, false).await;
}

#[tokio::test]
async fn memory_resolver_scoped_keys_with_jetstream() {
    the_estate_works(ResolverKind::Memory, true, true).await;
}

async fn the_estate_works(resolver: ResolverKind, scoped: bool, jetstream: bool) {
    let f = Fixture::start(resolver, scoped, jetstream);
    tokio::time::timeout(Duration::from_secs(60), async {
        every_user_connects(&f).await;
        bootstrap_may_only_request_credentials(&f).await;
        admin_reaches_the_admin_endpoints_with_its_tags(&f).await;
        minted_users_reach_services_only_through_the_import(&f, scoped).await;
        if jetstream {
            the_provisioner_can_keep_a_kv_registry(&f).await;
        }
    })
    .await
    .expect("test deadline");
}

async fn every_user_connects(f: &Fixture) {
    let mut count = 0;
    for account in &f.written.estate.accounts {
        for user in &account.users {
            let client = f.connect(&account.name, &user.name).await;
            assert!(
                client.is_ok(),
                "{}/{}: {:?}",
                account.name,
                user.name,
                client.err()
            );
            count += 1;
        }
    }
    assert_eq!(count, 7);
}

async fn bootstrap_may_only_request_credentials(f: &Fixture) {
    let provisioner = f.connect("AUTH", "provisioner").await.unwrap();
    let mut requests = provisioner
        .client
        .queue_subscribe("creds.request", "provisioner".into())
        .await
        .unwrap();
    provisioner.client.flush().await.unwrap();

    let mut bootstrap = f.connect("acme", "bootstrap").await.unwrap();
    let request = bootstrap.client.request("creds.request", "hello".into());
    let respond = async {
        let message = tokio::time::timeout(STEP, requests.next())
            .await
            .unwrap()
            .unwrap();
        let reply = message.reply.clone().unwrap();
        provisioner
            .client
            .publish(reply, "minted".into())
            .await
            .unwrap();
        provisioner.client.flush().await.unwrap();
        message
    };
    let (reply, message) = tokio::join!(request, respond);
    assert_eq!(&reply.unwrap().payload[..], b"minted");
    assert_eq!(&message.payload[..], b"hello");

    let info = request_info(&message);
    eprintln!(
        "Nats-Request-Info (bootstrap -> creds.request): {}",
        elided(&info)
    );
    let acme = f.account("acme");
    let user = acme.user("bootstrap").unwrap();
    assert_eq!(info["acc"], acme.public_key(), "the tenant account");
    assert_eq!(
        info["jwt"],
        user.jwt.as_str(),
        "share=true carries the caller's JWT"
    );
    assert_eq!(info["user"], user.public_key());
    assert_eq!(info["issuer_key"], acme.public_key());
    assert_eq!(info["name_tag"], "bootstrap");

    // Anything else is refused.
    for subject in [
        "svc.x",
        "creds.admin.x",
        "tenant.acme.x",
        "creds.audit.events",
    ] {
        bootstrap.client.publish(subject, "x".into()).await.unwrap();
        bootstrap.client.flush().await.unwrap();
        bootstrap
            .expect_permission_violation(subject)
            .await
            .unwrap();
    }
    // Nor may it read other users' replies: its own inbox is `_INBOX.bootstrap.>`.
    for subject in ["creds.request", "_INBOX.>", "_INBOX.admin.>"] {
        let _sub = bootstrap.client.subscribe(subject).await.unwrap();
        bootstrap.client.flush().await.unwrap();
        bootstrap
            .expect_permission_violation(subject)
            .await
            .unwrap();
    }
}

async fn admin_reaches_the_admin_endpoints_with_its_tags(f: &Fixture) {
    let provisioner = f.connect("AUTH", "provisioner").await.unwrap();
    let mut admin_requests = provisioner.client.subscribe("creds.admin.>").await.unwrap();
    provisioner.client.flush().await.unwrap();
    let admin = f.connect("globex", "admin").await.unwrap();
    let request = admin.client.request("creds.admin.users.list", "".into());
    let respond = async {
        let message = tokio::time::timeout(STEP, admin_requests.next())
            .await
            .unwrap()
            .unwrap();
        provisioner
            .client
            .publish(message.reply.clone().unwrap(), "[]".into())
            .await
            .unwrap();
        provisioner.client.flush().await.unwrap();
        message
    };
    let (reply, message) = tokio::join!(request, respond);
    assert_eq!(&reply.unwrap().payload[..], b"[]");
    assert_eq!(message.subject.as_str(), "creds.admin.users.list");
    let info = request_info(&message);
    eprintln!(
        "Nats-Request-Info (admin -> creds.admin.>): {}",
        elided(&info)
    );
    assert_eq!(info["acc"], f.account("globex").public_key());
    assert_eq!(info["tags"], serde_json::json!(["role:admin"]));
}

async fn minted_users_reach_services_only_through_the_import(f: &Fixture, scoped: bool) {
    let acme = f.account("acme");
    let signing_key = acme.minted_user_key().unwrap();
    assert_eq!(acme.is_scoped(&signing_key.public_key()), scoped);
    let alice = mint_user(
        signing_key,
        acme.public_key(),
        "alice",
        |u: &mut UserClaims| {
            if scoped {
                u.nats.permissions = UserPermissionLimits::default();
            } else {
                let p = &mut u.nats.permissions;
                p.publish.allow = vec!["tenant.acme.alice.>".into(), "svc.>".into()];
                p.subscribe.allow = vec!["tenant.acme.alice.>".into(), "_INBOX.alice.>".into()];
            }
        },
    )
    .unwrap();
    let mut alice = integration_tests::connect_with_creds(&f.url(), &alice.creds)
        .await
        .unwrap();

    let agent = f.connect("SERVICES", "agent").await.unwrap();
    let mut calls = agent.client.subscribe("svc.>").await.unwrap();
    agent.client.flush().await.unwrap();

    // A publisher without the import (the system account's user) does not reach svc.>.
    let sys = f.connect("SYS", "sys").await.unwrap();
    sys.client
        .publish("svc.not-imported", "x".into())
        .await
        .unwrap();
    sys.client.flush().await.unwrap();

    let request = alice.client.request("svc.provision.vm", "{}".into());
    let respond = async {
        let message = tokio::time::timeout(STEP, calls.next())
            .await
            .unwrap()
            .unwrap();
        agent
            .client
            .publish(message.reply.clone().unwrap(), "allocated".into())
            .await
            .unwrap();
        agent.client.flush().await.unwrap();
        message
    };
    let (reply, message) = tokio::join!(request, respond);
    assert_eq!(&reply.unwrap().payload[..], b"allocated");
    assert_eq!(
        message.subject.as_str(),
        "svc.provision.vm",
        "only the imported call arrives"
    );
    let info = request_info(&message);
    eprintln!(
        "Nats-Request-Info (minted alice -> svc.>, scoped={scoped}): {}",
        elided(&info)
    );
    assert_eq!(info["acc"], acme.public_key());
    assert_eq!(info["issuer_key"], signing_key.public_key());
    assert_eq!(info["name_tag"], "alice");

    // Its own subjects work; other users' subjects and the admin endpoints do not.
    let mut own = alice
        .client
        .subscribe("tenant.acme.alice.inbox")
        .await
        .unwrap();
    alice
        .client
        .publish("tenant.acme.alice.inbox", "me".into())
        .await
        .unwrap();
    let got = tokio::time::timeout(STEP, own.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got.payload[..], b"me");
    for subject in ["tenant.acme.bob.inbox", "creds.admin.users.list"] {
        alice.client.publish(subject, "x".into()).await.unwrap();
        alice.client.flush().await.unwrap();
        alice.expect_permission_violation(subject).await.unwrap();
    }
}

async fn the_provisioner_can_keep_a_kv_registry(f: &Fixture) {
    let provisioner = f.connect("AUTH", "provisioner").await.unwrap();
    let js = async_nats::jetstream::new(provisioner.client.clone());
    let kv = js
        .create_key_value(async_nats::jetstream::kv::Config {
            bucket: "registry".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    kv.put("acme.alice", "UKEY".into()).await.unwrap();
    let value = kv.get("acme.alice").await.unwrap().unwrap();
    assert_eq!(&value[..], b"UKEY");
}
