//! `nsc-setup init --service` through the binary: bad service lists exit 64 and write
//! nothing; the isolated layout writes one creds file (0600) per agent and service admin,
//! no generic `agent`, `describe` and `init` list them, the variable `NSC_SETUP_SERVICES`
//! takes space-separated services, and `tenant add` and `init --force` keep the layout.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use nsc_setup::topology::SERVICES_ACCOUNT;
use nsc_setup::{load_dir, Estate};
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

fn services_users(estate: &Estate) -> Vec<String> {
    let account = estate.account(SERVICES_ACCOUNT).unwrap();
    account.users.iter().map(|u| u.name.clone()).collect()
}

fn imports(estate: &Estate, tenant: &str) -> Vec<String> {
    let services = estate.account(SERVICES_ACCOUNT).unwrap().public_key();
    let account = estate.account(tenant).unwrap();
    let imports = account.claims.nats.imports.iter();
    let mut subjects: Vec<String> = imports
        .filter(|i| i.account == services)
        .map(|i| i.subject.clone())
        .collect();
    // The JWT keeps them sorted, as Go's encoder does.
    subjects.sort();
    subjects
}

/// A tenant's import of the queued requests: its own account's token, as `svcq.>`.
fn queued(estate: &Estate, tenant: &str) -> String {
    let account = estate.account(tenant).unwrap();
    let import = account
        .claims
        .nats
        .imports
        .iter()
        .find(|i| i.name == "queued provisioning requests")
        .unwrap();
    assert_eq!(import.local_subject, "svcq.>");
    assert!(import.share);
    format!("svcq.{}.>", account.public_key())
}

/// SERVICES exports the queued requests, the importer's account in token 2.
fn assert_queued_export(estate: &Estate) {
    let services = estate.account(SERVICES_ACCOUNT).unwrap();
    let export = services
        .claims
        .nats
        .exports
        .iter()
        .find(|e| e.subject == "svcq.*.>")
        .unwrap();
    assert_eq!(export.account_token_position, 2);
    assert_eq!(export.response_type, "Singleton");
    assert!(!export.token_req);
}

#[test]
fn bad_service_lists_exit_64_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    for (bad, message) in [
        (vec!["storage"], "expected NAME:SITE"),
        (vec!["sto_rage:sto1"], "invalid service name `sto_rage`"),
        (vec!["storage:sto.1"], "invalid site name `sto.1`"),
        (vec!["storage:admin"], "admin"),
        (vec!["storage:sto1", "storage:osl1"], "given twice"),
        (vec!["a-b:c", "a:b-c"], "agent-a-b-c"),
    ] {
        let mut cmd = init(&dir);
        for service in &bad {
            cmd.args(["--service", service]);
        }
        cmd.assert().code(64).stderr(contains(message));
        assert!(!dir.exists(), "{bad:?} wrote something");
    }
}

#[test]
fn the_isolated_layout_writes_an_identity_per_service_and_site() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let dir_arg = dir.to_str().unwrap();
    init(&dir)
        .args([
            "--service",
            "storage:sto1,osl1",
            "--service",
            "compute:sto1",
        ])
        .arg("--jetstream")
        .assert()
        .success()
        .stdout(contains("agent-storage-osl1  agent of storage at osl1: "))
        .stdout(contains("admin-compute       admin of compute: "));
    let estate = load_dir(&dir).unwrap();
    let mut users = services_users(&estate);
    users.sort();
    assert_eq!(
        users,
        [
            "admin-compute",
            "admin-storage",
            "agent-compute-sto1",
            "agent-storage-osl1",
            "agent-storage-sto1",
        ]
    );
    for user in &users {
        let creds = dir.join(format!("nkeys/creds/OP/SERVICES/{user}.creds"));
        let mode = fs::metadata(&creds).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", creds.display());
    }
    assert!(!dir.join("nkeys/creds/OP/SERVICES/agent.creds").exists());
    let exported = [
        "svc.compute.*",
        "svc.compute.sto1.>",
        "svc.storage.*",
        "svc.storage.osl1.>",
        "svc.storage.sto1.>",
    ];
    let mut expected = exported.map(String::from).to_vec();
    expected.push(queued(&estate, "acme"));
    assert_eq!(imports(&estate, "acme"), expected);
    assert_queued_export(&estate);

    nsc_setup()
        .args(["describe", "--dir", dir_arg])
        .assert()
        .success()
        .stdout(contains("Service identities\n"))
        .stdout(contains(
            "agent-compute-sto1  agent of compute at sto1: ".to_owned()
                + dir
                    .join("nkeys/creds/OP/SERVICES/agent-compute-sto1.creds")
                    .to_str()
                    .unwrap(),
        ))
        .stdout(contains("svc.storage.admin.>"))
        .stdout(contains("svcq.*.>"))
        .stdout(contains("queued provisioning requests"));
    nsc_setup()
        .args(["tenant", "add", "initech", "--dir", dir_arg])
        .assert()
        .success();
    let estate = load_dir(&dir).unwrap();
    let mut expected = exported.map(String::from).to_vec();
    expected.push(queued(&estate, "initech"));
    assert_eq!(imports(&estate, "initech"), expected);
    assert_eq!(services_users(&estate).len(), 5);
}

#[test]
fn the_variable_takes_services_and_a_generic_estate_stays_generic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let dir_arg = dir.to_str().unwrap();
    init(&dir)
        .env("NSC_SETUP_SERVICES", "storage:sto1 compute:sto1,osl1")
        .assert()
        .success();
    let estate = load_dir(&dir).unwrap();
    assert_eq!(services_users(&estate).len(), 5);
    // Forced again without services: the generic layout, as before `--service`.
    init(&dir)
        .args(["--force", "--jetstream"])
        .assert()
        .success()
        .stdout(contains("agent of").not());
    let estate = load_dir(&dir).unwrap();
    assert_eq!(services_users(&estate), ["agent"]);
    let agent = &estate.account(SERVICES_ACCOUNT).unwrap().users[0];
    assert!(agent
        .claims
        .nats
        .permissions
        .publish
        .allow
        .contains(&String::from("$JS.ACK.>")));
    assert_eq!(
        imports(&estate, "acme"),
        [String::from("svc.>"), queued(&estate, "acme")]
    );
    assert_queued_export(&estate);
    nsc_setup()
        .args(["describe", "--dir", dir_arg])
        .assert()
        .success()
        .stdout(contains("Service identities").not());
}
