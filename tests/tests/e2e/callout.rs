//! Auth callout on a real nats-server 2.15.1 in operator mode: clients holding only a user
//! and password (or a token) connect through `provisioner serve`'s callout and get exactly
//! the policy's permissions in their tenant's account; wrong secrets are refused; the
//! provisioner's own user bypasses the callout; with an xkey, requests are opened and
//! responses sealed. Config mode, and a tampered sealed request, are in `config_mode`.

mod config_mode;
mod doors;
mod estate;
mod invite;
mod nsc_setup;
mod oidc;

use async_nats::ConnectOptions;
use integration_tests::{
    connect_with_creds, connect_with_options, mint_user, publish_until_received, TestAccount,
    WatchedClient, LOG_WAIT,
};

use estate::{CalloutEstate, Options, ACME_TOKEN, ALICE, BOB};

pub(crate) async fn with_password(
    url: &str,
    (user, pass): (&str, &str),
) -> anyhow::Result<WatchedClient> {
    let options = ConnectOptions::with_user_and_password(user.to_owned(), pass.to_owned());
    connect_with_options(url, options).await
}

/// Whether `client` lives in `account`: a user of that account sees what it publishes.
async fn assert_in_account(
    url: &str,
    client: &WatchedClient,
    account: &TestAccount,
    subject: &str,
) {
    let observer = mint_user(&account.key, &account.public_key(), "observer", |_| {}).unwrap();
    let observer = connect_with_creds(url, &observer.creds).await.unwrap();
    let mut seen = observer.client.subscribe(subject.to_owned()).await.unwrap();
    publish_until_received(&client.client, &mut seen, subject, b"where am i")
        .await
        .unwrap();
}

/// The client may use its own subjects and nothing else.
pub(crate) async fn assert_own_subjects_only(client: &mut WatchedClient, tenant: &str, name: &str) {
    let own = format!("tenant.{tenant}.{name}.inbox");
    let mut sub = client.client.subscribe(own.clone()).await.unwrap();
    publish_until_received(&client.client, &mut sub, &own, b"hi")
        .await
        .unwrap();
    let other = format!("tenant.{tenant}.someone-else.inbox");
    client
        .client
        .publish(other.clone(), "x".into())
        .await
        .unwrap();
    client.client.flush().await.unwrap();
    client.expect_permission_violation(&other).await.unwrap();
}

#[tokio::test]
async fn a_user_and_password_connect_with_exactly_the_policys_permissions() {
    let estate = CalloutEstate::start(Options::default());
    let mut provisioner = estate.start_provisioner("p");

    let mut alice = with_password(&estate.url(), ALICE).await.unwrap();
    assert_in_account(&estate.url(), &alice, &estate.acme, "tenant.acme.alice.x").await;
    assert_own_subjects_only(&mut alice, "acme", "alice").await;

    // The policy places users in several tenant accounts.
    let mut bob = with_password(&estate.url(), BOB).await.unwrap();
    assert_in_account(&estate.url(), &bob, &estate.globex, "tenant.globex.bob.x").await;
    assert_own_subjects_only(&mut bob, "globex", "bob").await;

    let err = with_password(&estate.url(), (ALICE.0, "wrong-password")).await;
    assert!(err.is_err(), "a wrong password must be refused");
    let err = with_password(&estate.url(), ("mallory", ALICE.1)).await;
    assert!(err.is_err(), "an unknown user must be refused");

    provisioner.wait_for_count("minted", 2, LOG_WAIT).unwrap();
    let out = provisioner
        .wait_for_count("credentials_invalid", 2, LOG_WAIT)
        .unwrap();
    assert!(
        !out.contains(ALICE.1) && !out.contains("wrong-password"),
        "{out}"
    );
}

#[tokio::test]
async fn a_token_connects_and_a_wrong_one_is_refused() {
    let estate = CalloutEstate::start(Options::default());
    let _provisioner = estate.start_provisioner("p");
    let mut ci = connect_with_options(&estate.url(), ConnectOptions::with_token(ACME_TOKEN.into()))
        .await
        .unwrap();
    assert_in_account(&estate.url(), &ci, &estate.acme, "tenant.acme.ci.x").await;
    assert_own_subjects_only(&mut ci, "acme", "ci").await;
    let wrong =
        connect_with_options(&estate.url(), ConnectOptions::with_token("nope".into())).await;
    assert!(wrong.is_err());
}

#[tokio::test]
async fn the_provisioners_own_user_bypasses_the_callout() {
    let estate = CalloutEstate::start(Options::default());
    let mut provisioner = estate.start_provisioner("p");
    provisioner.kill();
    // Nobody answers the callout now: callout users wait and are refused...
    let alice = with_password(&estate.url(), ALICE).await;
    assert!(alice.is_err());
    // ...while the auth user connects without asking anyone, into AUTH.
    let own = connect_with_creds(&estate.url(), &estate.provisioner_creds)
        .await
        .unwrap();
    let observer = connect_with_creds(&estate.url(), &estate.provisioner_creds)
        .await
        .unwrap();
    let mut seen = observer.client.subscribe("anything.at.all").await.unwrap();
    publish_until_received(&own.client, &mut seen, "anything.at.all", b"in AUTH")
        .await
        .unwrap();
}

#[tokio::test]
async fn with_an_xkey_requests_are_opened_and_responses_sealed() {
    let estate = CalloutEstate::start(Options {
        xkey: true,
        ..Options::default()
    });
    let mut provisioner = estate.start_provisioner("p");
    let mut alice = with_password(&estate.url(), ALICE).await.unwrap();
    assert_in_account(&estate.url(), &alice, &estate.acme, "tenant.acme.alice.x").await;
    assert_own_subjects_only(&mut alice, "acme", "alice").await;
    assert!(with_password(&estate.url(), (ALICE.0, "wrong"))
        .await
        .is_err());

    // The server sealed both requests to the provisioner's xkey and opened both answers.
    provisioner.wait_for_count("minted", 1, LOG_WAIT).unwrap();
    let out = provisioner
        .wait_for_count("credentials_invalid", 1, LOG_WAIT)
        .unwrap();
    assert!(out.contains("sealed=true"), "{out}");
    assert!(!out.contains("callout request dropped"), "{out}");
}
