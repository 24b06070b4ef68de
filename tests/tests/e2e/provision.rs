//! `provisioner serve` on an `nsc-setup` estate: the JSON flow with proof of possession,
//! bad input of every kind, TTL capping, forged caller identity, the micro service API,
//! audit, metrics and health, and shutdown.

use std::time::Duration;

use async_nats::HeaderMap;
use claims::{KeyPair, UserClaims};
use integration_tests::{
    admin_addr, connect_with_creds, http_get, publish_until_received, workspace_bin, ProductEstate,
    WatchedClient, LOG_WAIT, STEP,
};
use nsc_setup::ResolverKind;
use serde_json::{json, Value};

pub(crate) use crate::proven::proven;
use crate::proven::proven_with;

const SUBJECT: &str = "creds.request";

fn unix_now() -> i64 {
    integration_tests::unix_now()
}

/// Sends `payload` and returns (status code or 200, body as JSON or text).
pub(crate) async fn ask(client: &WatchedClient, payload: impl Into<bytes::Bytes>) -> (u16, Value) {
    ask_with(client, payload, HeaderMap::new()).await
}

/// As [`ask`], with `headers`.
pub(crate) async fn ask_with(
    client: &WatchedClient,
    payload: impl Into<bytes::Bytes>,
    headers: HeaderMap,
) -> (u16, Value) {
    let reply = tokio::time::timeout(
        STEP,
        client
            .client
            .request_with_headers(SUBJECT, headers, payload.into()),
    )
    .await
    .expect("no reply in time")
    .expect("request failed");
    let status = reply
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Service-Error-Code"))
        .map(|v| v.as_str().parse().unwrap())
        .unwrap_or(200);
    let body = serde_json::from_slice(&reply.payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&reply.payload).into_owned()));
    (status, body)
}

/// The error code of a reply body.
pub(crate) fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn the_proof_flow_mints_for_the_clients_own_key_and_the_creds_connect() {
    let estate = ProductEstate::start(&["acme", "globex"], ResolverKind::Memory, false).unwrap();
    let mut provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let out = estate.dir.path().join("alice.creds");
    let status = std::process::Command::new(workspace_bin("provisioner").unwrap())
        .args([
            "request",
            "--name",
            "alice",
            "--subject",
            SUBJECT,
            "-s",
            &estate.url(),
        ])
        .arg("--creds")
        .arg(estate.creds_path("acme", "bootstrap"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(
        stdout.contains(&estate.account_key("acme").unwrap()),
        "{stdout}"
    );

    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&out).unwrap();
    let creds = claims::parse_creds(&text).unwrap();
    let user = UserClaims::decode(&creds.jwt).unwrap();
    // The JWT is for the key whose seed was made locally and never sent.
    assert_eq!(user.sub, creds.seed.key_pair().unwrap().public_key());
    assert_eq!(
        user.nats.issuer_account,
        estate.account_key("acme").unwrap()
    );
    assert!(!provisioner.output().contains(creds.seed.expose()));

    let mut alice = connect_with_creds(&estate.url(), &text).await.unwrap();
    let mut own = alice
        .client
        .subscribe("tenant.acme.alice.inbox")
        .await
        .unwrap();
    publish_until_received(&alice.client, &mut own, "tenant.acme.alice.inbox", b"hi")
        .await
        .unwrap();
    alice
        .client
        .publish("tenant.acme.bob.inbox", "x".into())
        .await
        .unwrap();
    alice.client.flush().await.unwrap();
    alice
        .expect_permission_violation("tenant.acme.bob.inbox")
        .await
        .unwrap();

    provisioner.signal("TERM").unwrap();
    let exit = provisioner.wait_exit(Duration::from_secs(15)).unwrap();
    assert!(exit.success(), "{}", provisioner.output());
    assert!(provisioner.output().contains("in-flight requests finished"));
}

#[tokio::test]
async fn bad_input_gets_the_right_code_and_the_service_keeps_serving() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let _provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let user = KeyPair::new_user();
    let max_payload = client.client.server_info().max_payload;
    let mut cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty payload", vec![], 400, "empty_request"),
        (
            "payload at the server's max size",
            vec![b'a'; max_payload],
            400,
            "too_large",
        ),
        ("invalid JSON", b"{\"name\":".to_vec(), 400, "invalid_json"),
        ("invalid UTF-8", vec![0xff, 0xfe, 0x00], 400, "invalid_utf8"),
    ];
    let mut unknown = proven(&user, "alice", None);
    unknown["admin"] = json!(true);
    cases.push((
        "unknown field",
        unknown.to_string().into_bytes(),
        400,
        "unknown_field",
    ));
    let mut wrong_kind = proven(&user, "alice", None);
    wrong_kind["public_key"] = json!(KeyPair::new_account().public_key());
    cases.push((
        "account key as public_key",
        wrong_kind.to_string().into_bytes(),
        400,
        "public_key_invalid",
    ));
    let mut bad_checksum = proven(&user, "alice", None);
    let mut key: Vec<char> = user.public_key().chars().collect();
    let last = key.len() - 1;
    key[last] = if key[last] == 'A' { 'B' } else { 'A' };
    bad_checksum["public_key"] = json!(key.into_iter().collect::<String>());
    cases.push((
        "bad checksum",
        bad_checksum.to_string().into_bytes(),
        400,
        "public_key_invalid",
    ));
    let mut other_proof = proven(&user, "alice", None);
    other_proof["proof"] = proven(&KeyPair::new_user(), "alice", None)["proof"].clone();
    cases.push((
        "proof by another key",
        other_proof.to_string().into_bytes(),
        403,
        "proof_invalid",
    ));
    let stale = proven_with(&user, "alice", None, |r| r.ts = unix_now() - 3600);
    cases.push((
        "stale ts",
        stale.to_string().into_bytes(),
        400,
        "stale_timestamp",
    ));
    for name in ["a.b", "a*", "a>", "a b"] {
        let u = KeyPair::new_user();
        cases.push((
            "name with a subject character",
            proven(&u, name, None).to_string().into_bytes(),
            400,
            "name_invalid",
        ));
    }
    let control = proven(&KeyPair::new_user(), "a\u{1}b", None);
    cases.push((
        "name with a control character",
        control.to_string().into_bytes(),
        400,
        "name_invalid",
    ));

    for (what, payload, status, expected) in cases {
        let (got_status, body) = ask(&client, payload).await;
        assert_eq!(
            (got_status, code(&body)),
            (status, expected),
            "{what}: {body}"
        );
        assert!(body["error"]["request_id"].is_string(), "{what}");
        good(&client).await;
    }

    // A replayed request: the same nonce twice.
    let once = proven(&KeyPair::new_user(), "replayer", None).to_string();
    assert_eq!(ask(&client, once.clone()).await.0, 200);
    let (status, body) = ask(&client, once).await;
    assert_eq!((status, code(&body)), (409, "nonce_replayed"), "{body}");
    good(&client).await;
}

