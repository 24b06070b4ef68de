//! The operator-mode config strings (`integration_tests::config`) accepted by a real server.
//!
//! The JWTs here are minimal hand-made test fixtures (throwaway keys, made at test time) so that
//! this check does not depend on the product's `claims` crate; suites that test the product
//! mint with `claims` instead.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use data_encoding::BASE64URL_NOPAD;
use futures::StreamExt as _;
use integration_tests::{operator_full_resolver, operator_memory_resolver, NatsServer};
use nkeys::KeyPair;
use serde_json::{json, Value};

/// Upper bound for any single client operation in these tests.
const STEP: Duration = Duration::from_secs(10);

/// Signs `claims` (completed with `iss`, `sub`, `iat`, `jti`) as a NATS v2 JWT.
fn jwt(issuer: &KeyPair, subject: &str, mut claims: Value) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    claims["iss"] = issuer.public_key().into();
    claims["sub"] = subject.into();
    claims["iat"] = now.into();
    claims["jti"] = format!("TEST{subject}").into();
    let header = BASE64URL_NOPAD.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let body = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
    let signed = format!("{header}.{body}");
    let signature = BASE64URL_NOPAD.encode(&issuer.sign(signed.as_bytes()).unwrap());
    format!("{signed}.{signature}")
}

fn operator_jwt(operator: &KeyPair) -> String {
    let claims = json!({ "name": "TEST-OP", "nats": { "type": "operator", "version": 2 } });
    jwt(operator, &operator.public_key(), claims)
}

fn account_jwt(operator: &KeyPair, account: &KeyPair, name: &str) -> String {
    let limits = json!({
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
        "wildcards": true, "conn": -1, "leaf": -1
    });
    let claims = json!({
        "name": name,
        "nats": { "limits": limits, "type": "account", "version": 2 }
    });
    jwt(operator, &account.public_key(), claims)
}

fn user_jwt(account: &KeyPair, user: &KeyPair) -> String {
    let claims = json!({
        "name": "TEST-USER",
        "nats": {
            "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1,
            "type": "user", "version": 2
        }
    });
    jwt(account, &user.public_key(), claims)
}

/// Connects as a fresh user of `account` and round-trips one message.
async fn user_round_trip(server: &NatsServer, account: &KeyPair) {
    let user = Arc::new(KeyPair::new_user());
    let signer = Arc::clone(&user);
    let client = async_nats::ConnectOptions::with_jwt(user_jwt(account, &user), move |nonce| {
        let signer = Arc::clone(&signer);
        async move { signer.sign(&nonce).map_err(async_nats::AuthError::new) }
    })
    .connection_timeout(STEP)
    .connect(server.client_url())
    .await
    .unwrap();
    let mut sub = client.subscribe("operator.check").await.unwrap();
    client.flush().await.unwrap();
    client.publish("operator.check", "hi".into()).await.unwrap();
    let msg = tokio::time::timeout(STEP, sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(msg.payload.as_ref(), b"hi");
}

#[tokio::test]
async fn memory_resolver_config_serves_preloaded_accounts() {
    let operator = KeyPair::new_operator();
    let sys = KeyPair::new_account();
    let app = KeyPair::new_account();
    let (sys_key, app_key) = (sys.public_key(), app.public_key());
    let (sys_jwt, app_jwt) = (
        account_jwt(&operator, &sys, "SYS"),
        account_jwt(&operator, &app, "APP"),
    );
    let config = operator_memory_resolver(
        &operator_jwt(&operator),
        &sys_key,
        &[(&sys_key, &sys_jwt), (&app_key, &app_jwt)],
    );

    let server = NatsServer::start(&config).unwrap();
    assert!(
        server.log_tail(100).contains("Trusted Operators"),
        "{}",
        server.log_tail(100)
    );
    user_round_trip(&server, &app).await;

    // An account the operator did not sign is not in the resolver: its users are refused.
    let stranger = KeyPair::new_account();
    let user = Arc::new(KeyPair::new_user());
    let signer = Arc::clone(&user);
    let result = async_nats::ConnectOptions::with_jwt(user_jwt(&stranger, &user), move |n| {
        let signer = Arc::clone(&signer);
        async move { signer.sign(&n).map_err(async_nats::AuthError::new) }
    })
    .connection_timeout(STEP)
    .connect(server.client_url())
    .await;
    assert!(result.is_err(), "a user of an unknown account connected");
}

#[tokio::test]
async fn full_resolver_config_serves_the_system_account() {
    let operator = KeyPair::new_operator();
    let sys = KeyPair::new_account();
    let jwt_dir = tempfile::Builder::new()
        .prefix("jwt dir \"quoted\" ")
        .tempdir()
        .unwrap();
    let config = operator_full_resolver(
        &operator_jwt(&operator),
        &sys.public_key(),
        &account_jwt(&operator, &sys, "SYS"),
        jwt_dir.path(),
    );

    let server = NatsServer::start(&config).unwrap();
    let log = server.log_tail(100);
    assert!(
        log.contains("Managing all jwt in exclusive directory"),
        "{log}"
    );
    assert!(log.contains(&jwt_dir.path().display().to_string()), "{log}");
    user_round_trip(&server, &sys).await;
}
