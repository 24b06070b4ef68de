//! Auth callout on a real nats-server 2.15.1 in config mode (`authorization {
//! auth_callout { issuer, auth_users, account, xkey } }`): the issuer key signs every
//! user, the user JWT's audience names the account, and the provisioner answers with
//! `--callout-mode config`, connected with `--nkey`. With the xkey, requests arrive
//! sealed; one altered on the wire between server and provisioner is dropped (the client
//! is refused) while the next is answered. (Clients cannot publish on
//! `$SYS.REQ.USER.AUTH` themselves: the server forbids it in both modes.)

use std::time::Duration;

use async_nats::ConnectOptions;
use claims::KeyPair;
use integration_tests::{
    connect_with_options, publish_until_received, quote, workspace_bin, NatsServer, ProductProcess,
    TamperingProxy, WatchedClient, LOG_WAIT,
};
use nkeys::XKey;
use provisioner::callout::AUTH_CALLOUT_SUBJECT;

use super::estate::{credentials_entry, write};
use super::{assert_own_subjects_only, with_password};

/// The CONNECT secrets the estate accepts.
const ALICE: (&str, &str) = ("alice", "alice-config-mode-1");
const BOB: (&str, &str) = ("bob", "bob-config-mode-1");
const CI_TOKEN: &str = "acme-config-token-XYZ";
/// Users of the server config itself: they bypass the callout.
const ACME_OBSERVER: (&str, &str) = ("acme-observer", "observer-pass-1");
const GLOBEX_OBSERVER: (&str, &str) = ("globex-observer", "observer-pass-2");

struct ConfigModeEstate {
    dir: tempfile::TempDir,
    server: NatsServer,
}

fn tenant(name: &str, account: &str, config_account: &str) -> String {
    format!(
        "[[tenants]]\nname = \"{name}\"\naccount = \"{account}\"\nnamespace = \"tenant.{name}\"\n\
         signing_key.path = \"{name}.nk\"\n\
         identity.callout = {{ enabled = true, credentials = \"{name}-callout.toml\", \
         config_account = \"{config_account}\" }}\n\
         permissions.pub.allow = [\"tenant.{name}.{{name}}.>\"]\n\
         permissions.sub.allow = [\"tenant.{name}.{{name}}.>\", \"_INBOX.>\"]\n\
         ttl = {{ default_secs = 600, max_secs = 3600 }}\n\n"
    )
}

impl ConfigModeEstate {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let issuer = KeyPair::new_account();
        let xkey = XKey::new();
        let provisioner = KeyPair::new_user();
        let config = format!(
            "accounts {{\n\
               AUTH {{ users: [ {{ nkey: {p} }} ] }}\n\
               ACME {{ users: [ {{ user: {ao}, password: {ao_pw} }} ] }}\n\
               GLOBEX {{ users: [ {{ user: {go}, password: {go_pw} }} ] }}\n\
             }}\n\
             authorization {{\n  auth_callout {{\n\
               issuer: {issuer}\n\
               auth_users: [ {p}, {ao}, {go} ]\n\
               account: AUTH\n\
               xkey: {x}\n  }}\n}}\n",
            p = provisioner.public_key(),
            ao = quote(ACME_OBSERVER.0),
            ao_pw = quote(ACME_OBSERVER.1),
            go = quote(GLOBEX_OBSERVER.0),
            go_pw = quote(GLOBEX_OBSERVER.1),
            issuer = issuer.public_key(),
            x = xkey.public_key(),
        );
        let server = NatsServer::start(&config).unwrap();