/// A fresh, well-formed request must succeed: the service kept serving.
async fn good(client: &WatchedClient) {
    let user = KeyPair::new_user();
    let name = format!("ok{}", &user.public_key()[1..9].to_lowercase());
    let (status, body) = ask(client, proven(&user, &name, None).to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["jwt"].is_string());
}

#[tokio::test]
async fn a_requested_ttl_is_capped_never_extended() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let _provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let req = proven_with(&KeyPair::new_user(), "longlived", None, |r| {
        r.ttl = Some(10_000_000)
    });
    let before = unix_now();
    let (status, body) = ask(&client, req.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let exp = body["expires"].as_i64().unwrap();
    let max = 86_400; // the ttl.max_secs nsc-setup writes
    assert!(exp >= before + max && exp <= unix_now() + max, "exp {exp}");
    let jwt = UserClaims::decode(body["jwt"].as_str().unwrap()).unwrap();
    assert_eq!(jwt.exp, exp);
    let short = proven_with(&KeyPair::new_user(), "shortlived", None, |r| {
        r.ttl = Some(60)
    });
    let (_, body) = ask(&client, short.to_string()).await;
    assert!(body["expires"].as_i64().unwrap() <= unix_now() + 60);
}

#[tokio::test]
async fn a_forged_request_info_header_from_inside_the_provisioners_account_is_refused() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let _provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let acme = estate.account_key("acme").unwrap();
    let bootstrap = claims::parse_creds(&estate.creds("acme", "bootstrap").unwrap()).unwrap();
    let insider = estate
        .extra_user("AUTH", "insider", |u| {
            u.nats.permissions.publish.allow = vec![SUBJECT.into()];
            u.nats.permissions.subscribe.allow = vec!["_INBOX.>".into()];
        })
        .unwrap();
    let insider = connect_with_creds(&estate.url(), &insider).await.unwrap();
    let boot_key = UserClaims::decode(&bootstrap.jwt).unwrap().sub;
    let mut headers = HeaderMap::new();
    let forged =
        json!({"acc": acme, "user": boot_key, "jwt": bootstrap.jwt, "tags": ["role:admin"]});
    headers.insert("Nats-Request-Info", forged.to_string().as_str());
    let req = proven(&KeyPair::new_user(), "mallory", None).to_string();
    let (status, body) = ask_with(&insider, req, headers).await;
    assert_eq!(
        (status, code(&body)),
        (403, "identity_unverified"),
        "{body}"
    );

    // Claiming the provisioner's own account gains nothing either.
    let mut headers = HeaderMap::new();
    headers.insert(
        "Nats-Request-Info",
        json!({"acc": estate.account_key("AUTH").unwrap()})
            .to_string()
            .as_str(),
    );
    let req = proven(&KeyPair::new_user(), "mallory", Some("acme")).to_string();
    let (status, body) = ask_with(&insider, req, headers).await;
    assert_eq!((status, code(&body)), (403, "identity_required"), "{body}");

    // A tenant client's own header is replaced by the server: it stays tenant acme.
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "Nats-Request-Info",
        json!({"acc": "AFORGED"}).to_string().as_str(),
    );
    let (status, body) = ask_with(
        &client,
        proven(&KeyPair::new_user(), "carol", None).to_string(),
        headers,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"], json!(acme));
}

