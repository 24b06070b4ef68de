//! Input the provisioner must refuse, and what it may say back (issue 21, findings 5–8):
//! tag values that are not literal subject tokens, or that reach a privileged tag; a
//! seed sent where a public key belongs; the replay guard's last second and its bucket;
//! an oversized proof window; a caller account the loaded policy does not know.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream;
use claims::{KeyPair, UserClaims};
use futures::StreamExt as _;
use integration_tests::{
    connect_with_creds, workspace_bin, ProductEstate, ProductProcess, WatchedClient, LOG_WAIT, STEP,
};
use nsc_setup::ResolverKind;
use serde_json::{json, Value};

use crate::proven::{proven, proven_with};
use crate::provision::{ask, ask_with, code};

const AUDIT: &str = "creds.audit.events";

/// The estate's `policy.toml` with `lines` added to tenant `tenant`'s block, written
/// next to it as `file`.
fn policy_with(estate: &ProductEstate, tenant: &str, lines: &str, file: &str) -> PathBuf {
    let dir = &estate.written.dir;
    let text = std::fs::read_to_string(dir.join("policy.toml")).unwrap();
    let head = format!("name = \"{tenant}\"\n");
    assert!(text.contains(&head), "no tenant {tenant} in the policy");
    let text = text.replacen(&head, &format!("{head}{lines}\n"), 1);
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// `provisioner serve` on the estate's config with `extra` flags, not waiting for it.
fn serve(estate: &ProductEstate, label: &str, extra: &[&str]) -> ProductProcess {
    let bin = workspace_bin("provisioner").unwrap();
    let config = estate.written.dir.join("provisioner.toml");
    let url = estate.url();
    let mut args = vec![
        "serve",
        "--config",
        config.to_str().unwrap(),
        "-s",
        &url,
        "--admin-addr",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let log = estate.dir.path().join(format!("{label}.log"));
    ProductProcess::start(&bin, &args, log, &[]).unwrap()
}

/// A user of AUTH that reads the audit subject.
async fn audit_reader(estate: &ProductEstate) -> (WatchedClient, async_nats::Subscriber) {
    let ops = estate
        .extra_user("AUTH", "auditor", |u| {
            u.nats.permissions.publish.allow = vec!["_INBOX.>".into()];
            u.nats.permissions.subscribe.allow = vec!["_INBOX.>".into(), "creds.audit.>".into()];
        })
        .unwrap();
    let ops = connect_with_creds(&estate.url(), &ops).await.unwrap();
    let events = ops.client.subscribe(AUDIT).await.unwrap();
    ops.client.flush().await.unwrap();
    (ops, events)
}

/// Sends good requests until an audit event arrives: the subscription is in place.
async fn audit_ready(client: &WatchedClient, events: &mut async_nats::Subscriber) {
    loop {
        let user = KeyPair::new_user();
        let name = format!("warm{}", &user.public_key()[1..9].to_lowercase());
        let (status, body) = ask(client, proven(&user, &name, None).to_string()).await;
        assert_eq!(status, 200, "{body}");
        let next = tokio::time::timeout(Duration::from_millis(200), events.next()).await;
        if let Ok(Some(_)) = next {
            return;
        }
    }
}

/// The audit event (as text) of request `request_id`.
async fn audit_event(events: &mut async_nats::Subscriber, request_id: &str) -> String {
    loop {
        let msg = tokio::time::timeout(STEP, events.next())
            .await
            .expect("no audit event in time")
            .unwrap();
        let text = String::from_utf8(msg.payload.to_vec()).unwrap();
        let event: Value = serde_json::from_str(&text).unwrap();
        if event["request_id"] == json!(request_id) {
            return text;
        }
    }
}

/// The pieces of `seed` a leak would show: every 8 characters after its `S` and kind.
fn seed_pieces(seed: &str) -> Vec<String> {
    let chars: Vec<char> = seed.chars().skip(2).collect();
    chars.windows(8).map(|w| w.iter().collect()).collect()
}

fn assert_no_piece_of(seed: &str, what: &str, text: &str) {
    if let Some(piece) = seed_pieces(seed).iter().find(|p| text.contains(p.as_str())) {
        panic!("{what} holds `{piece}` of the seed:\n{text}");
    }
}

#[tokio::test]
async fn a_seed_sent_as_public_key_or_name_is_never_echoed_logged_or_audited() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let mut provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let (_ops, mut events) = audit_reader(&estate).await;
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    audit_ready(&client, &mut events).await;

    let user = KeyPair::new_user();
    let seed = user.seed().unwrap();
    let mut as_key = proven(&user, "alice", None);
    as_key["public_key"] = json!(seed);
    let (status, body) = ask(&client, as_key.to_string()).await;
    assert_eq!((status, code(&body)), (400, "public_key_invalid"), "{body}");
    assert_no_piece_of(&seed, "the reply", &body.to_string());
    let request_id = body["error"]["request_id"].as_str().unwrap();
    let event = audit_event(&mut events, request_id).await;
    assert_no_piece_of(&seed, "the audit event", &event);

    // The seed as the name (a valid name by the default character set).
    let other = KeyPair::new_user();
    let other_seed = other.seed().unwrap();
    let as_name = proven(&other, &other_seed, None);
    let (status, body) = ask(&client, as_name.to_string()).await;
    assert_eq!((status, code(&body)), (400, "name_invalid"), "{body}");
    assert_no_piece_of(&other_seed, "the reply", &body.to_string());
    let request_id = body["error"]["request_id"].as_str().unwrap();
    let event = audit_event(&mut events, request_id).await;
    assert_no_piece_of(&other_seed, "the audit event", &event);

    // The seed as the request id the caller proposes (it would be echoed and audited).
    let third = KeyPair::new_user();
    let third_seed = third.seed().unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Provisioner-Request-Id", third_seed.as_str());
    let mut as_id = proven(&third, "carol", None);
    as_id["public_key"] = json!(third_seed);
    let (status, body) = ask_with(&client, as_id.to_string(), headers).await;
    assert_eq!((status, code(&body)), (400, "public_key_invalid"), "{body}");
    assert_no_piece_of(&third_seed, "the reply", &body.to_string());
    let request_id = body["error"]["request_id"].as_str().unwrap();
    let event = audit_event(&mut events, request_id).await;
    assert_no_piece_of(&third_seed, "the audit event", &event);

    let output = provisioner.wait_for_count("refused", 3, LOG_WAIT).unwrap();
    for seed in [&seed, &other_seed, &third_seed] {
        assert_no_piece_of(seed, "the provisioner's output", &output);
    }
}

#[tokio::test]
async fn requested_tags_must_be_literal_subject_tokens() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let policy = policy_with(
        &estate,
        "acme",
        "tags.requestable = [\"team:*\"]",
        "policy-tags.toml",
    );
    let policy = policy.display().to_string();
    let _provisioner = estate
        .start_provisioner("p1", &["--policy", &policy])
        .unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let req = proven_with(&KeyPair::new_user(), "tagged", None, |r| {
        r.tags = Some(vec!["team:red".into()])
    });
    let (status, body) = ask(&client, req.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let jwt = UserClaims::decode(body["jwt"].as_str().unwrap()).unwrap();
    assert!(jwt.nats.tags.iter().any(|t| t == "team:red"), "{jwt:?}");

    for tag in ["team:*", "team:>", "team:a.b", "team:a*", "team:"] {
        let req = proven_with(&KeyPair::new_user(), "wild", None, |r| {
            r.tags = Some(vec![tag.into()])
        });
        let (status, body) = ask(&client, req.to_string()).await;
        assert_eq!(status, 400, "{tag}: {body}");
        assert!(
            ["subject_unsafe", "bad_request"].contains(&code(&body)),
            "{tag}: {body}"
        );
        assert!(body.get("jwt").is_none(), "{tag}: {body}");
    }
}

#[test]
fn a_requestable_glob_or_stamp_that_reaches_a_privileged_tag_is_refused_at_load() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    for (i, (lines, names)) in [
        ("tags.requestable = [\"role:*\"]", "admin tag"),
        ("tags.stamp = [\"role:{name}\"]", "admin tag"),
        (
            "identity.import.require_caller_tags = [\"kind:enroller\"]\ntags.requestable = [\"kind:*\"]",
            "required caller tag",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let policy = policy_with(&estate, "acme", lines, &format!("policy-{i}.toml"));
        let policy = policy.display().to_string();
        let mut p = serve(&estate, &format!("bad{i}"), &["--policy", &policy]);
        let exit = p.wait_exit(Duration::from_secs(20)).unwrap();
        let output = p.output();
        assert_eq!(exit.code(), Some(64), "{lines}: {output}");
        assert!(output.contains(names), "{lines}: {output}");
    }
}

/// The nonce bucket's max age, read as the test's own JetStream client.
async fn bucket_max_age(js: &jetstream::Context, bucket: &str) -> Duration {
    let mut stream = js.get_stream(format!("KV_{bucket}")).await.unwrap();
    stream.info().await.unwrap().config.max_age
}

#[tokio::test]
async fn the_nonce_bucket_outlives_the_last_second_a_proof_is_accepted() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, true).unwrap();
    let creds = estate.creds("AUTH", "provisioner").unwrap();
    let admin = connect_with_creds(&estate.url(), &creds).await.unwrap();
    let js = jetstream::new(admin.client.clone());

    // A bucket the provisioner creates: a proof first seen at t passes the time check up
    // to t + 2 × window inclusive, so entries live 2 × window + 1 s.
    let mut p = estate
        .start_provisioner("fresh", &["--nonce-bucket", "fresh_nonces"])
        .unwrap();
    assert_eq!(
        bucket_max_age(&js, "fresh_nonces").await,
        Duration::from_secs(121)
    );
    p.kill();

    // A bucket made for a shorter window (the 2 × window of older releases) is raised.
    js.create_key_value(jetstream::kv::Config {
        bucket: "old_nonces".into(),
        max_age: Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut p = estate
        .start_provisioner("old", &["--nonce-bucket", "old_nonces"])
        .unwrap();
    assert_eq!(
        bucket_max_age(&js, "old_nonces").await,
        Duration::from_secs(121)
    );
    p.kill();
    let _p = estate
        .start_provisioner(
            "wider",
            &["--nonce-bucket", "old_nonces", "--proof-window-secs", "300"],
        )
        .unwrap();
    assert_eq!(
        bucket_max_age(&js, "old_nonces").await,
        Duration::from_secs(601)
    );
}

#[test]
fn a_proof_window_past_its_bound_is_refused_at_start() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    for window in ["9223372036854775807", "4611686018427387904", "3601"] {
        let mut p = serve(&estate, "window", &["--proof-window-secs", window]);
        let exit = p.wait_exit(Duration::from_secs(20)).unwrap();
        let output = p.output();
        assert_eq!(exit.code(), Some(64), "{window}: {output}");
        assert!(output.contains("proof_window_secs"), "{window}: {output}");
    }
}

