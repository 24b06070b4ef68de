//! User JWTs minted with `claims` against a real nats-server in operator mode: signing-key
//! users connect and get exactly their permissions; expired users, users of unlisted
//! signing keys and scoped users carrying their own permissions are refused; scoped users
//! get the scope template.

use integration_tests::{
    connect_with_creds, mint_user, publish_until_received, unix_now, NatsServer, TestOperator,
    LOG_WAIT,
};

use claims::{KeyPair, UserScope};

/// A subject the users below may not publish to.
const DENIED: &str = "denied.x";

#[tokio::test]
async fn a_signing_key_user_connects_and_gets_exactly_its_permissions() {
    let op = TestOperator::new("OP").unwrap();
    let signing_key = KeyPair::new_account();
    let acct = op
        .account("APP", |a| a.nats.signing_keys.add(signing_key.public_key()))
        .unwrap();
    let server = NatsServer::start(&op.memory_resolver_config(&[&acct])).unwrap();
    let user = mint_user(&signing_key, &acct.public_key(), "alice", |u| {
        u.nats.permissions.publish.allow = vec!["allowed.>".into()];
        u.nats.permissions.subscribe.allow = vec!["allowed.>".into()];
    })
    .unwrap();

    let mut alice = connect_with_creds(&server.client_url(), &user.creds)
        .await
        .unwrap();
    let mut sub = alice.client.subscribe("allowed.x").await.unwrap();
    let msg = publish_until_received(&alice.client, &mut sub, "allowed.x", b"hello")
        .await
        .unwrap();
    assert_eq!(&msg.payload[..], b"hello");

    alice.client.publish(DENIED, "nope".into()).await.unwrap();
    alice.client.flush().await.unwrap();
    alice.expect_permission_violation(DENIED).await.unwrap();
}

#[tokio::test]
async fn expired_users_and_users_of_unlisted_keys_are_refused() {
    let op = TestOperator::new("OP").unwrap();
    let signing_key = KeyPair::new_account();
    let acct = op
        .account("APP", |a| a.nats.signing_keys.add(signing_key.public_key()))
        .unwrap();
    let server = NatsServer::start(&op.memory_resolver_config(&[&acct])).unwrap();

    let expired = mint_user(&signing_key, &acct.public_key(), "old", |u| {
        u.exp = unix_now() - 10;
    })
    .unwrap();
    let err = connect_with_creds(&server.client_url(), &expired.creds)
        .await
        .err();
    assert!(err.is_some(), "an expired user connected");

    let stranger = KeyPair::new_account();
    let forged = mint_user(&stranger, &acct.public_key(), "forged", |_| {}).unwrap();
    let err = connect_with_creds(&server.client_url(), &forged.creds)
        .await
        .err();
    assert!(err.is_some(), "a user of an unlisted signing key connected");

    // Control: the same account's listed key still works on the same server.
    let ok = mint_user(&signing_key, &acct.public_key(), "ok", |_| {}).unwrap();
    connect_with_creds(&server.client_url(), &ok.creds)
        .await
        .unwrap();
    // The server logs the refusal after the client saw it.
    server
        .wait_for_log(&["authentication error"], LOG_WAIT)
        .unwrap();
}

#[tokio::test]
async fn a_scoped_key_user_gets_exactly_the_scope_template() {
    let op = TestOperator::new("OP").unwrap();
    let scoped_key = KeyPair::new_account();
    let plain_key = KeyPair::new_account();
    let acct = op
        .account("TENANT", |a| {
            let mut scope = UserScope::new(scoped_key.public_key());
            scope.role = "device".into();
            scope.template.publish.allow =
                vec!["scoped.{{name()}}.>".into(), "$SYS.REQ.USER.INFO".into()];
            scope.template.subscribe.allow = vec!["_INBOX.>".into()];
            a.nats.signing_keys.add_scoped(scope);
            a.nats.signing_keys.add(plain_key.public_key());
        })
        .unwrap();
    let server = NatsServer::start(&op.memory_resolver_config(&[&acct])).unwrap();
    let url = server.client_url();

    // A scoped user carries no permissions or limits of its own.
    let device = mint_user(&scoped_key, &acct.public_key(), "dev1", |u| {
        u.nats.permissions = Default::default();
    })
    .unwrap();
    let watcher = mint_user(&plain_key, &acct.public_key(), "watcher", |_| {}).unwrap();

    let watcher = connect_with_creds(&url, &watcher.creds).await.unwrap();
    let mut seen = watcher.client.subscribe("scoped.>").await.unwrap();

    let mut dev = connect_with_creds(&url, &device.creds).await.unwrap();
    let msg = publish_until_received(&dev.client, &mut seen, "scoped.dev1.temp", b"21")
        .await
        .unwrap();
    assert_eq!(msg.subject.as_str(), "scoped.dev1.temp");

    // The server reports the effective permissions: exactly the expanded template.
    let info = dev
        .client
        .request("$SYS.REQ.USER.INFO", "".into())
        .await
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&info.payload).unwrap();
    let perms = &info["data"]["permissions"];
    let mut allowed: Vec<&str> = perms["publish"]["allow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    allowed.sort();
    assert_eq!(
        allowed,
        vec!["$SYS.REQ.USER.INFO", "scoped.dev1.>"],
        "{info}"
    );
    assert_eq!(
        perms["subscribe"]["allow"],
        serde_json::json!(["_INBOX.>"]),
        "{info}"
    );

    dev.client
        .publish("scoped.other.temp", "x".into())
        .await
        .unwrap();
    dev.client.flush().await.unwrap();
    dev.expect_permission_violation("scoped.other.temp")
        .await
        .unwrap();

    // A user of the scoped key that carries permissions of its own is refused.
    let greedy = mint_user(&scoped_key, &acct.public_key(), "greedy", |u| {
        u.nats.permissions.publish.allow = vec![">".into()];
    })
    .unwrap();
    assert!(connect_with_creds(&url, &greedy.creds).await.is_err());
}
