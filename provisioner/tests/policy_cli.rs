//! `provisioner policy check` and `policy explain` as an operator runs them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test on unexpected errors"
)]

use assert_cmd::Command;
use predicates::prelude::*;

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../policy/examples/policy.toml"
);

fn provisioner() -> Command {
    Command::cargo_bin("provisioner").unwrap()
}

#[test]
fn the_example_policy_checks_clean() {
    provisioner()
        .args(["policy", "check", EXAMPLE])
        .assert()
        .success()
        .stdout(predicate::str::contains("valid, 3 tenant(s)"));
}

#[test]
fn a_bad_policy_lists_every_problem_and_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(EXAMPLE)
        .unwrap()
        .replacen(
            "\"tenant.acme.{name}.>\",",
            "\"$SYS.>\", \"tenant.acme.{nme}.>\",",
            1,
        )
        .replacen("max_secs = 86400", "max_secs = 60", 1);
    std::fs::write(&file, text).unwrap();
    let out = provisioner()
        .args(["policy", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("$SYS"), "{stderr}");
    assert!(stderr.contains("nme"), "{stderr}");
    assert!(stderr.contains("max_secs"), "{stderr}");
}

#[test]
fn explain_prints_the_allow_with_filled_subjects() {
    provisioner()
        .args([
            "policy", "explain", EXAMPLE, "--tenant", "acme", "--name", "alice",
        ])
        .args([
            "--caller-tag",
            "role:enroller",
            "--caller-tag",
            "site:berlin",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("ALLOW `alice`"))
        .stdout(predicate::str::contains(
            "tenant.acme.telemetry.berlin.alice",
        ));
}

#[test]
fn explain_exits_2_on_a_deny_and_names_the_rule() {
    provisioner()
        .args([
            "policy", "explain", EXAMPLE, "--tenant", "acme", "--name", "admin",
        ])
        .args([
            "--caller-tag",
            "role:enroller",
            "--caller-tag",
            "site:berlin",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("FAIL names.reserved"));
}

#[test]
fn explain_shows_what_an_invite_or_an_id_token_tag_grants() {
    let explain = |flag: &str, tag: &str| {
        provisioner()
            .args(["policy", "explain", EXAMPLE, "--tenant", "helmholtz"])
            .args(["--name", "dana", flag, tag])
            .assert()
            .success()
    };
    explain("--invite-tag", "svc:storage")
        .stdout(predicate::str::contains("identified by: invite"))
        .stdout(predicate::str::contains("the user carries `svc:storage`"))
        .stdout(predicate::str::contains("svc.storage.>"))
        .stdout(predicate::str::contains("svc.compute.>").not());
    explain("--id-token-tag", "svc:compute")
        .stdout(predicate::str::contains("the user carries `svc:compute`"))
        .stdout(predicate::str::contains("svc.compute.>"))
        .stdout(predicate::str::contains("svc.storage.>").not());
    // Asked for by the request itself, a grant tag is refused.
    provisioner()
        .args(["policy", "explain", EXAMPLE, "--tenant", "helmholtz"])
        .args([
            "--name",
            "dana",
            "--invite-tag",
            "team:x",
            "--tag",
            "svc:storage",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::starts_with(
            "DENY tag_not_allowed (403): tag `svc:storage` cannot be requested",
        ));
}
