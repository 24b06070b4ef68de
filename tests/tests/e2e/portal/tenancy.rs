//! Tenancy through the portal: the portal never names a tenant, the provisioner takes it
//! from the caller's connection. An admin of globex neither sees, shows nor revokes
//! acme's users or invites (the `404` of a name or id that does not exist, so nothing
//! leaks), and a plain user of acme gets `403 admin_required` on every admin operation.

use serde_json::json;

use super::stack::{Stack, ADMIN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_sees_nothing_and_a_user_is_no_admin() {
    let stack = Stack::start("tenancy");
    let dana = stack.token("dana", "acme", &[]);
    let ada = stack.token("ada", "acme", &[ADMIN]);
    let gus = stack.token("gus", "globex", &[ADMIN]);

    let made = stack
        .send(
            "POST",
            "/api/v1/credentials",
            Some(&dana),
            Some(json!({"name": "dana-laptop"})),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let invite = stack
        .send("POST", "/api/v1/invites", Some(&ada), Some(json!({})))
        .await;
    assert_eq!(invite.status, 201, "{}", invite.body);
    let id = invite.json()["id"].as_str().unwrap().to_owned();

    // globex's admin: acme's names and ids do not exist for it.
    let mine = stack.get("/api/v1/users", &gus).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let mine = mine.json();
    assert_eq!(mine["tenant"], "globex");
    assert!(
        mine["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["name"] != "dana-laptop"),
        "{mine}"
    );
    stack
        .get("/api/v1/users/dana-laptop", &gus)
        .await
        .assert_problem(404, "user_not_found");
    stack
        .send("DELETE", "/api/v1/users/dana-laptop", Some(&gus), None)
        .await
        .assert_problem(404, "user_not_found");
    stack
        .send("DELETE", &format!("/api/v1/invites/{id}"), Some(&gus), None)
        .await
        .assert_problem(404, "invite_not_found");
    let theirs = stack.get("/api/v1/invites", &gus).await.json();
    assert!(theirs["invites"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["id"] != id.as_str()));
    assert_eq!(
        stack.get("/api/v1/quota", &gus).await.json()["tenant"],
        "globex"
    );

    // acme's user and invite are untouched.
    let shown = stack.get("/api/v1/users/dana-laptop", &ada).await.json();
    assert_eq!(shown["users"][0]["revoked"], false, "{shown}");
    let listed = stack.get("/api/v1/invites", &ada).await.json();
    let invite = listed["invites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .cloned();
    assert_eq!(invite.unwrap()["revoked"], false);

    // A plain user is no admin: the provisioner refuses every admin operation.
    for (method, path, body) in [
        ("GET", "/api/v1/users", None),
        ("GET", "/api/v1/users/dana", None),
        ("DELETE", "/api/v1/users/dana-laptop", None),
        ("GET", "/api/v1/invites", None),
        ("POST", "/api/v1/invites", Some(json!({}))),
        ("DELETE", &format!("/api/v1/invites/{id}") as &str, None),
        ("GET", "/api/v1/quota", None),
    ] {
        stack
            .send(method, path, Some(&dana), body)
            .await
            .assert_problem(403, "admin_required");
    }
    let shown = stack.get("/api/v1/users/dana-laptop", &ada).await.json();
    assert_eq!(shown["users"][0]["revoked"], false);

    // The token's tenant is the one whose policy accepted it, and the role is within it.
    let me = stack.get("/api/v1/me", &gus).await.json();
    assert_eq!(
        (me["tenant"].as_str(), me["role"].as_str()),
        (Some("globex"), Some("admin"))
    );
}

/// A caller admitted by the auth callout has no JWT for the server to share; straight
/// over NATS, without the portal: it is identified only by an ID token of the tenant its
/// connection is in. Another tenant's token, or none, is `identity_unverified`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callout_caller_is_only_who_its_own_tenants_token_says() {
    let stack = Stack::start("token-caller");
    let dana = stack.token("dana", "acme", &[]);
    let gus = stack.token("gus", "globex", &[ADMIN]);
    let options =
        async_nats::ConnectOptions::with_token(dana.clone()).custom_inbox_prefix("_INBOX.dana");
    let conn = integration_tests::connect_with_options(&stack.estate.url(), options)
        .await
        .unwrap();
    let ask = |name: &str, id_token: Option<&String>| {
        let ask = provisioner::client::Ask {
            name: name.to_owned(),
            id_token: id_token.cloned(),
            ..provisioner::client::Ask::default()
        };
        provisioner::client::request_body(&claims::KeyPair::new_user(), &ask).unwrap()
    };
    let call = |subject: &'static str, body: bytes::Bytes| {
        let client = conn.client.clone();
        async move {
            let reply = client.request(subject, body).await.unwrap();
            let status = reply
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Service-Error-Code"))
                .map_or(200, |v| v.as_str().parse::<u16>().unwrap());
            let body: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
            (status, body)
        }
    };
    let refused =
        |body: &serde_json::Value| body["error"]["code"].as_str().unwrap_or("").to_owned();

    let (status, body) = call("creds.request", ask("dana-x", None)).await;
    assert_eq!(
        (status, refused(&body).as_str()),
        (403, "identity_unverified"),
        "{body}"
    );
    // globex's admin token from acme's connection: refused, never placed in globex.
    let (status, body) = call("creds.request", ask("gus-x", Some(&gus))).await;
    assert_eq!(
        (status, refused(&body).as_str()),
        (403, "identity_unverified"),
        "{body}"
    );
    let admin = json!({"id_token": gus}).to_string();
    let (status, body) = call("creds.admin.users.list", admin.into()).await;
    assert_eq!(
        (status, refused(&body).as_str()),
        (403, "identity_unverified"),
        "{body}"
    );
    // Its own token: served in acme, and no admin for a plain user.
    let (status, body) = call("creds.request", ask("dana-x", Some(&dana))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["account"],
        json!(stack.estate.account_key("acme").unwrap())
    );
    let admin = json!({"id_token": dana}).to_string();
    let (status, body) = call("creds.admin.users.list", admin.into()).await;
    assert_eq!(
        (status, refused(&body).as_str()),
        (403, "admin_required"),
        "{body}"
    );
}
