//! `nsc-setup init --portal` through the binary: refused without `--callout` (and with
//! scoped keys), the `--oidc-*` flags land in every tenant's `identity.oidc`, the policy
//! lets the portal's callers reach the credential service, `portal.toml` holds the keys
//! `portal serve --config` reads, `describe` shows the portal, `tenant add` gives a new
//! tenant the same wiring; `--history-days` sets the provisioner's history retention.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::fs;
use std::path::Path;

use predicates::prelude::PredicateBooleanExt as _;
use predicates::str::contains;

fn nsc_setup() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_nsc-setup"));
    cmd.env_clear();
    cmd
}

fn init(dir: &Path) -> assert_cmd::Command {
    let mut cmd = nsc_setup();
    cmd.args(["init", "--dir", dir.to_str().unwrap(), "--tenant", "acme"]);
    cmd
}

const OIDC: [&str; 10] = [
    "--oidc-issuer",
    "https://idp.example.com",
    "--oidc-audience",
    "portal",
    "--oidc-jwks-file",
    "jwks.json",
    "--oidc-tenant-claim",
    "tenant",
    "--oidc-tags-claim",
    "groups",
];

#[test]
fn a_portal_needs_the_callout_plain_keys_and_a_whole_issuer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    init(&dir)
        .arg("--portal")
        .assert()
        .code(64)
        .stderr(contains("--portal needs --callout"));
    init(&dir)
        .args(["--portal", "--callout", "--scoped-keys"])
        .assert()
        .code(64)
        .stderr(contains("--scoped-keys"));
    assert!(!dir.exists(), "a refused init writes nothing");
    // An issuer without --portal, or without its audience and keys, is a usage error.
    init(&dir)
        .args(["--callout", "--oidc-issuer", "https://idp.example.com"])
        .assert()
        .code(2);
    init(&dir)
        .args(["--callout", "--portal", "--oidc-issuer", "https://idp"])
        .args(["--oidc-audience", "portal"])
        .assert()
        .code(2)
        .stderr(contains("--oidc-jwks"));
    init(&dir)
        .args(["--callout", "--portal"])
        .args(OIDC)
        .args(["--oidc-jwks-url", "https://idp.example.com/keys"])
        .assert()
        .code(2);
    assert!(!dir.exists());
}

#[test]
fn init_portal_wires_the_policy_and_writes_portal_toml() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    init(&dir)
        .args(["--tenant", "globex", "--callout", "--jetstream", "--portal"])
        .args(OIDC)
        .args(["--history-days", "30"])
        .assert()
        .success()
        .stdout(contains("portal serve --config"))
        .stdout(contains("no OpenID Connect issuer").not());
    let text = fs::read_to_string(dir.join("policy.toml")).unwrap();
    let policy = policy::Policy::from_toml_str(&text).unwrap();
    assert_eq!(policy.tenants().len(), 2);
    let line = "identity.oidc = { issuer = \"https://idp.example.com\", audience = \"portal\", \
                jwks_file = \"jwks.json\", tenant_claim = \"tenant\", tags_claim = \"groups\", \
                admin_from_tags_claim = true, device_names = true }\n";
    assert_eq!(text.matches(line).count(), 2, "{text}");
    assert_eq!(
        text.matches("extra_prefixes = [\"svc\", \"svcq\", \"creds\"]\n")
            .count(),
        2
    );
    assert!(text.contains(
        "permissions.pub.allow = [\"tenant.acme.{name}.>\", \"svc.>\", \"svcq.>\", \
         \"creds.request\", \"creds.admin.>\"]\n"
    ));
    let portal: toml::Table = fs::read_to_string(dir.join("portal.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(portal["policy"].as_str(), Some("policy.toml"));
    assert_eq!(portal["nats_url"].as_str(), Some("nats://127.0.0.1:4222"));
    assert_eq!(portal["listen"].as_str(), Some("127.0.0.1:8080"));
    assert_eq!(portal["admin_addr"].as_str(), Some("127.0.0.1:9091"));
    let provisioner = fs::read_to_string(dir.join("provisioner.toml")).unwrap();
    assert!(
        provisioner.contains("history_max_age_secs = 2592000\n"),
        "{provisioner}"
    );

    let dir_arg = dir.to_str().unwrap();
    nsc_setup()
        .args(["describe", "--dir", dir_arg])
        .assert()
        .success()
        .stdout(contains("portal serve --config"))
        .stdout(contains("127.0.0.1:8080 (admin 127.0.0.1:9091)"))
        .stdout(contains("OIDC issuers    https://idp.example.com\n"));
    nsc_setup()
        .args(["tenant", "add", "initech", "--dir", dir_arg])
        .assert()
        .success();
    let text = fs::read_to_string(dir.join("policy.toml")).unwrap();
    policy::Policy::from_toml_str(&text).unwrap();
    assert_eq!(text.matches(line).count(), 3, "{text}");
    assert!(text.contains("\"tenant.initech.{name}.>\", \"svc.>\", \"svcq.>\", \"creds.request\""));
}

#[test]
fn without_an_issuer_the_oidc_lines_are_left_to_fill_in() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    init(&dir)
        .args([
            "--callout",
            "--portal",
            "--history-days",
            "0",
            "--jetstream",
        ])
        .assert()
        .success()
        .stdout(contains("no OpenID Connect issuer given"));
    let text = fs::read_to_string(dir.join("policy.toml")).unwrap();
    policy::Policy::from_toml_str(&text).unwrap();
    assert!(!text.lines().any(|l| l.starts_with("identity.oidc")));
    assert!(text.contains("# identity.oidc = { issuer = "), "{text}");
    let portal = fs::read_to_string(dir.join("portal.toml")).unwrap();
    assert!(
        portal.contains("# No OpenID Connect issuer was given"),
        "{portal}"
    );
    let provisioner = fs::read_to_string(dir.join("provisioner.toml")).unwrap();
    assert!(
        !provisioner.contains("history_max_age_secs"),
        "{provisioner}"
    );
    nsc_setup()
        .args(["describe", "--dir", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(contains("none yet: fill in identity.oidc"));
}

#[test]
fn without_the_portal_nothing_changes_and_history_needs_jetstream() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    init(&dir).arg("--callout").assert().success();
    assert!(!dir.join("portal.toml").exists());
    let text = fs::read_to_string(dir.join("policy.toml")).unwrap();
    assert!(!text.contains("\"creds.request\""), "{text}");
    assert!(!text.contains("identity.oidc"));
    let provisioner = fs::read_to_string(dir.join("provisioner.toml")).unwrap();
    assert!(
        !provisioner.contains("history_max_age_secs"),
        "{provisioner}"
    );
    nsc_setup()
        .args(["describe", "--dir", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(contains("Portal\n").not());
}