/// Runs `nsc-setup` with `args`; panics with its output when it fails.
fn nsc_setup(args: &[&str], dir: &Path) {
    let out = std::process::Command::new(workspace_bin("nsc-setup").unwrap())
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nsc-setup {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_caller_account_missing_from_the_loaded_policy_is_refused() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Full, false).unwrap();
    // acme answers plain-text requests, so a stranger mapped to "the one legacy tenant"
    // would get acme's credentials.
    let policy = estate.written.dir.join("policy.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    let text = text.replacen(
        "identity.import.enabled = true\n",
        "identity.import.enabled = true\nidentity.legacy.enabled = true\n",
        1,
    );
    std::fs::write(&policy, text).unwrap();
    let _provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let acme = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let (status, body) = ask(&acme, "carol").await;
    assert_eq!(status, 200, "acme's own plain-text request: {body}");

    // A tenant added after the provisioner loaded its policy.
    nsc_setup(
        &["tenant", "add", "initech", "--push", &estate.url()],
        &estate.written.dir,
    );
    let initech = connect_with_creds(
        &estate.url(),
        &estate.creds("initech", "bootstrap").unwrap(),
    )
    .await
    .unwrap();
    let acme_key = estate.account_key("acme").unwrap();
    let requests = [
        String::from("mallory"),
        proven(&KeyPair::new_user(), "mallory", None).to_string(),
        proven(&KeyPair::new_user(), "mallory", Some("acme")).to_string(),
    ];
    for payload in requests {
        let (status, body) = ask(&initech, payload.clone()).await;
        if let Some(text) = body.as_str() {
            let creds = claims::parse_creds(text).unwrap();
            let user = UserClaims::decode(&creds.jwt).unwrap();
            assert_ne!(
                user.nats.issuer_account, acme_key,
                "{payload}: acme's credentials"
            );
        }
        assert_eq!(
            (status, code(&body)),
            (403, "unknown_tenant"),
            "{payload}: {body}"
        );
        assert!(
            body["error"]["reason"]
                .as_str()
                .unwrap()
                .contains("not in the policy"),
            "{body}"
        );
    }
}