        write(d, "issuer.nk", &issuer.seed().unwrap());
        write(d, "callout.xk", &xkey.seed().unwrap());
        write(d, "provisioner.nk", &provisioner.seed().unwrap());
        let mut policy = String::from("version = 1\n\n");
        for (name, config_account) in [("acme", "ACME"), ("globex", "GLOBEX")] {
            // The tenant's account key serves the request flow (operator mode), unused here.
            let account = KeyPair::new_account();
            write(d, &format!("{name}.nk"), &account.seed().unwrap());
            policy.push_str(&tenant(name, &account.public_key(), config_account));
        }
        write(d, "policy.toml", &policy);
        let acme = credentials_entry("users", &format!("user = \"{}\"", ALICE.0), ALICE.1, "")
            + &credentials_entry("tokens", "name = \"ci\"", CI_TOKEN, "");
        write(d, "acme-callout.toml", &acme);
        write(
            d,
            "globex-callout.toml",
            &credentials_entry("users", &format!("user = \"{}\"", BOB.0), BOB.1, ""),
        );
        ConfigModeEstate { dir, server }
    }

    fn url(&self) -> String {
        self.server.client_url()
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn start_provisioner(&self) -> ProductProcess {
        self.start_provisioner_via(&self.url())
    }

    /// Starts the provisioner connected to `url` (the server, or a proxy in front of it).
    fn start_provisioner_via(&self, url: &str) -> ProductProcess {
        let bin = workspace_bin("provisioner").unwrap();
        let (url, policy, nkey, issuer, xkey) = (
            url.to_owned(),
            self.path("policy.toml"),
            self.path("provisioner.nk"),
            self.path("issuer.nk"),
            self.path("callout.xk"),
        );
        let args = [
            "serve",
            "-s",
            &url,
            "--policy",
            &policy,
            "--nkey",
            &nkey,
            "--subject",
            "creds.request",
            "--callout-mode",
            "config",
            "--callout-issuer-key",
            &issuer,
            "--callout-xkey",
            &xkey,
        ];
        let log = self.dir.path().join("provisioner.log");
        let mut process = ProductProcess::start(&bin, &args, log, &[]).unwrap();
        process
            .wait_for_output("answering auth callout", Duration::from_secs(30))
            .unwrap();
        process
    }
}

/// `client` lives in the account of `observer`: the observer sees what it publishes.
async fn assert_seen_by(url: &str, client: &WatchedClient, observer: (&str, &str), subject: &str) {
    let observer = with_password(url, observer).await.unwrap();
    let mut seen = observer.client.subscribe(subject.to_owned()).await.unwrap();
    publish_until_received(&client.client, &mut seen, subject, b"where am i")
        .await
        .unwrap();
}

#[tokio::test]
async fn config_mode_places_users_by_account_name_with_the_policys_permissions() {
    let estate = ConfigModeEstate::start();
    let mut provisioner = estate.start_provisioner();
    let url = estate.url();

    let mut alice = with_password(&url, ALICE).await.unwrap();
    assert_seen_by(&url, &alice, ACME_OBSERVER, "tenant.acme.alice.x").await;
    assert_own_subjects_only(&mut alice, "acme", "alice").await;

    let mut bob = with_password(&url, BOB).await.unwrap();
    assert_seen_by(&url, &bob, GLOBEX_OBSERVER, "tenant.globex.bob.x").await;
    assert_own_subjects_only(&mut bob, "globex", "bob").await;

    let ci = connect_with_options(&url, ConnectOptions::with_token(CI_TOKEN.into()))
        .await
        .unwrap();
    assert_seen_by(&url, &ci, ACME_OBSERVER, "tenant.acme.ci.x").await;

    assert!(with_password(&url, (ALICE.0, "wrong-password"))
        .await
        .is_err());
    assert!(
        connect_with_options(&url, ConnectOptions::with_token("nope".into()))
            .await
            .is_err()
    );

    provisioner.wait_for_count("minted", 1, LOG_WAIT).unwrap();
    let out = provisioner
        .wait_for_count("credentials_invalid", 1, LOG_WAIT)
        .unwrap();
    assert!(out.contains("sealed=true"), "{out}");
    for secret in [ALICE.1, BOB.1, CI_TOKEN, "wrong-password"] {
        assert!(!out.contains(secret), "a secret reached the log: {out}");
    }
}

// Multi-threaded: the proxy must relay while the test blocks waiting for the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_tampered_on_the_wire_is_refused_and_the_next_one_served() {
    let estate = ConfigModeEstate::start();
    // The provisioner reaches the server through a man in the middle that flips one bit
    // of the first sealed callout request it relays.
    let upstream = estate.url().trim_start_matches("nats://").to_owned();
    let proxy = TamperingProxy::start(upstream, AUTH_CALLOUT_SUBJECT, 1)
        .await
        .unwrap();
    let mut provisioner = estate.start_provisioner_via(&proxy.url());

    let refused = with_password(&estate.url(), ALICE).await;
    assert!(refused.is_err(), "a tampered request let the client in");
    assert_eq!(proxy.tampered(), 1);
    provisioner
        .wait_for_output("callout request dropped", Duration::from_secs(10))
        .unwrap();

    let mut alice = with_password(&estate.url(), ALICE).await.unwrap();
    assert_seen_by(&estate.url(), &alice, ACME_OBSERVER, "tenant.acme.alice.y").await;
    assert_own_subjects_only(&mut alice, "acme", "alice").await;
    let out = provisioner.wait_for_count("minted", 1, LOG_WAIT).unwrap();
    assert!(!out.contains(ALICE.1), "{out}");
}
