//! The agent's tenant map as the binary builds it from flags and account JWT files, on an
//! `nsc-setup` estate: one tenant is one account (two accounts named for one tenant are
//! refused, whether by `--tenant` pairs or by a stray `tenant:<name>` account JWT), and
//! account JWTs are believed only when the operator or one of its signing keys signed
//! them (the operator comes from `--operator-jwt` or `--operator-key`). Every refusal is
//! exit 64 with one stderr line, before the agent connects; the server URL points at a
//! closed port, so an agent that accepted the configuration fails with another code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use claims::{AccountClaims, KeyPair};
use integration_tests::workspace_bin;
use nsc_setup::{InitOptions, ResolverKind, ServerSettings, Written};

/// An estate written by `nsc-setup init` (no server), with acme and globex.
fn estate(dir: &Path) -> Written {
    nsc_setup::init(&InitOptions {
        dir: dir.join("estate"),
        operator: "OP".to_owned(),
        tenants: vec!["acme".to_owned(), "globex".to_owned()],
        scoped_keys: false,
        server: ServerSettings {
            resolver: ResolverKind::Memory,
            host: String::from("127.0.0.1"),
            port: 4222,
            jetstream: true,
        },
        force: false,
        callout: false,
    })
    .unwrap()
}

fn operator_jwt(written: &Written) -> PathBuf {
    written.dir.join("nsc/stores/OP/OP.jwt")
}

/// A directory with the estate's acme and globex account JWTs, as an operator would
/// collect them for the agent.
fn jwt_dir(written: &Written, dir: &Path) -> PathBuf {
    let jwts = dir.join("jwts");
    std::fs::create_dir_all(&jwts).unwrap();
    for tenant in ["acme", "globex"] {
        let account = written.estate.account(tenant).unwrap();
        std::fs::write(jwts.join(format!("{tenant}.jwt")), &account.jwt).unwrap();
    }
    jwts
}

/// An account JWT for a fresh account tagged `tenant:<tenant>`, signed by `signer`.
fn tagged_account(signer: &KeyPair, tenant: &str) -> (String, String) {
    let account = KeyPair::new_account();
    let mut claims = AccountClaims::new_account(account.public_key());
    claims.name = tenant.to_owned();
    claims.nats.tags = vec![format!("tenant:{tenant}")];
    (
        claims.encode(signer, nsc_setup::unix_now()).unwrap(),
        account.public_key(),
    )
}

/// A URL nothing listens on.
fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("nats://127.0.0.1:{port}")
}

/// Runs the agent with `args` (after the site, service and own account) and `env`.
fn agent(args: &[String], env: &[(&str, &Path)]) -> Output {
    let own = KeyPair::new_account().public_key();
    let mut command = Command::new(workspace_bin("agent").unwrap());
    command
        .args([
            "-s",
            &closed_url(),
            "--site",
            "sto1",
            "--service",
            "storage",
        ])
        .args(["--account", &own])
        .args(args)
        .env("AGENT_LOG", "off");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// Asserts exit 64 with one stderr line containing every one of `needles`.
fn assert_refused(output: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(64), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
}

fn path_arg(flag: &str, path: &Path) -> [String; 2] {
    [flag.to_owned(), path.display().to_string()]
}

#[test]
fn two_accounts_for_one_tenant_are_refused() {
    let first = KeyPair::new_account().public_key();
    let second = KeyPair::new_account().public_key();
    let output = agent(
        &[
            "--tenant".to_owned(),
            format!("acme={first}"),
            "--tenant".to_owned(),
            format!("acme={second}"),
        ],
        &[],
    );
    assert_refused(&output, &["tenant `acme`", &first, &second]);
}

#[test]
fn a_stray_account_jwt_tagged_with_a_known_tenant_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let written = estate(dir.path());
    let jwts = jwt_dir(&written, dir.path());
    // A re-created tenant's old account, or a stray file: signed by the operator's own
    // signing key, so only the one-account-per-tenant rule can catch it.
    let signer = written.estate.operator.signing_keys.first().unwrap();
    let (stray, stray_key) = tagged_account(signer, "acme");
    std::fs::write(jwts.join("old-acme.jwt"), stray).unwrap();
    let acme = written
        .estate
        .account("acme")
        .unwrap()
        .public_key()
        .to_owned();
    let output = agent(
        &path_arg("--account-jwt", &jwts),
        &[("AGENT_OPERATOR_JWT", &operator_jwt(&written))],
    );
    assert_refused(
        &output,
        &["tenant `acme`", &acme, &stray_key, "old-acme.jwt"],
    );
    // The same account named by a pair and by its JWT is one tenant, not two.
    let output = agent(
        &[
            path_arg("--account-jwt", &jwts.join("acme.jwt")),
            ["--tenant".to_owned(), format!("acme={acme}")],
        ]
        .concat(),
        &[("AGENT_OPERATOR_JWT", &operator_jwt(&written))],
    );
    assert_ne!(
        output.status.code(),
        Some(64),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn account_jwts_must_be_signed_by_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let written = estate(dir.path());
    let jwts = jwt_dir(&written, dir.path());
    // A tenant nobody else claims, signed by an operator the server does not trust.
    let (stray, _) = tagged_account(&KeyPair::new_operator(), "initech");
    std::fs::write(jwts.join("initech.jwt"), stray).unwrap();
    let operator = operator_jwt(&written);
    let output = agent(
        &path_arg("--account-jwt", &jwts),
        &[("AGENT_OPERATOR_JWT", &operator)],
    );
    assert_refused(&output, &["initech.jwt", "not signed by the operator"]);

    // Without a way to know the operator, account JWTs are not read at all.
    std::fs::remove_file(jwts.join("initech.jwt")).unwrap();
    let output = agent(&path_arg("--account-jwt", &jwts), &[]);
    assert_refused(&output, &["--operator-jwt", "--operator-key"]);

    // An operator key is only the key given: the identity key alone does not vouch for
    // accounts its signing key signed.
    let identity = written.estate.operator.claims.sub.clone();
    let output = agent(
        &[
            path_arg("--account-jwt", &jwts).to_vec(),
            vec!["--operator-key".to_owned(), identity],
        ]
        .concat(),
        &[],
    );
    assert_refused(&output, &["acme.jwt", "not signed by the operator"]);

    // The estate's own files, with the operator given either way, are accepted.
    let signing_key = written.estate.operator.signing_keys.first().unwrap();
    for extra in [
        path_arg("--operator-jwt", &operator).to_vec(),
        vec!["--operator-key".to_owned(), signing_key.public_key()],
    ] {
        let output = agent(
            &[path_arg("--account-jwt", &jwts).to_vec(), extra].concat(),
            &[],
        );
        assert_ne!(
            output.status.code(),
            Some(64),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
