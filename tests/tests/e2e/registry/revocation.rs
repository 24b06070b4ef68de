//! Revocation with an operator signing key and the system account user: the provisioner
//! looks up the tenant's live account JWT, adds the user's key to `revocations`, prunes
//! the entries whose JWTs have all expired (thousands here), re-signs and pushes; the
//! server closes the user's connection and refuses it from then on. `provisioner tenant
//! users revoke` drives it, as a tenant admin would.

use std::time::Duration;

use async_nats::jetstream;
use claims::{AccountClaims, KeyPair};
use futures::StreamExt as _;
use integration_tests::{connect_with_creds, workspace_bin, ProductEstate};
use nsc_setup::{Layout, PushOptions, ResolverKind};
use registry::entry::UserEntry;
use serde_json::Value;

use super::{estate, mint, policy, provisioner};

/// Revocations seeded whose users' JWTs all expired an hour ago.
const EXPIRED: usize = 3_000;

/// The tenant account JWT the resolver holds now.
async fn live_account(sys: &async_nats::Client, account: &str) -> (usize, AccountClaims) {
    let reply = sys
        .request(
            format!("$SYS.REQ.ACCOUNT.{account}.CLAIMS.LOOKUP"),
            bytes::Bytes::new(),
        )
        .await
        .unwrap();
    let jwt = std::str::from_utf8(&reply.payload)
        .unwrap()
        .trim()
        .to_owned();
    (jwt.len(), AccountClaims::decode(&jwt).unwrap())
}

/// Writes `EXPIRED` revoked, long-expired users of `acme` into the registry as an AUTH
/// user would see them, and returns their keys.
async fn seed_expired_users(estate: &ProductEstate, acme: &str, now: i64) -> Vec<String> {
    let writer = estate
        .extra_user("AUTH", "registry-writer", |_| {})
        .unwrap();
    let writer = connect_with_creds(&estate.url(), &writer).await.unwrap();
    let users = jetstream::new(writer.client.clone())
        .get_key_value("creds_users")
        .await
        .unwrap();
    let keys: Vec<String> = (0..EXPIRED)
        .map(|_| KeyPair::new_user().public_key())
        .collect();
    let puts = keys.iter().enumerate().map(|(i, key)| {
        let entry = UserEntry {
            tenant: "acme".into(),
            name: format!("old{i}"),
            public_key: key.clone(),
            account: acme.to_owned(),
            jti: format!("J{i}"),
            iat: now - 7_200,
            exp: now - 3_600,
            max_exp: now - 3_600,
            issuer: String::new(),
            request_id: String::from("seeded"),
            issued: 1,
            revoked: true,
            revoked_at: Some(now - 7_000),
            lease: None,
            per_connection: false,
            earlier_keys: Vec::new(),
        };
        let users = users.clone();
        async move {
            users
                .put(
                    format!("acme.old{i}"),
                    serde_json::to_vec(&entry).unwrap().into(),
                )
                .await
                .unwrap();
        }
    });
    futures::stream::iter(puts)
        .buffer_unordered(64)
        .collect::<Vec<()>>()
        .await;
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_user_is_closed_and_refused_and_expired_revocations_are_pruned() {
    let estate = estate(ResolverKind::Full);
    let dir = estate.written.dir.clone();
    let policy = policy(&estate, &[], &[]);
    let operator_key = estate.written.estate.operator.signing_keys[0].public_key();
    let key_file = Layout::new(&dir)
        .key_store()
        .key_path(&operator_key)
        .unwrap();
    let sys_creds = estate.creds_path("SYS", "sys");
    let _p = provisioner(
        &estate,
        "p1",
        &policy,
        &[
            "--operator-signing-key",
            &key_file.display().to_string(),
            "--sys-creds",
            &sys_creds.display().to_string(),
        ],
    );
    let url = estate.url();
    let acme = estate.account_key("acme").unwrap();
    let sys = connect_with_creds(&url, &estate.creds("SYS", "sys").unwrap())
        .await
        .unwrap()
        .client;

    // The account JWT has grown with thousands of revocations nobody needs any more.
    let now = integration_tests::unix_now();
    let expired = seed_expired_users(&estate, &acme, now).await;
    nsc_setup::update_account(&dir, "acme", now, |claims| {
        for key in &expired {
            claims.revoke_user_at(key.clone(), now - 7_000);
        }
    })
    .unwrap();
    let report = nsc_setup::push_dir(&dir, &url, &["acme"], PushOptions::default())
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
    let (big, claims) = live_account(&sys, &acme).await;
    assert_eq!(claims.nats.revocations.len(), EXPIRED);
    assert!(big > 100_000, "{big} bytes");

    // A live user, then its revocation by the tenant admin.
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;
    let (alice, alice_creds) = mint(&bootstrap, "alice").await;
    let mut live = connect_with_creds(&url, &alice_creds).await.unwrap();
    live.client.flush().await.unwrap();
    let out = std::process::Command::new(workspace_bin("provisioner").unwrap())
        .args(["tenant", "-s", &url, "--json"])
        .arg("--creds")
        .arg(estate.creds_path("acme", "admin"))
        .args(["users", "revoke", "alice"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(reply["pushed"], Value::Bool(true), "{reply}");
    assert_eq!(reply["pruned"], serde_json::json!(EXPIRED), "{reply}");
    assert_eq!(reply["revocations"], serde_json::json!(1), "{reply}");

    // The server closes the live connection, and the creds no longer connect.
    live.expect_disconnect(Duration::from_secs(10))
        .await
        .unwrap();
    assert!(connect_with_creds(&url, &alice_creds).await.is_err());

    // The account JWT is small again and revokes exactly alice.
    let (small, claims) = live_account(&sys, &acme).await;
    assert!(small < 3_000, "{small} bytes");
    let revoked: Vec<&String> = claims.nats.revocations.keys().collect();
    assert_eq!(revoked, [&alice.public_key()]);
    assert!(claims.is_user_revoked(&alice.public_key(), now));

    // Another user of the tenant is untouched.
    let (_, bob_creds) = mint(&bootstrap, "bob").await;
    connect_with_creds(&url, &bob_creds).await.unwrap();
}