#[tokio::test]
async fn micro_service_api_audit_metrics_and_readiness() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let provisioner = estate.start_provisioner("p1", &[]).unwrap();
    let admin = admin_addr(&provisioner.output()).expect("admin address logged");
    let ops = estate
        .extra_user("AUTH", "ops", |u| {
            u.nats.permissions.publish.allow = vec!["$SRV.>".into()];
            u.nats.permissions.subscribe.allow = vec!["_INBOX.>".into(), "creds.audit.>".into()];
        })
        .unwrap();
    let ops = connect_with_creds(&estate.url(), &ops).await.unwrap();
    let ping = ops
        .client
        .request("$SRV.PING.provisioner", "".into())
        .await
        .unwrap();
    let ping: Value = serde_json::from_slice(&ping.payload).unwrap();
    assert_eq!(ping["name"], "provisioner");
    let info = ops
        .client
        .request("$SRV.INFO.provisioner", "".into())
        .await
        .unwrap();
    let info: Value = serde_json::from_slice(&info.payload).unwrap();
    assert_eq!(info["endpoints"][0]["subject"], SUBJECT);
    assert_eq!(info["endpoints"][0]["queue_group"], "provisioner");

    let mut audit = ops.client.subscribe("creds.audit.events").await.unwrap();
    ops.client.flush().await.unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let user = KeyPair::new_user();
    // Requests until one audit event arrives (the subscription may still be propagating).
    let event = loop {
        let (status, body) = ask(&client, proven(&user, "dave", None).to_string()).await;
        assert_eq!(status, 200, "{body}");
        if let Ok(Some(msg)) = tokio::time::timeout(
            Duration::from_millis(200),
            futures::StreamExt::next(&mut audit),
        )
        .await
        {
            break msg;
        }
    };
    let text = String::from_utf8(event.payload.to_vec()).unwrap();
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(event["outcome"], "allow");
    assert_eq!(event["user_public_key"], json!(user.public_key()));
    assert_eq!(event["tenant"], "acme");
    assert!(event["jti"].is_string() && event["request_id"].is_string());
    assert!(!text.contains("eyJ"), "a JWT in the audit event: {text}");

    let stats = ops
        .client
        .request("$SRV.STATS.provisioner", "".into())
        .await
        .unwrap();
    let stats: Value = serde_json::from_slice(&stats.payload).unwrap();
    assert!(
        stats["endpoints"][0]["num_requests"].as_u64().unwrap() >= 1,
        "{stats}"
    );

    let (status, _) = http_get(&admin, "/healthz").unwrap();
    assert_eq!(status, 200);
    let (status, body) = http_get(&admin, "/readyz").unwrap();
    assert_eq!(status, 200, "{body}");
    // A request is counted after its reply and audit event went out: poll.
    let deadline = std::time::Instant::now() + LOG_WAIT;
    let metrics = loop {
        let (status, metrics) = http_get(&admin, "/metrics").unwrap();
        assert_eq!(status, 200);
        if metrics.contains("outcome=\"allow\"") || std::time::Instant::now() > deadline {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(metrics.contains("provisioner_requests_total{"), "{metrics}");
    assert!(metrics.contains("outcome=\"allow\""), "{metrics}");
    assert!(
        metrics.contains("provisioner_request_duration_seconds_bucket"),
        "{metrics}"
    );
}
