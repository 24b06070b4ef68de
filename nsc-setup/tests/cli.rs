//! The `nsc-setup` CLI's exit codes and output: `init` refuses to overwrite unless
//! forced, `describe` shows the estate, `tenant add` checks its name.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::fs;

use nsc_setup::load_dir;

fn nsc_setup() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_nsc-setup"));
    cmd.env_clear();
    cmd
}

#[test]
fn init_refuses_to_overwrite_and_describe_shows_the_estate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let dir_arg = dir.to_str().unwrap();
    let init = [
        "init",
        "--dir",
        dir_arg,
        "--operator",
        "OP",
        "--tenant",
        "acme",
    ];
    nsc_setup()
        .args(init)
        .args(["--tenant", "globex", "--scoped-keys", "--jetstream"])
        .assert()
        .success()
        .stdout(predicates::str::contains("wrote 48 files"));
    nsc_setup()
        .args(init)
        .assert()
        .code(64)
        .stderr(predicates::str::contains("already exists"));
    nsc_setup()
        .args(init)
        .arg("--force")
        .env("NSC_SETUP_RESOLVER", "memory")
        .assert()
        .success();
    assert!(fs::read_to_string(dir.join("server.conf"))
        .unwrap()
        .contains("resolver: MEMORY"));
    nsc_setup()
        .args(["describe", "--dir", dir_arg])
        .assert()
        .success()
        .stdout(predicates::str::contains("Operator OP"))
        .stdout(predicates::str::contains("creds.request"))
        .stdout(predicates::str::contains("bootstrap"));
    nsc_setup()
        .args(["tenant", "add", "not.valid", "--dir", dir_arg])
        .assert()
        .code(64)
        .stderr(predicates::str::contains("invalid tenant name"));
    nsc_setup()
        .args(["tenant", "add", "initech", "--dir", dir_arg])
        .assert()
        .success();
    let estate = load_dir(&dir).unwrap();
    assert!(estate
        .account("initech")
        .unwrap()
        .user("bootstrap")
        .is_some());
    let text = fs::read_to_string(dir.join("policy.toml")).unwrap();
    assert!(policy::Policy::from_toml_str(&text)
        .unwrap()
        .tenant("initech")
        .is_some());
    assert!(fs::read_to_string(dir.join("server.conf"))
        .unwrap()
        .contains(estate.account("initech").unwrap().public_key()));
}
