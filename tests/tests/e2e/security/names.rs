//! Finding 11, names: names that differ only in case are one name (held by one key,
//! revoked together), unless a tenant sets `names.case_sensitive = true`; and the
//! default estate reserves, ignoring case, names shaped like reply inboxes or system
//! subjects and the names of the operator, its accounts and its users. Before the fix
//! `Alice` was a user of its own beside `alice`, a revoked `alice` did not refuse
//! `ALICE`, and only `admin` and `bootstrap` were reserved. A registry an older release
//! wrote, with names under their own spelling, is folded at start-up.

use std::time::Duration;

use async_nats::jetstream::kv;
use claims::{KeyPair, UserClaims};
use integration_tests::{connect_with_creds, unix_now, ProductEstate};
use nsc_setup::ResolverKind;
use registry::entry::UserEntry;
use serde_json::{json, Value};

use super::state::{keys, registry_js};
use crate::registry::{admin, ask, code, mint, policy, proven, provisioner};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_differ_only_in_case_are_one_name() {
    let estate = ProductEstate::start(&["acme", "globex"], ResolverKind::Memory, true).unwrap();
    // acme keeps the estate's default (case ignored); globex opts into case-sensitive names.
    let path = policy(&estate, &[], &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    let globex = text.rfind("names.case_sensitive = false").unwrap();
    let text = format!(
        "{}names.case_sensitive = true{}",
        &text[..globex],
        &text[globex + "names.case_sensitive = false".len()..]
    );
    std::fs::write(&path, text).unwrap();
    let _p = provisioner(&estate, "p", &path, &[]);
    let url = estate.url();
    let acme = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap();

    let (alice_key, _) = mint(&acme.client, "alice").await;
    for variant in ["Alice", "ALICE", "aLiCe"] {
        let (status, body) = ask(
            &acme.client,
            &proven(&KeyPair::new_user(), variant, None, None),
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (409, "name_taken"),
            "{variant}: {body}"
        );
    }
    // The key that holds the name may ask for it in any case; the JWT keeps the name as
    // asked, the registry the name as first issued.
    let (status, body) = ask(&acme.client, &proven(&alice_key, "ALICE", None, None)).await;
    assert_eq!(status, 200, "{body}");
    let jwt = UserClaims::decode(body["jwt"].as_str().unwrap()).unwrap();
    assert_eq!(
        (jwt.name.as_str(), jwt.sub.as_str()),
        ("ALICE", alice_key.public_key().as_str())
    );
    let (status, listed) = admin(&acme_admin.client, "users.list", json!({})).await;
    assert_eq!(status, 200, "{listed}");
    let users = listed["users"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{listed}");
    assert_eq!(
        (users[0]["name"].as_str(), users[0]["issued"].as_u64()),
        (Some("alice"), Some(2))
    );

    // A revoked name refuses every spelling of it, revoked by any spelling.
    let (status, revoked) =
        admin(&acme_admin.client, "users.revoke", json!({"name": "ALICE"})).await;
    assert_eq!(status, 200, "{revoked}");
    for variant in ["alice", "Alice"] {
        let (status, body) = ask(
            &acme.client,
            &proven(&KeyPair::new_user(), variant, None, None),
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (403, "name_revoked"),
            "{variant}: {body}"
        );
    }

    // Where a tenant says so, case still makes names different.
    let globex = connect_with_creds(&url, &estate.creds("globex", "bootstrap").unwrap())
        .await
        .unwrap();
    mint(&globex.client, "bob").await;
    mint(&globex.client, "Bob").await;
}

#[tokio::test]
async fn the_default_estate_reserves_inbox_system_and_estate_names() {
    let estate = ProductEstate::start(&["acme", "globex"], ResolverKind::Memory, false).unwrap();
    let _p = estate.start_provisioner("p", &[]).unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let reserved = [
        "admin",
        "Bootstrap",
        "_INBOX",
        "_inbox_alice",
        "Root",
        "OPERATOR",
        "system",
        "SYS",
        "provisioner",
        "Agent",
        "op",
        "auth",
        "Services",
        "acme",
        "GLOBEX",
    ];
    for name in reserved {
        let (status, body) = ask(
            &client.client,
            &proven(&KeyPair::new_user(), name, None, None),
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (403, "name_reserved"),
            "{name}: {body}"
        );
    }
    for name in ["alice", "inbox", "rooted", "sysop"] {
        let (status, body) = ask(
            &client.client,
            &proven(&KeyPair::new_user(), name, None, None),
        )
        .await;
        assert_eq!(status, 200, "{name}: {body}");
    }
}

/// A user entry of acme for `key`, as a release before folding wrote it.
fn older_entry(name: &str, key: &KeyPair, revoked: bool) -> UserEntry {
    let now = unix_now();
    UserEntry {
        tenant: "acme".into(),
        name: name.into(),
        public_key: key.public_key(),
        account: String::from("AACME"),
        jti: format!("J{name}"),
        iat: now - 60,
        exp: now + 3_600,
        max_exp: now + 3_600,
        issuer: String::new(),
        request_id: String::from("older"),
        issued: 1,
        revoked,
        revoked_at: revoked.then_some(now - 30),
        lease: None,
        per_connection: false,
        earlier_keys: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_an_older_release_wrote_with_capitals_are_folded_at_start_up() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, true).unwrap();
    let js = registry_js(&estate).await;
    let users = js
        .create_key_value(kv::Config {
            bucket: String::from("creds_users"),
            history: 1,
            storage: async_nats::jetstream::stream::StorageType::File,
            ..Default::default()
        })
        .await
        .unwrap();
    let (alice, carol, other_carol) = (
        KeyPair::new_user(),
        KeyPair::new_user(),
        KeyPair::new_user(),
    );
    for entry in [
        older_entry("Alice", &alice, false),
        older_entry("Bob", &KeyPair::new_user(), true),
        older_entry("Carol", &carol, false),
        older_entry("carol", &other_carol, false),
    ] {
        let key = format!("acme.{}", entry.name);
        users
            .put(key, serde_json::to_vec(&entry).unwrap().into())
            .await
            .unwrap();
    }

    let path = policy(&estate, &[], &[]);
    let mut p = provisioner(&estate, "p", &path, &[]);
    p.wait_for_output("left under their own spelling", Duration::from_secs(10))
        .unwrap();
    assert!(p.output().contains("Carol"), "{}", p.output());
    let stored = keys(&users).await;
    assert!(
        stored.contains("acme.alice") && !stored.contains("acme.Alice"),
        "{stored:?}"
    );
    assert!(
        stored.contains("acme.bob") && stored.contains("acme.Carol"),
        "{stored:?}"
    );

    let url = estate.url();
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    // Before the fold these were free: no entry sat under the folded slot.
    let (status, body) = ask(
        &bootstrap.client,
        &proven(&KeyPair::new_user(), "alice", None, None),
    )
    .await;
    assert_eq!((status, code(&body)), (409, "name_taken"), "{body}");
    let (status, body) = ask(
        &bootstrap.client,
        &proven(&KeyPair::new_user(), "BOB", None, None),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "name_revoked"), "{body}");
    // The holder keeps its name, in any spelling.
    let (status, body) = ask(&bootstrap.client, &proven(&alice, "Alice", None, None)).await;
    assert_eq!(status, 200, "{body}");
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap();
    let (_, listed) = admin(&acme_admin.client, "users.list", json!({})).await;
    let mut names: Vec<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Carol", "alice", "bob", "carol"], "{listed}");
    let alice_entry: Vec<&Value> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["name"] == "alice")
        .collect();
    assert_eq!(alice_entry[0]["issued"], json!(2), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_invite_redemption_of_a_name_with_capitals_is_recognised() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, true).unwrap();
    let path = policy(
        &estate,
        &[("acme", "identity.invite.enabled = true\n")],
        &[],
    );
    let _p = provisioner(&estate, "p", &path, &[]);
    let url = estate.url();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap();
    let inside = connect_with_creds(&url, &crate::registry::insider(&estate))
        .await
        .unwrap();
    let body = json!({"name_pattern": "*", "uses": 1});
    let (status, created) = admin(&acme_admin.client, "invites.create", body).await;
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().unwrap();

    // The redemption, then its retry (a reply lost on the way): the registry recorded
    // the use under the folded name `ivy`; the retry asks for `Ivy` again.
    let ivy = KeyPair::new_user();
    for attempt in ["first", "retry"] {
        let asked = proven(&ivy, "Ivy", Some("acme"), Some(token));
        let (status, body) = ask(&inside.client, &asked).await;
        assert_eq!(status, 200, "{attempt}: {body}");
    }
    // The single use is spent for anyone else.
    let other = proven(&KeyPair::new_user(), "Zed", Some("acme"), Some(token));
    let (status, body) = ask(&inside.client, &other).await;
    assert_eq!((status, code(&body)), (403, "invite_invalid"), "{body}");
}
