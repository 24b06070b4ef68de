//! Unbounded state (issue 21, finding 9): invites are stored under their tenant's prefix
//! and a tenant's listing reads its own keys only; a tenant holds at most its policy's
//! number of live invites; expired invites and user entries whose JWTs all expired leave
//! their buckets by themselves (per-message TTL), and revoked user entries stay.

use std::collections::BTreeSet;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use claims::KeyPair;
use futures::TryStreamExt as _;
use integration_tests::{connect_with_creds, ProductEstate};
use nsc_setup::ResolverKind;
use serde_json::{json, Value};

use crate::registry::{admin, ask, code, estate, insider, policy, proven, provisioner};

/// How long an entry may take to leave its bucket once its lifetime passed.
const GONE_WITHIN: Duration = Duration::from_secs(60);

/// JetStream as a user of AUTH, the provisioner's account, where the buckets live.
pub async fn registry_js(estate: &ProductEstate) -> jetstream::Context {
    let creds = estate
        .extra_user("AUTH", "registry-reader", |_| {})
        .unwrap();
    let client = connect_with_creds(&estate.url(), &creds).await.unwrap();
    jetstream::new(client.client)
}

/// Every key of `bucket` (deleted ones left out).
pub async fn keys(bucket: &kv::Store) -> BTreeSet<String> {
    bucket.keys().await.unwrap().try_collect().await.unwrap()
}

/// The headers of the message `key` of `bucket` holds now, if any.
pub async fn headers(
    js: &jetstream::Context,
    bucket: &str,
    key: &str,
) -> Option<async_nats::HeaderMap> {
    let stream = js.get_stream(format!("KV_{bucket}")).await.unwrap();
    let subject = format!("$KV.{bucket}.{key}");
    let message = stream
        .get_last_raw_message_by_subject(&subject)
        .await
        .ok()?;
    Some(message.headers)
}

