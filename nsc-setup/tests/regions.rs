//! `nsc-setup init --region` through the binary: bad region input exits 64 (or 2 for what
//! clap refuses) and writes nothing; a supercluster estate writes one config per member and
//! leaf node, each server's resolver directory, the leaf users' creds (0600), a
//! `provisioner.toml` pointed at the home region with the registry's placement, and
//! `describe` shows the topology; `tenant add` records the new account in every server's
//! resolver directory; without `--region` nothing of it is written.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use nsc_setup::load_dir;
use predicates::str::contains;

fn init(dir: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_nsc-setup"));
    cmd.env_clear();
    cmd.args(["init", "--dir", dir.to_str().unwrap(), "--tenant", "acme"]);
    cmd.args(extra);
    cmd
}

#[test]
fn bad_regions_exit_64_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let cases: [&[&str]; 5] = [
        &["--region", "us"],
        &["--region", "us:0"],
        &["--region", "us:1", "--leaf", "edge:globex"],
        &["--region", "us:1", "--home-region", "eu"],
        &["--region", "us:1", "--resolver", "memory"],
    ];
    for args in cases {
        init(&dir, args).assert().code(64);
        assert!(!dir.exists(), "{args:?}");
    }
    init(&dir, &["--leaf", "edge:acme"]).assert().code(2);
    assert!(!dir.exists());
}

#[test]
fn a_supercluster_estate_has_a_config_per_member_and_leaf_creds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let args = [
        "--jetstream",
        "--region",
        "us:3",
        "--region",
        "eu:1",
        "--leaf",
        "edge:acme",
        "--port",
        "14222",
        "--member-ports",
        "eu-1=15000,15001,15002,15003,15004",
    ];
    init(&dir, &args)
        .assert()
        .success()
        .stdout(contains("eu-1"))
        .stdout(contains("remote bound to acme"));
    let servers = dir.join("servers");
    for name in ["us-1", "us-2", "us-3", "eu-1", "leaf-edge"] {
        let conf = fs::read_to_string(servers.join(format!("{name}.conf"))).unwrap();
        assert!(conf.contains(&format!("server_name: \"{name}\"")), "{name}");
        assert_eq!(
            fs::read_dir(servers.join(name).join("jwt"))
                .unwrap()
                .count(),
            4
        );
    }
    let eu = fs::read_to_string(servers.join("eu-1.conf")).unwrap();
    assert!(eu.contains("listen: 127.0.0.1:15000\n"));
    assert!(eu.contains("{ name: \"eu\", urls: [\"nats://127.0.0.1:15002\"] }"));
    let us1 = fs::read_to_string(servers.join("us-1.conf")).unwrap();
    assert!(us1.contains("{ name: \"eu\", urls: [\"nats://127.0.0.1:15002\"] }"));
    assert!(us1.contains("listen: 127.0.0.1:14222\n"));

    let provisioner = fs::read_to_string(dir.join("provisioner.toml")).unwrap();
    assert!(provisioner.contains(
        "nats_url = \"nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224\"\n"
    ));
    assert!(provisioner.contains("registry_placement = \"region:us\"\nregistry_replicas = 3\n"));
    // The single-server layout is still there, as without --region.
    assert!(fs::read_to_string(dir.join("server.conf"))
        .unwrap()
        .contains("listen: 127.0.0.1:14222"));

    let estate = load_dir(&dir).unwrap();
    for account in ["acme", "SYS"] {
        let user = estate.account(account).unwrap().user("leaf-edge").unwrap();
        assert_eq!(
            user.claims.nats.permissions.allowed_connection_types,
            ["LEAFNODE"]
        );
        let creds = dir.join(format!("nkeys/creds/OP/{account}/leaf-edge.creds"));
        let mode = fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let mut add = assert_cmd::Command::new(env!("CARGO_BIN_EXE_nsc-setup"));
    add.env_clear()
        .args(["tenant", "add", "globex", "--dir", dir.to_str().unwrap()])
        .assert()
        .success();
    let globex = load_dir(&dir).unwrap();
    let globex = globex.account("globex").unwrap().public_key().to_owned();
    for name in ["us-1", "eu-1", "leaf-edge"] {
        let jwt = servers.join(name).join("jwt").join(format!("{globex}.jwt"));
        assert!(jwt.is_file(), "{name}");
    }

    let mut describe = assert_cmd::Command::new(env!("CARGO_BIN_EXE_nsc-setup"));
    describe
        .env_clear()
        .args(["describe", "--dir", dir.to_str().unwrap()]);
    describe
        .assert()
        .success()
        .stdout(contains("Topology (servers/<name>.conf)"))
        .stdout(contains("us-3"))
        .stdout(contains("15004"));
}

#[test]
fn without_regions_nothing_of_it_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    init(&dir, &["--jetstream"]).assert().success();
    assert!(!dir.join("servers").exists());
    let provisioner = fs::read_to_string(dir.join("provisioner.toml")).unwrap();
    assert!(!provisioner.contains("registry_placement"));
    let estate = load_dir(&dir).unwrap();
    assert!(estate.account("acme").unwrap().user("leaf-edge").is_none());
}
