//! A registry an older release made (finding 9): its users and invites buckets have no
//! per-message TTL and its entries no lifetime. `provisioner serve` turns TTL on at
//! start-up and gives the entries their lifetimes, so a user entry whose JWTs all expired
//! leaves, a revoked one stays, and an invite made before tokens named their tenant
//! (stored under its bare id) is still listed, redeemed and revoked by its own tenant
//! only.

use async_nats::jetstream::kv;
use claims::KeyPair;
use integration_tests::{connect_with_creds, unix_now};
use nsc_setup::ResolverKind;
use registry::entry::UserEntry;
use registry::invite::{token_id, InviteEntry};
use serde_json::json;

use super::state::{headers, registry_js, until_gone};
use crate::registry::{admin, ask, code, estate, insider, policy, proven, provisioner};

/// A user entry of acme as an older release wrote it.
fn user(name: &str, exp: i64, revoked: bool) -> UserEntry {
    let now = unix_now();
    UserEntry {
        tenant: "acme".into(),
        name: name.into(),
        public_key: KeyPair::new_user().public_key(),
        account: String::from("AACME"),
        jti: format!("J{name}"),
        iat: now - 7_200,
        exp,
        max_exp: exp,
        issuer: String::new(),
        request_id: String::from("older"),
        issued: 1,
        revoked,
        revoked_at: revoked.then_some(now - 7_000),
        lease: None,
        per_connection: false,
        earlier_keys: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_registry_is_upgraded_at_start_up_and_its_invites_still_work() {
    let estate = estate(ResolverKind::Memory);
    let js = registry_js(&estate).await;
    let older = |bucket: &str| kv::Config {
        bucket: bucket.to_owned(),
        history: 1,
        storage: async_nats::jetstream::stream::StorageType::File,
        ..Default::default()
    };
    let users = js.create_key_value(older("creds_users")).await.unwrap();
    let invites = js.create_key_value(older("creds_invites")).await.unwrap();
    let now = unix_now();
    for entry in [
        user("gone", now - 100, false),
        user("banished", now - 100, true),
        user("current", now + 3_600, false),
    ] {
        let value = serde_json::to_vec(&entry).unwrap();
        let key = format!("acme.{}", entry.name);
        users.put(key, value.into()).await.unwrap();
    }
    // A legacy token: `inv_` and base32, no tenant; stored under its bare id.
    let token = format!("inv_{}", &KeyPair::new_user().public_key()[1..53]);
    let id = token_id(&token);
    let invite = InviteEntry {
        tenant: "acme".into(),
        name_pattern: "old-*".into(),
        tags: Vec::new(),
        uses: 2,
        uses_left: 2,
        expires: now + 3_600,
        created_at: now - 60,
        created_by: String::from("UADMIN"),
        revoked: false,
        redemptions: Vec::new(),
    };
    let value = serde_json::to_vec(&invite).unwrap();
    invites.put(&id, value.into()).await.unwrap();

    let policy = policy(
        &estate,
        &[
            ("acme", "identity.invite.enabled = true\n"),
            ("globex", "identity.invite.enabled = true\n"),
        ],
        &[],
    );
    let _p = provisioner(&estate, "p1", &policy, &["--registry-user-grace-secs", "1"]);
    for bucket in ["KV_creds_users", "KV_creds_invites"] {
        let mut stream = js.get_stream(bucket).await.unwrap();
        let info = stream.info().await.unwrap();
        assert!(info.config.allow_message_ttl, "{bucket} has no TTL");
    }
    until_gone(&users, "acme.gone").await;
    assert!(users.entry("acme.banished").await.unwrap().is_some());
    let banished = headers(&js, "creds_users", "acme.banished").await.unwrap();
    assert!(banished.get("Nats-TTL").is_none(), "{banished:?}");
    let current = headers(&js, "creds_users", "acme.current").await.unwrap();
    assert!(current.get("Nats-TTL").is_some(), "{current:?}");

    // The legacy invite: listed by its tenant, redeemed from its token alone.
    let url = estate.url();
    let connect = |account: &'static str| {
        let creds = estate.creds(account, "admin").unwrap();
        let url = url.clone();
        async move { connect_with_creds(&url, &creds).await.unwrap().client }
    };
    let acme_admin = connect("acme").await;
    let globex_admin = connect("globex").await;
    let (_, listed) = admin(&acme_admin, "invites.list", json!({})).await;
    assert_eq!(listed["invites"][0]["id"], json!(id), "{listed}");
    let (_, listed) = admin(&globex_admin, "invites.list", json!({})).await;
    assert_eq!(listed["invites"], json!([]), "{listed}");
    let inside = connect_with_creds(&url, &insider(&estate))
        .await
        .unwrap()
        .client;
    let (status, minted) = ask(
        &inside,
        &proven(&KeyPair::new_user(), "old-timer", None, Some(&token)),
    )
    .await;
    assert_eq!(status, 200, "{minted}");
    let written = headers(&js, "creds_invites", &id).await.unwrap();
    assert!(written.get("Nats-TTL").is_some(), "{written:?}");

    // Revoked by its own tenant only; another tenant gets the unknown id's answer.
    let (status, reply) = admin(&globex_admin, "invites.revoke", json!({"id": id})).await;
    assert_eq!((status, code(&reply)), (404, "invite_not_found"), "{reply}");
    let (status, reply) = admin(&acme_admin, "invites.revoke", json!({"id": id})).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["invite"]["revoked"], json!(true), "{reply}");
}