/// Waits until `key` is gone from `bucket`, polling until [`GONE_WITHIN`].
pub async fn until_gone(bucket: &kv::Store, key: &str) {
    let deadline = tokio::time::Instant::now() + GONE_WITHIN;
    while bucket.entry(key).await.unwrap().is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "`{key}` is still in its bucket after {GONE_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Gives `tenant`'s users in the policy file at `path` JWTs of `secs` seconds.
fn short_ttl(path: &std::path::Path, tenant: &str, secs: u64) {
    let text = std::fs::read_to_string(path).unwrap();
    let blocks: Vec<String> = text
        .split("\n[[tenants]]\n")
        .map(|block| {
            if !block.contains(&format!("name = \"{tenant}\"")) {
                return block.to_owned();
            }
            let at = block.find("ttl = { default_secs = ").unwrap();
            let end = at + block[at..].find(',').unwrap();
            format!(
                "{}ttl = {{ default_secs = {secs}{}",
                &block[..at],
                &block[end..]
            )
        })
        .collect();
    std::fs::write(path, blocks.join("\n[[tenants]]\n")).unwrap();
}

/// The ids an `invites.list` reply lists.
fn listed_ids(reply: &Value) -> BTreeSet<String> {
    reply["invites"]
        .as_array()
        .unwrap_or_else(|| panic!("no invites in {reply}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_are_listed_by_tenant_prefix_and_capped_per_tenant() {
    let estate = estate(ResolverKind::Memory);
    let policy = policy(
        &estate,
        &[
            (
                "acme",
                "identity.invite.enabled = true\nquotas.max_outstanding_invites = 3\n",
            ),
            ("globex", "identity.invite.enabled = true\n"),
        ],
        &[],
    );
    let _p = provisioner(&estate, "p1", &policy, &[]);
    let url = estate.url();
    let connect = |account: &'static str| {
        let creds = estate.creds(account, "admin").unwrap();
        let url = url.clone();
        async move { connect_with_creds(&url, &creds).await.unwrap().client }
    };
    let acme_admin = connect("acme").await;
    let globex_admin = connect("globex").await;
    let create = |client: &async_nats::Client| {
        let client = client.clone();
        async move { admin(&client, "invites.create", json!({"uses": 2})).await }
    };

    // globex holds more invites than acme may.
    let mut globex = BTreeSet::new();
    for _ in 0..6 {
        let (status, created) = create(&globex_admin).await;
        assert_eq!(status, 200, "{created}");
        globex.insert(created["id"].as_str().unwrap().to_owned());
    }
    // acme: three live invites, then the cap.
    let mut acme = Vec::new();
    for _ in 0..3 {
        let (status, created) = create(&acme_admin).await;
        assert_eq!(status, 200, "{created}");
        let token = created["token"].as_str().unwrap().to_owned();
        assert!(token.starts_with("inv_acme_"), "the token names its tenant");
        acme.push((created["id"].as_str().unwrap().to_owned(), token));
    }
    let (status, refused) = create(&acme_admin).await;
    assert_eq!(
        (status, code(&refused)),
        (429, "invite_limit_reached"),
        "{refused}"
    );
    // acme's cap is acme's: globex still creates.
    let (status, created) = create(&globex_admin).await;
    assert_eq!(status, 200, "{created}");
    globex.insert(created["id"].as_str().unwrap().to_owned());

    // Stored under the tenant's prefix, by id.
    let js = registry_js(&estate).await;
    let invites = js.get_key_value("creds_invites").await.unwrap();
    let stored = keys(&invites).await;
    let under = |prefix: &str| -> BTreeSet<String> {
        stored
            .iter()
            .filter_map(|k| k.strip_prefix(prefix))
            .filter(|id| id.len() == 64)
            .map(str::to_owned)
            .collect()
    };
    let acme_ids: BTreeSet<String> = acme.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(under("acme."), acme_ids, "{stored:?}");
    assert_eq!(under("globex."), globex, "{stored:?}");
    assert!(
        stored
            .iter()
            .all(|k| k.starts_with("acme.") || k.starts_with("globex.")),
        "a key outside the tenants' prefixes: {stored:?}"
    );

    // A value under globex's prefix that any listing reading it fails on: acme's listing
    // never reads it, globex's own does.
    let poison = format!("globex.{}", "f".repeat(64));
    invites
        .put(&poison, bytes::Bytes::from_static(b"not an invite"))
        .await
        .unwrap();
    let (status, listed) = admin(&acme_admin, "invites.list", json!({})).await;
    assert_eq!(status, 200, "acme's listing read globex's keys: {listed}");
    assert_eq!(listed_ids(&listed), acme_ids, "{listed}");
    let (status, _) = admin(&globex_admin, "invites.list", json!({})).await;
    assert_eq!(status, 500, "globex's listing reads globex's keys");
    invites.purge(&poison).await.unwrap();
    let (status, listed) = admin(&globex_admin, "invites.list", json!({})).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed_ids(&listed), globex, "{listed}");

    // Revoking one frees a place under the cap; the cap holds again after.
    let (status, reply) = admin(&acme_admin, "invites.revoke", json!({"id": acme[0].0})).await;
    assert_eq!(status, 200, "{reply}");
    let (status, created) = create(&acme_admin).await;
    assert_eq!(status, 200, "after a revocation: {created}");
    let (status, refused) = create(&acme_admin).await;
    assert_eq!((status, code(&refused)), (429, "invite_limit_reached"));

    // The token alone finds its invite; the same token naming another tenant finds
    // nothing, with the answer of any unknown token.
    let inside = connect_with_creds(&url, &insider(&estate))
        .await
        .unwrap()
        .client;
    let token = &acme[1].1;
    let user = KeyPair::new_user();
    let (status, minted) = ask(&inside, &proven(&user, "guest", None, Some(token))).await;
    assert_eq!(status, 200, "{minted}");
    assert_eq!(
        minted["account"],
        json!(estate.account_key("acme").unwrap()),
        "{minted}"
    );
    let forged = token.replacen("inv_acme_", "inv_globex_", 1);
    let other = KeyPair::new_user();
    let (status, reply) = ask(&inside, &proven(&other, "guest2", None, Some(&forged))).await;
    assert_eq!((status, code(&reply)), (403, "invite_invalid"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_invites_and_users_leave_their_buckets_and_revoked_users_stay() {
    let estate = estate(ResolverKind::Memory);
    let policy = policy(
        &estate,
        &[("acme", "identity.invite.enabled = true\n")],
        &[],
    );
    short_ttl(&policy, "acme", 5);
    let _p = provisioner(&estate, "p1", &policy, &["--registry-user-grace-secs", "1"]);
    let url = estate.url();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap()
        .client;
    let bootstrap = |tenant: &'static str| {
        let creds = estate.creds(tenant, "bootstrap").unwrap();
        let url = url.clone();
        async move { connect_with_creds(&url, &creds).await.unwrap().client }
    };
    let acme = bootstrap("acme").await;
    let globex = bootstrap("globex").await;
    let mint = |client: &async_nats::Client, name: &'static str| {
        let client = client.clone();
        async move {
            let request = proven(&KeyPair::new_user(), name, None, None);
            let (status, reply) = ask(&client, &request).await;
            assert_eq!(status, 200, "minting {name}: {reply}");
        }
    };
    // Two users of acme whose JWTs expire in seconds, one of them revoked; one of
    // globex's for an hour.
    mint(&acme, "brief").await;
    mint(&acme, "banned").await;
    mint(&globex, "lasting").await;
    let (status, revoked) = admin(&acme_admin, "users.revoke", json!({"name": "banned"})).await;
    assert_eq!(status, 200, "{revoked}");
    let (status, created) = admin(&acme_admin, "invites.create", json!({"ttl_secs": 1})).await;
    assert_eq!(status, 200, "{created}");
    let invite_key = format!("acme.{}", created["id"].as_str().unwrap());

    let js = registry_js(&estate).await;
    let users = js.get_key_value("creds_users").await.unwrap();
    let invites = js.get_key_value("creds_invites").await.unwrap();
    until_gone(&invites, &invite_key).await;
    until_gone(&users, "acme.brief").await;

    // The revoked entry stays, written to be kept; the live one carries its lifetime.
    assert!(users.entry("acme.banned").await.unwrap().is_some());
    let banned = headers(&js, "creds_users", "acme.banned").await.unwrap();
    assert!(banned.get("Nats-TTL").is_none(), "{banned:?}");
    let lasting = headers(&js, "creds_users", "globex.lasting").await.unwrap();
    assert!(lasting.get("Nats-TTL").is_some(), "{lasting:?}");

    let (_, listed) = admin(&acme_admin, "users.list", json!({})).await;
    let names: BTreeSet<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["banned"]), "{listed}");
    let (_, listed) = admin(&acme_admin, "invites.list", json!({})).await;
    assert_eq!(listed["invites"], json!([]), "{listed}");
    // The name of an expired user is free again; a revoked one is not.
    mint(&acme, "brief").await;
    let (status, reply) = ask(&acme, &proven(&KeyPair::new_user(), "banned", None, None)).await;
    assert_eq!((status, code(&reply)), (403, "name_revoked"), "{reply}");
}
