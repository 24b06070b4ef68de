//! The seed tutorial end to end: a KUBECON account with a signing key, the users
//! `chat-access` and `chat-creds-request`, `provisioner serve` with the seed's flags only,
//! and a plain-text request for `alice` that returns a creds file which connects with
//! exactly the seed's permissions.

use std::time::Duration;

use claims::{KeyPair, UserClaims};
use integration_tests::{
    connect_with_creds, mint_user, publish_until_received, workspace_bin, NatsServer,
    ProductProcess, TestOperator, STEP,
};

/// Permissions of the tutorial's `nsc add user … --allow-pubsub '_INBOX.>' '_R_' '_R_.>'`.
fn inbox_rights() -> Vec<String> {
    vec!["_INBOX.>".into(), "_R_".into(), "_R_.>".into()]
}

struct Seed {
    _op: TestOperator,
    server: NatsServer,
    dir: tempfile::TempDir,
    requester_creds: String,
}

fn seed_estate() -> Seed {
    let op = TestOperator::new("KO").unwrap();
    let sk = KeyPair::new_account();
    let kubecon = op
        .account("KUBECON", |a| a.nats.signing_keys.add(sk.public_key()))
        .unwrap();
    let server = NatsServer::start(&op.memory_resolver_config(&[&kubecon])).unwrap();
    let access = mint_user(&sk, &kubecon.public_key(), "chat-access", |u| {
        u.nats.permissions.subscribe.allow =
            [vec!["chat.req.access".into()], inbox_rights()].concat();
        u.nats.permissions.publish.allow = inbox_rights();
    })
    .unwrap();
    let requester = mint_user(&sk, &kubecon.public_key(), "chat-creds-request", |u| {
        u.nats.permissions.publish.allow =
            [vec!["chat.req.access".into()], inbox_rights()].concat();
        u.nats.permissions.subscribe.allow = inbox_rights();
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("KUBECON.jwt"), &kubecon.jwt).unwrap();
    write_secret(&dir.path().join("sk.nk"), &sk.seed().unwrap());
    write_secret(&dir.path().join("chat-access.creds"), &access.creds);
    Seed {
        _op: op,
        server,
        dir,
        requester_creds: requester.creds,
    }
}

fn write_secret(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn start_seed_provisioner(seed: &Seed) -> ProductProcess {
    let bin = workspace_bin("provisioner").unwrap();
    let p = |f: &str| seed.dir.path().join(f).display().to_string();
    let url = seed.server.client_url();
    let args = [
        "serve",
        "-s",
        &url,
        "--acc",
        &p("KUBECON.jwt"),
        "--sk",
        &p("sk.nk"),
        "--creds",
        &p("chat-access.creds"),
    ];
    let mut proc =
        ProductProcess::start(&bin, &args, seed.dir.path().join("provisioner.log"), &[]).unwrap();
    proc.wait_for_output("serving", STEP).unwrap();
    proc
}

#[tokio::test]
async fn the_seed_tutorial_request_returns_creds_with_exactly_the_seed_permissions() {
    let seed = seed_estate();
    let mut provisioner = start_seed_provisioner(&seed);
    let url = seed.server.client_url();

    let requester = connect_with_creds(&url, &seed.requester_creds)
        .await
        .unwrap();
    let reply = tokio::time::timeout(
        STEP,
        requester.client.request("chat.req.access", "alice".into()),
    )
    .await
    .unwrap()
    .unwrap();
    let text = String::from_utf8(reply.payload.to_vec()).unwrap();
    let creds = claims::parse_creds(&text).unwrap();
    let user = UserClaims::decode(&creds.jwt).unwrap();
    let key = user.sub.clone();
    assert_eq!(user.name, "alice");
    let perms = &user.nats.permissions;
    assert_eq!(
        perms.publish.allow,
        vec![
            "chat.KUBECON.online",
            "chat.KUBECON.posts.*",
            "chat.KUBECON.dms.*"
        ]
    );
    assert_eq!(
        perms.subscribe.allow,
        vec![
            "chat.KUBECON.online".to_string(),
            "chat.KUBECON.posts.*".to_string(),
            format!("chat.KUBECON.dms.{key}"),
            "_INBOX.>".to_string()
        ]
    );
    assert!(perms.publish.deny.is_empty() && perms.subscribe.deny.is_empty());
    assert_eq!(perms.payload, 1024);
    assert_eq!(creds.seed.key_pair().unwrap().public_key(), key);

    // The creds connect and carry exactly those rights.
    let mut alice = connect_with_creds(&url, &text).await.unwrap();
    let bob_reply = requester
        .client
        .request("chat.req.access", "bob".into())
        .await
        .unwrap();
    let bob = connect_with_creds(&url, std::str::from_utf8(&bob_reply.payload).unwrap())
        .await
        .unwrap();
    let mut posts = bob.client.subscribe("chat.KUBECON.posts.*").await.unwrap();
    let msg = publish_until_received(
        &alice.client,
        &mut posts,
        "chat.KUBECON.posts.general",
        b"hi",
    )
    .await
    .unwrap();
    assert_eq!(&msg.payload[..], b"hi");
    alice
        .client
        .publish("chat.OTHER.posts.general", "x".into())
        .await
        .unwrap();
    alice.client.flush().await.unwrap();
    alice
        .expect_permission_violation("chat.OTHER.posts.general")
        .await
        .unwrap();
    alice
        .client
        .publish("chat.KUBECON.online", vec![0u8; 2048].into())
        .await
        .ok();
    // A payload over 1024 bytes ends the connection with a max payload violation.
    alice.expect_disconnect(STEP).await.unwrap();

    provisioner.signal("TERM").unwrap();
    let status = provisioner.wait_exit(Duration::from_secs(10)).unwrap();
    assert!(status.success(), "{}", provisioner.output());
    assert!(provisioner.output().contains("minted"));
    assert!(
        !provisioner.output().contains(creds.seed.expose()),
        "seed in the log"
    );
}

#[tokio::test]
async fn start_up_refuses_wrong_keys_with_exit_64() {
    let seed = seed_estate();
    let bin = workspace_bin("provisioner").unwrap();
    let p = |f: &str| seed.dir.path().join(f).display().to_string();
    let url = seed.server.client_url();
    // A user seed where an account signing key belongs.
    write_secret(
        &seed.dir.path().join("user.nk"),
        &KeyPair::new_user().seed().unwrap(),
    );
    // An account seed the account JWT does not list.
    write_secret(
        &seed.dir.path().join("other.nk"),
        &KeyPair::new_account().seed().unwrap(),
    );
    for (key, expected) in [
        ("user.nk", "user seed"),
        ("other.nk", "signing_keys"),
        ("missing.nk", "missing.nk"),
    ] {
        let args = [
            "serve",
            "-s",
            &url,
            "--acc",
            &p("KUBECON.jwt"),
            "--sk",
            &p(key),
            "--creds",
            &p("chat-access.creds"),
        ];
        let mut proc =
            ProductProcess::start(&bin, &args, seed.dir.path().join(format!("{key}.log")), &[])
                .unwrap();
        let status = proc.wait_exit(STEP).unwrap();
        assert_eq!(status.code(), Some(64), "{}", proc.output());
        let out = proc.output();
        assert!(out.contains(expected), "{out}");
        assert_eq!(out.trim().lines().count(), 1, "one line expected: {out}");
    }
}
