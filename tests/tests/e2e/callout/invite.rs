//! Invite tokens at CONNECT, through the callout with the registry, on a real
//! nats-server with JetStream: an `nsc-setup init --callout` estate, an acme admin makes
//! invites, and clients connect with nothing but an invite. An invite given as the
//! password admits the CONNECT user's name with the tenant's permissions, as many times
//! as it has uses; an invite for one literal name works as the token alone; used-up,
//! made-up or other-pattern invites are refused.

use async_nats::ConnectOptions;
use integration_tests::{connect_with_creds, connect_with_options, ProductEstate, LOG_WAIT};
use nsc_setup::ResolverKind;
use serde_json::json;

use super::assert_own_subjects_only;
use crate::registry::{admin, policy, provisioner};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_at_connect_admits_as_many_connections_as_it_has_uses() {
    let estate = ProductEstate::start_with(&["acme"], ResolverKind::Full, true, true).unwrap();
    let extra = "identity.invite.enabled = true\nnames.reissue_to_other_key = true\n";
    let policy = policy(&estate, &[("acme", extra)], &[]);
    let mut provisioner = provisioner(&estate, "p", &policy, &[]);
    let url = estate.url();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap();

    let body = json!({"name_pattern": "ivy*", "uses": 2});
    let (status, created) = admin(&acme_admin.client, "invites.create", body).await;
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    let with_invite = |user: &str, invite: &str| {
        let options = ConnectOptions::with_user_and_password(user.into(), invite.into());
        let url = url.clone();
        async move { connect_with_options(&url, options).await }
    };

    let mut ivy = with_invite("ivy", &token).await.unwrap();
    assert_own_subjects_only(&mut ivy, "acme", "ivy").await;
    // The pattern is the invite's: another name is refused and uses nothing.
    assert!(with_invite("mallory", &token).await.is_err());
    // A reconnect is a new connection with a new key: the second use.
    let _again = with_invite("ivy", &token).await.unwrap();
    assert!(
        with_invite("ivy", &token).await.is_err(),
        "a two-use invite let a third connection in"
    );
    let (_, invites) = admin(&acme_admin.client, "invites.list", json!({})).await;
    assert_eq!(invites["invites"][0]["uses_left"], json!(0), "{invites}");

    // An invite for one literal name works as the CONNECT token alone.
    let body = json!({"name_pattern": "jack", "uses": 1});
    let (_, created) = admin(&acme_admin.client, "invites.create", body).await;
    let jack_token = created["token"].as_str().unwrap().to_owned();
    let options = ConnectOptions::with_token(jack_token.clone());
    let mut jack = connect_with_options(&url, options).await.unwrap();
    assert_own_subjects_only(&mut jack, "acme", "jack").await;

    let made_up = "inv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert!(with_invite("ivy", made_up).await.is_err());

    let out = provisioner
        .wait_for_count("invite_invalid", 1, LOG_WAIT)
        .unwrap();
    for secret in [&token, &jack_token] {
        assert!(!out.contains(secret.as_str()), "an invite reached the log");
    }
    let server_log = estate
        .server
        .wait_for_log(&["invite_invalid"], LOG_WAIT)
        .unwrap();
    for secret in [&token, &jack_token] {
        assert!(
            !server_log.contains(secret.as_str()),
            "an invite reached the log"
        );
    }
}
