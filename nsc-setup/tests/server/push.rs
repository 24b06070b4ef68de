//! `tenant add --push` and `push` against a running full resolver: a new tenant becomes
//! usable without a restart, and a pushed revocation makes the server refuse the user.

use std::time::Duration;

use futures::StreamExt as _;
use integration_tests::STEP;
use nsc_setup::{push_dir, PushOptions, ResolverKind, TenantSpec};

use crate::common::{request_info, Fixture};

fn nsc_setup() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_nsc-setup"));
    cmd.env_clear();
    cmd
}

#[tokio::test]
async fn tenant_add_with_push_makes_a_new_tenant_usable_without_restart() {
    let f = Fixture::start(ResolverKind::Full, false, false);
    let url = f.url();
    let dir = f.dir.to_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        nsc_setup()
            .args(["tenant", "add", "initech", "--dir", &dir, "--push", &url])
            .timeout(Duration::from_secs(30))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(output).unwrap();
    assert!(stdout.contains("jwt updated"), "{stdout}");

    let estate = nsc_setup::load_dir(&f.dir).unwrap();
    let initech = estate.account("initech").unwrap().public_key().to_owned();
    let provisioner = f.connect("AUTH", "provisioner").await.unwrap();
    let mut requests = provisioner.client.subscribe("creds.request").await.unwrap();
    provisioner.client.flush().await.unwrap();
    let bootstrap = f.connect("initech", "bootstrap").await.unwrap();
    bootstrap
        .client
        .publish("creds.request", "hello".into())
        .await
        .unwrap();
    bootstrap.client.flush().await.unwrap();
    let message = tokio::time::timeout(STEP, requests.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request_info(&message)["acc"], initech.as_str());
}

#[tokio::test]
async fn a_new_tenant_is_unknown_to_a_running_server_until_pushed() {
    let f = Fixture::start(ResolverKind::Full, true, false);
    let tenant = TenantSpec {
        name: "initech".into(),
        scoped: true,
    };
    let added = nsc_setup::add_tenant(&f.dir, &tenant).unwrap();
    assert!(
        f.connect("initech", "bootstrap").await.is_err(),
        "not pushed, not in the resolver directory: unknown"
    );
    let report = push_dir(&f.dir, &f.url(), &["initech"], PushOptions::default())
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");
    let answers = &report.accounts[0].answers;
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].code, 200);
    assert_eq!(answers[0].message, "jwt updated");
    added.record_in_resolver().unwrap();
    f.connect("initech", "bootstrap").await.unwrap();
}

#[tokio::test]
async fn pushing_a_revocation_makes_the_server_refuse_the_user() {
    let f = Fixture::start(ResolverKind::Full, false, false);
    let mut before = f.connect("acme", "admin").await.unwrap();

    let now = nsc_setup::unix_now();
    let estate = nsc_setup::revoke_user(&f.dir, "acme", "admin", now).unwrap();
    let acme = estate.account("acme").unwrap();
    let admin_key = acme.user("admin").unwrap().public_key();
    assert_eq!(acme.claims.nats.revocations.get(admin_key), Some(&now));

    let report = push_dir(&f.dir, &f.url(), &[], PushOptions::default())
        .await
        .unwrap();
    assert_eq!(report.accounts.len(), 5);
    assert!(report.ok(), "{report:?}");

    assert!(
        f.connect("acme", "admin").await.is_err(),
        "a revoked user must not connect"
    );
    before
        .expect_disconnect(STEP)
        .await
        .expect("the revoked user's open connection is closed");
    f.connect("acme", "bootstrap").await.unwrap();
}

#[tokio::test]
async fn pushing_to_a_memory_resolver_fails_and_says_so() {
    let f = Fixture::start(ResolverKind::Memory, false, false);
    let report = push_dir(&f.dir, &f.url(), &["acme"], PushOptions::default())
        .await
        .unwrap();
    assert!(!report.ok(), "{report:?}");
    eprintln!("memory resolver answer: {:?}", report.accounts[0].answers);

    let url = f.url();
    let dir = f.dir.to_str().unwrap().to_owned();
    tokio::task::spawn_blocking(move || {
        nsc_setup()
            .args(["push", "--dir", &dir, "--server", &url, "--account", "acme"])
            .timeout(Duration::from_secs(30))
            .assert()
            .code(1);
    })
    .await
    .unwrap();
}
