//! `provisioner inspect` as a user runs it: valid tokens, creds files, tampered and
//! expired tokens, tokens of a type Go's library does not know. Every golden vector goes
//! through it in `inspect_vectors.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers fail the test on unexpected errors"
)]
use assert_cmd::Command;
use claims::{format_creds, KeyPair, UserClaims};
use predicates::prelude::*;

const IAT: i64 = 1_800_000_000;

fn user_token(exp: i64) -> (String, KeyPair) {
    let account = KeyPair::new_account();
    let user = KeyPair::new_user();
    let mut c = UserClaims::new_user(user.public_key());
    c.name = "alice".into();
    c.exp = exp;
    c.nats.permissions.publish.allow = vec!["chat.>".into()];
    (c.encode(&account, IAT).unwrap(), user)
}

fn inspect() -> Command {
    Command::cargo_bin("provisioner").unwrap()
}

#[test]
fn a_valid_token_prints_a_table_and_exits_zero() {
    let (token, user) = user_token(0);
    inspect()
        .args(["inspect", &token])
        .assert()
        .success()
        .stdout(predicate::str::contains("User JWT (valid)"))
        .stdout(predicate::str::contains("alice"))
        .stdout(predicate::str::contains(user.public_key()))
        .stdout(predicate::str::contains("chat.>"));
}

#[test]
fn json_output_uses_go_field_names() {
    let (token, _) = user_token(0);
    let out = inspect()
        .args(["inspect", "--json", &token])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nats"]["pub"]["allow"][0], "chat.>");
    assert_eq!(v["nats"]["type"], "user");
    assert_eq!(v["iat"], IAT);
}

#[test]
fn a_creds_file_is_inspected_without_printing_the_seed() {
    let (token, user) = user_token(0);
    let seed = user.seed().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.creds");
    std::fs::write(&path, format_creds(&token, &seed)).unwrap();
    let out = inspect().arg("inspect").arg(&path).output().unwrap();
    assert!(out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("alice"));
    assert!(!all.contains(&seed), "seed printed");
}

#[test]
fn a_token_with_another_keys_signature_exits_one_with_the_reason() {
    let (token, _) = user_token(0);
    let (other, _) = user_token(0);
    let forged = format!(
        "{}.{}",
        token.rsplit_once('.').unwrap().0,
        other.rsplit_once('.').unwrap().1
    );
    inspect()
        .args(["inspect", &forged])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("signature verification"));
}

#[test]
fn an_expired_token_exits_one() {
    let (token, _) = user_token(IAT + 60);
    inspect()
        .args(["inspect", "--now", &(IAT + 61).to_string(), &token])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("INVALID"))
        .stderr(predicate::str::contains("expired"));
    inspect()
        .args(["inspect", "--now", &(IAT + 59).to_string(), &token])
        .assert()
        .success();
}

#[test]
fn garbage_input_is_a_clear_error() {
    inspect()
        .args(["inspect", "no-such-file"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "neither a readable file nor a JWT",
        ));
}

#[test]
fn a_token_that_fails_go_validation_exits_one() {
    let account = KeyPair::new_account();
    let user = KeyPair::new_user();
    let mut c = UserClaims::new_user(user.public_key());
    c.nats.permissions.publish.allow = vec!["foo..bar".into()];
    let token = c.encode(&account, IAT).unwrap();
    inspect()
        .args(["inspect", &token])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("INVALID"))
        .stderr(predicate::str::contains("foo..bar"));
}

#[test]
fn a_token_of_a_type_go_does_not_know_is_shown_as_generic_claims() {
    let account = KeyPair::new_account();
    let mut generic = claims::GenericClaims {
        sub: "anything".into(),
        nats: serde_json::json!({"type": "something_else", "a": 1, "": "<&>"})
            .as_object()
            .cloned(),
        ..Default::default()
    };
    let token = generic.encode(&account, IAT).unwrap();
    inspect()
        .args(["inspect", &token])
        .assert()
        .success()
        .stdout(predicate::str::contains("Generic JWT (valid)"))
        .stdout(predicate::str::contains("something_else"));
    let out = inspect()
        .args(["inspect", "--json", &token])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nats"]["type"], "something_else");
    assert_eq!(v["nats"][""], "<&>");
    assert_eq!(v["nats"]["version"], 2);
    assert_eq!(v["iss"], account.public_key());
}
