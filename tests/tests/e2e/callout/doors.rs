//! One pipeline, two doors: the same ID token for a name the policy reserves, once in a
//! credential request over NATS and once as the CONNECT token through the auth callout,
//! gets the same refusal and the same audit event (code, status, tenant, rule), told
//! apart only by the door it came in by.

use std::time::Duration;

use async_nats::ConnectOptions;
use claims::KeyPair;
use futures::StreamExt as _;
use integration_tests::{connect_with_creds, connect_with_options, unix_now};
use serde_json::{json, Value};

use super::estate::AUDIT_SUBJECT;
use super::oidc::{estate_with, Issuer, AUDIENCE};

/// How long to wait for the two audit events.
const AUDIT_WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_request_and_a_callout_connect_get_the_same_decision_and_audit_event() {
    let issuer = Issuer::new("key-1");
    let estate = estate_with(&issuer, "names.reserved = [\"root\"]");
    let _provisioner = estate.start_provisioner("p");
    let observer = connect_with_creds(&estate.url(), &estate.provisioner_creds)
        .await
        .unwrap();
    let mut audit = observer.client.subscribe(AUDIT_SUBJECT).await.unwrap();
    observer.client.flush().await.unwrap();
    let token = issuer.token("root", AUDIENCE, unix_now() + 300);

    // Door 1: a credential request carrying the ID token.
    let user = KeyPair::new_user();
    let (ts, nonce) = (unix_now(), nuid::next().to_string());
    let proof = provisioner::proof::sign_proof(&user, None, "root", ts, &nonce).unwrap();
    let request = json!({"name": "root", "public_key": user.public_key(), "ts": ts,
                         "nonce": nonce, "proof": proof, "id_token": token});
    let reply = observer
        .client
        .request("creds.request", request.to_string().into())
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(body["error"]["code"], "name_reserved", "{body}");

    // Door 2: the same token at CONNECT.
    let refused = connect_with_options(&estate.url(), ConnectOptions::with_token(token)).await;
    assert!(refused.is_err(), "a reserved name connected");

    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + AUDIT_WAIT;
    while events.len() < 2 {
        let message = tokio::time::timeout_at(deadline, audit.next())
            .await
            .expect("two audit events")
            .unwrap();
        events.push(serde_json::from_slice::<Value>(&message.payload).unwrap());
    }
    let door = |name: &str| {
        events
            .iter()
            .find(|e| e["door"] == name)
            .unwrap_or_else(|| panic!("no {name} event in {events:?}"))
            .clone()
    };
    let (request, callout) = (door("request"), door("callout"));
    for field in [
        "outcome", "code", "status", "tenant", "account", "rule", "name",
    ] {
        assert_eq!(
            request[field], callout[field],
            "{field}: {request} vs {callout}"
        );
    }
    assert_eq!(request["code"], "name_reserved");
    assert_eq!(request["outcome"], "deny");
    assert_eq!(request["tenant"], "acme");
}
