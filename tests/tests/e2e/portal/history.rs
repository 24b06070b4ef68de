//! What the tenant admin sees of use: the tenant's limits and usage in `/me`, presence (a user who connects shows as connected
//! within a second, and as not connected, last seen, once it disconnects), `/users`
//! filters, and the issuance history (`GET /issuances`: every door, the HTTP API's
//! credentials marked `via: http`, another tenant's records never shown), which survives
//! restarts of the portal, the provisioner and nats-server.

use std::time::{Duration, Instant};

use integration_tests::connect_with_creds;
use serde_json::{json, Value};

use super::stack::{start_portal, Stack, ADMIN};

/// How long presence may take to show a connection or a disconnection.
const PRESENCE_WITHIN: Duration = Duration::from_secs(1);

/// Polls `GET /users/{name}` until `check` holds for the user, within `within`.
async fn user_until(
    stack: &Stack,
    token: &str,
    name: &str,
    within: Duration,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let reply = stack.get(&format!("/api/v1/users/{name}"), token).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let user = reply.json()["users"][0].clone();
        if check(&user) {
            return user;
        }
        assert!(Instant::now() < deadline, "{name} never matched: {user}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn names_of(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_filters_and_history_as_a_tenant_admin_sees_them() {
    let stack = Stack::start("history");
    let erin = stack.token("erin", "acme", &[]);
    let ada = stack.token("ada", "acme", &[ADMIN]);
    let gus = stack.token("gus", "globex", &[ADMIN]);
    let started = integration_tests::unix_now();

    // /me: the tenant's limits from the policy for everyone, usage for admins.
    let mine = stack.get("/api/v1/me", &erin).await.json();
    assert!(
        mine["quota"]["max_ttl_secs"].as_u64().unwrap() > 0,
        "{mine}"
    );
    assert!(
        mine["quota"]["rate_window_secs"].as_u64().unwrap() > 0,
        "{mine}"
    );
    assert!(mine["quota"].get("active_users").is_none(), "{mine}");
    let admins = stack.get("/api/v1/me", &ada).await.json();
    assert!(
        admins["quota"]["active_users"].as_u64().unwrap() >= 1,
        "{admins}"
    );

    let creds = stack
        .send(
            "POST",
            "/api/v1/credentials",
            Some(&erin),
            Some(json!({"name": "erin-laptop"})),
        )
        .await;
    assert_eq!(creds.status, 200, "{}", creds.body);
    let user = user_until(&stack, &ada, "erin-laptop", Duration::ZERO, |_| true).await;
    assert_eq!(user["connections"], 0, "{user}");

    // Presence: connected within a second, two connections counted, then gone.
    let first = connect_with_creds(&stack.estate.url(), &creds.body)
        .await
        .unwrap();
    let shown = user_until(&stack, &ada, "erin-laptop", PRESENCE_WITHIN, |u| {
        u["connections"] == 1
    })
    .await;
    assert!(shown["last_seen"].as_i64().unwrap() >= started, "{shown}");
    let second = connect_with_creds(&stack.estate.url(), &creds.body)
        .await
        .unwrap();
    user_until(&stack, &ada, "erin-laptop", PRESENCE_WITHIN, |u| {
        u["connections"] == 2
    })
    .await;
    drop(first);
    drop(second);
    let gone = user_until(&stack, &ada, "erin-laptop", PRESENCE_WITHIN, |u| {
        u["connections"] == 0
    })
    .await;
    assert!(gone["last_seen"].as_i64().unwrap() >= started, "{gone}");

    // Filters: by name prefix, by state.
    let erins = stack.get("/api/v1/users?prefix=erin", &ada).await;
    assert_eq!(erins.status, 200, "{}", erins.body);
    let mut names = names_of(&erins.json(), "users");
    names.sort();
    assert_eq!(names, ["erin", "erin-laptop"]);
    stack
        .send("DELETE", "/api/v1/users/erin-laptop", Some(&ada), None)
        .await;
    let revoked = stack.get("/api/v1/users?status=revoked", &ada).await.json();
    assert_eq!(names_of(&revoked, "users"), ["erin-laptop"]);
    let active = stack.get("/api/v1/users?status=active", &ada).await.json();
    assert!(!names_of(&active, "users").contains(&"erin-laptop".to_owned()));
    stack
        .get("/api/v1/users?status=sleeping", &ada)
        .await
        .assert_problem(400, "bad_request");
    // Revoking one's own name would close the connection waiting for the answer.
    stack
        .send("DELETE", "/api/v1/users/ada", Some(&ada), None)
        .await
        .assert_problem(409, "self_revocation");
    assert_eq!(stack.get("/api/v1/me", &ada).await.status, 200);

    // History: the HTTP API's credential (via http, a NATS request underneath) and the
    // portal's own callout logins of erin and ada; admins only; own tenant only.
    let history = stack.get("/api/v1/issuances", &ada).await;
    assert_eq!(history.status, 200, "{}", history.body);
    let records = history.json()["issuances"].as_array().unwrap().clone();
    let laptop = records
        .iter()
        .find(|r| r["name"] == "erin-laptop")
        .unwrap_or_else(|| panic!("{records:?}"));
    assert_eq!(
        (laptop["door"].as_str(), laptop["via"].as_str()),
        (Some("request"), Some("http"))
    );
    assert_eq!(laptop["tenant"], "acme");
    assert_eq!(
        laptop["user_public_key"],
        claims::parse_creds(&creds.body)
            .and_then(|c| claims::UserClaims::decode(&c.jwt))
            .unwrap()
            .sub
    );
    assert!(records
        .iter()
        .any(|r| r["name"] == "erin" && r["door"] == "callout"));
    assert!(records.iter().all(|r| r["tenant"] == "acme"));
    let only = stack
        .get("/api/v1/issuances?user=erin-laptop", &ada)
        .await
        .json();
    assert_eq!(names_of(&only, "issuances"), ["erin-laptop"]);
    let later = stack
        .get(
            &format!(
                "/api/v1/issuances?since={}",
                integration_tests::unix_now() + 60
            ),
            &ada,
        )
        .await
        .json();
    assert_eq!(later["issuances"].as_array().unwrap().len(), 0, "{later}");
    let paged = stack.get("/api/v1/issuances?limit=1", &ada).await.json();
    assert_eq!(paged["issuances"].as_array().unwrap().len(), 1);
    let next = paged["next_cursor"].as_str().unwrap();
    let rest = stack
        .get(&format!("/api/v1/issuances?cursor={next}"), &ada)
        .await
        .json();
    assert_eq!(
        rest["issuances"].as_array().unwrap().len() + 1,
        records.len(),
        "{rest}"
    );
    stack
        .get("/api/v1/issuances", &erin)
        .await
        .assert_problem(403, "admin_required");
    let theirs = stack.get("/api/v1/issuances", &gus).await.json();
    let theirs = theirs["issuances"].as_array().unwrap();
    assert!(theirs.iter().all(|r| r["tenant"] == "globex"), "{theirs:?}");
    assert!(!theirs.iter().any(|r| r["name"] == "erin-laptop"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_survives_restarts_of_every_process() {
    let mut stack = Stack::start("restarts");
    let ada = stack.token("ada", "acme", &[ADMIN]);
    for name in ["ada-one", "ada-two"] {
        let creds = stack
            .send(
                "POST",
                "/api/v1/credentials",
                Some(&ada),
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(creds.status, 200, "{}", creds.body);
    }
    let before = stack.get("/api/v1/issuances", &ada).await.json();
    let before = names_of(&before, "issuances");
    assert!(before.contains(&"ada-two".to_owned()), "{before:?}");

    // Every process down: the portal, the provisioner (SIGKILL), nats-server (SIGKILL);
    // then back in the other order.
    stack.portal.kill();
    stack.provisioner.kill();
    stack.estate.server.restart().unwrap();
    stack.provisioner = stack
        .estate
        .start_provisioner("restarts-provisioner-again", &[])
        .unwrap();
    let (portal, base) = start_portal(&stack.estate, "restarts-again", &[], &[]);
    stack.portal = portal;
    stack.base = base;

    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let reply = stack.get("/api/v1/issuances", &ada).await;
        if reply.status == 200 {
            break names_of(&reply.json(), "issuances");
        }
        // Until the provisioner serves again the portal answers 503/504.
        assert!(Instant::now() < deadline, "{} {}", reply.status, reply.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Every record from before is still there, in order; the new login adds its own.
    assert_eq!(after[..before.len()], before[..], "{after:?}");
}
