//! `nsc-setup init --callout` end to end: the estate it writes (AUTH's authorization
//! block, default sentinel, xkey, provisioner.toml callout keys, policy callout entries)
//! runs as written; a user added to a tenant's callout credentials file connects with its
//! password and gets the tenant policy's permissions. `init --portal` through the binary:
//! the provisioner serves from what it wrote, the portal reads its `portal.toml`.

use std::time::Duration;

use async_nats::ConnectOptions;
use integration_tests::{
    connect_with_options, publish_until_received, workspace_bin, NatsServer, ProductProcess,
};
use nsc_setup::{InitOptions, ResolverKind, ServerSettings};
use provisioner::callout::credentials::salted_sha256;

#[tokio::test]
async fn an_init_callout_estate_lets_a_password_user_in() {
    let dir = tempfile::tempdir().unwrap();
    let written = nsc_setup::init(&InitOptions {
        dir: dir.path().join("estate"),
        operator: String::from("OP"),
        tenants: vec![String::from("acme")],
        scoped_keys: false,
        server: ServerSettings {
            resolver: ResolverKind::Full,
            host: String::from("127.0.0.1"),
            port: 4222,
            jetstream: false,
        },
        force: false,
        callout: true,
    })
    .unwrap();
    let root = &written.dir;
    assert!(root.join("nkeys/creds/OP/AUTH/sentinel.creds").is_file());
    let salt = "nsc-setup-e2e";
    let digest = data_encoding::HEXLOWER.encode(&salted_sha256(salt, "carol-password-1"));
    let credentials = root.join("callout/acme.toml");
    let mut text = std::fs::read_to_string(&credentials).unwrap();
    text.push_str(&format!(
        "\n[[users]]\nuser = \"carol\"\nsalt = \"{salt}\"\npassword_sha256 = \"{digest}\"\n"
    ));
    std::fs::write(&credentials, text).unwrap();

    let config = std::fs::read_to_string(root.join("server.conf")).unwrap();
    assert!(config.contains("default_sentinel:"), "{config}");
    let server = NatsServer::start(&config).unwrap();
    let url = server.client_url();
    let toml = root.join("provisioner.toml").display().to_string();
    let bin = workspace_bin("provisioner").unwrap();
    let log = dir.path().join("provisioner.log");
    let args = ["serve", "--config", &toml, "-s", &url];
    let mut provisioner = ProductProcess::start(&bin, &args, log, &[]).unwrap();
    provisioner
        .wait_for_output("answering auth callout", Duration::from_secs(30))
        .unwrap();
    assert!(provisioner.output().contains("sealed=true"));

    let carol = ConnectOptions::with_user_and_password("carol".into(), "carol-password-1".into());
    let mut carol = connect_with_options(&url, carol).await.unwrap();
    let own = "tenant.acme.carol.inbox";
    let mut sub = carol.client.subscribe(own).await.unwrap();
    publish_until_received(&carol.client, &mut sub, own, b"hi")
        .await
        .unwrap();
    carol
        .client
        .publish("tenant.acme.dave.inbox", "x".into())
        .await
        .unwrap();
    carol.client.flush().await.unwrap();
    carol
        .expect_permission_violation("tenant.acme.dave.inbox")
        .await
        .unwrap();

    let wrong = ConnectOptions::with_user_and_password("carol".into(), "nope".into());
    assert!(connect_with_options(&url, wrong).await.is_err());
}

/// The command line's portal route: `init --callout --jetstream --portal` without an
/// issuer writes a `provisioner.toml` (with the history's retention) the provisioner
/// serves from, and a `portal.toml` that `portal serve --config` reads, refusing to start
/// until a tenant's `identity.oidc` is filled in, as `init` said.
#[tokio::test]
async fn an_init_portal_estate_runs_and_the_portal_waits_for_an_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("estate");
    let init = std::process::Command::new(workspace_bin("nsc-setup").unwrap())
        .args(["init", "--dir", root.to_str().unwrap(), "--tenant", "acme"])
        .args([
            "--callout",
            "--jetstream",
            "--portal",
            "--history-days",
            "3",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&init.stdout);
    assert!(
        init.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(
        stdout.contains("no OpenID Connect issuer given"),
        "{stdout}"
    );
    let toml = std::fs::read_to_string(root.join("provisioner.toml")).unwrap();
    assert!(toml.contains("history_max_age_secs = 259200\n"), "{toml}");

    let config = std::fs::read_to_string(root.join("server.conf")).unwrap();
    let server = NatsServer::start(&config).unwrap();
    let url = server.client_url();
    let toml = root.join("provisioner.toml").display().to_string();
    let log = dir.path().join("provisioner.log");
    let args = [
        "serve",
        "--config",
        &toml,
        "-s",
        &url,
        "--admin-addr",
        "127.0.0.1:0",
    ];
    let bin = workspace_bin("provisioner").unwrap();
    let mut provisioner = ProductProcess::start(&bin, &args, log, &[]).unwrap();
    provisioner
        .wait_for_output("answering auth callout", Duration::from_secs(30))
        .unwrap();

    let portal = std::process::Command::new(workspace_bin("portal").unwrap())
        .args([
            "serve",
            "--config",
            root.join("portal.toml").to_str().unwrap(),
        ])
        .args(["-s", &url, "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&portal.stderr);
    assert_eq!(portal.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("no tenant accepts ID tokens"), "{stderr}");
}
