//! Findings 2 and 3: every door reads and reserves in the registry, and a revocation
//! holds for every key and every name.
//!
//! - A password login through the auth callout is reserved like a credential request:
//!   a quota counts the name once however many connections it has, a name a client's key
//!   holds is not taken over, and revoking the name closes every live connection of it
//!   and refuses the next login (before the fix, a revoked name connected again by
//!   password, and quotas did not count callout logins).
//! - Where names are not unique, a revoked name is not issued to a new key; where a name
//!   moved to another key, revoking it revokes every key it held; a revoked key is not
//!   issued a JWT under another name.

use std::time::Duration;

use claims::KeyPair;
use integration_tests::{connect_with_creds, ProductEstate, ProductProcess, WatchedClient};
use nsc_setup::{Layout, ResolverKind};
use provisioner::callout::credentials::salted_sha256;
use serde_json::{json, Value};

use crate::callout::with_password;
use crate::registry::{admin, ask, code, mint, policy, proven};

/// How long the server may take to close a revoked user's connection.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// `provisioner serve` with the registry and `policy`, pushing revocations to the
/// resolver with the operator signing key and the system account user.
fn pushing_provisioner(estate: &ProductEstate, policy: &std::path::Path) -> ProductProcess {
    let operator_key = estate.written.estate.operator.signing_keys[0].public_key();
    let key_file = Layout::new(&estate.written.dir)
        .key_store()
        .key_path(&operator_key)
        .unwrap();
    let sys_creds = estate.creds_path("SYS", "sys");
    let policy = policy.display().to_string();
    let args = [
        "--registry",
        "--policy",
        policy.as_str(),
        "--operator-signing-key",
        &key_file.display().to_string(),
        "--sys-creds",
        &sys_creds.display().to_string(),
    ];
    estate.start_provisioner("p", &args).unwrap()
}

/// Adds password users to acme's callout credentials file; the password is the name
/// with `-pw` appended.
fn add_password_users(estate: &ProductEstate, names: &[&str]) {
    let path = estate.written.dir.join("callout/acme.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for name in names {
        let digest = data_encoding::HEXLOWER.encode(&salted_sha256("e2e", &format!("{name}-pw")));
        text.push_str(&format!(
            "\n[[users]]\nuser = \"{name}\"\nsalt = \"e2e\"\npassword_sha256 = \"{digest}\"\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
}

async fn login(url: &str, name: &str) -> anyhow::Result<WatchedClient> {
    with_password(url, (name, &format!("{name}-pw"))).await
}

/// Revokes `name` as acme's admin; returns the reply, which must say it was pushed.
async fn revoke(admin_client: &async_nats::Client, name: &str) -> Value {
    let (status, reply) = admin(admin_client, "users.revoke", json!({ "name": name })).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["pushed"], json!(true), "{reply}");
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callout_logins_are_reserved_counted_and_revoked_like_any_user() {
    let estate = ProductEstate::start_with(&["acme"], ResolverKind::Full, true, true).unwrap();
    add_password_users(&estate, &["carol", "dave", "erin", "frank"]);
    let policy = policy(&estate, &[("acme", "quotas.max_active_users = 3\n")], &[]);
    let mut provisioner = pushing_provisioner(&estate, &policy);
    let url = estate.url();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap();
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();

    // Two connections of carol are one user; dave is the second.
    let mut carol_1 = login(&url, "carol").await.unwrap();
    let mut carol_2 = login(&url, "carol").await.unwrap();
    let _dave = login(&url, "dave").await.unwrap();
    let (_, users) = admin(&acme_admin.client, "users.list", json!({})).await;
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, ["carol", "dave"], "{users}");

    // A name a client's own key holds is not taken over by a password login.
    let (_, erin_creds) = mint(&bootstrap.client, "erin").await;
    assert!(login(&url, "erin").await.is_err());
    provisioner
        .wait_for_count("name_taken", 1, integration_tests::LOG_WAIT)
        .unwrap();
    // The quota (3: carol, dave, erin) holds for callout logins too.
    assert!(login(&url, "frank").await.is_err());
    provisioner
        .wait_for_count("quota_exceeded", 1, integration_tests::LOG_WAIT)
        .unwrap();
    connect_with_creds(&url, &erin_creds).await.unwrap();

    // Revoking carol closes both of her connections and refuses the next login.
    let reply = revoke(&acme_admin.client, "carol").await;
    assert_eq!(reply["public_keys"].as_array().unwrap().len(), 2, "{reply}");
    carol_1.expect_disconnect(CLOSE_WAIT).await.unwrap();
    carol_2.expect_disconnect(CLOSE_WAIT).await.unwrap();
    assert!(login(&url, "carol").await.is_err());
    provisioner
        .wait_for_count("name_revoked", 1, integration_tests::LOG_WAIT)
        .unwrap();
    // Her lease went back: frank gets in now.
    login(&url, "frank").await.unwrap();
}

/// Acme's policy with `names.unique` set to `unique` and `extra` lines added.
fn names_policy(estate: &ProductEstate, unique: bool, extra: &str) -> std::path::PathBuf {
    let path = policy(estate, &[("acme", extra)], &[]);
    if !unique {
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replacen("names.unique = true\n", "names.unique = false\n", 1);
        std::fs::write(&path, text).unwrap();
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_name_is_refused_to_every_key_and_a_revoked_key_under_every_name() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Full, true).unwrap();
    let policy = names_policy(&estate, false, "");
    let _p = pushing_provisioner(&estate, &policy);
    let url = estate.url();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap();
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();

    let (alice_key, _) = mint(&bootstrap.client, "alice").await;
    revoke(&acme_admin.client, "alice").await;
    // Names are not unique here, so a new key used to get a slot of its own.
    let newcomer = KeyPair::new_user();
    let (status, body) = ask(&bootstrap.client, &proven(&newcomer, "alice", None, None)).await;
    assert_eq!((status, code(&body)), (403, "name_revoked"), "{body}");
    // The revoked key enrols under another name: refused.
    let (status, body) = ask(&bootstrap.client, &proven(&alice_key, "zed", None, None)).await;
    assert_eq!((status, code(&body)), (403, "key_revoked"), "{body}");
    // Another name and key are untouched.
    mint(&bootstrap.client, "zed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_name_that_moved_to_a_new_key_revokes_every_key_it_held() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Full, true).unwrap();
    let policy = names_policy(&estate, true, "names.reissue_to_other_key = true\n");
    let _p = pushing_provisioner(&estate, &policy);
    let url = estate.url();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap();
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();

    let (first_key, first_creds) = mint(&bootstrap.client, "alice").await;
    let (_, second_creds) = mint(&bootstrap.client, "alice").await;
    let mut first = connect_with_creds(&url, &first_creds).await.unwrap();
    let mut second = connect_with_creds(&url, &second_creds).await.unwrap();
    let reply = revoke(&acme_admin.client, "alice").await;
    assert_eq!(reply["public_keys"].as_array().unwrap().len(), 2, "{reply}");
    // Before the fix only the latest key was revoked and the first kept working.
    first.expect_disconnect(CLOSE_WAIT).await.unwrap();
    second.expect_disconnect(CLOSE_WAIT).await.unwrap();
    assert!(connect_with_creds(&url, &first_creds).await.is_err());
    let (status, body) = ask(&bootstrap.client, &proven(&first_key, "amy", None, None)).await;
    assert_eq!((status, code(&body)), (403, "key_revoked"), "{body}");
}
