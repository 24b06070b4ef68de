//! The client commands as a newcomer runs them against an `nsc-setup` estate: the
//! estate folder gives the request subject, options go before or after the subcommand,
//! a call the creds may not make fails with the server's words instead of a timeout, and
//! an error names each cause once.

use std::path::Path;
use std::process::{Command, Output};

use integration_tests::{workspace_bin, ProductEstate};
use nsc_setup::ResolverKind;

fn provisioner(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(workspace_bin("provisioner").unwrap())
        .args(args)
        .args(paths)
        .env_remove("PROVISIONER_NATS_URL")
        .env_remove("PROVISIONER_SUBJECT")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn the_estate_gives_the_subject_and_refusals_name_the_subject() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Full, true).unwrap();
    let _provisioner = estate.start_provisioner("p", &[]).unwrap();
    let url = estate.url();
    let dir = estate.written.dir.as_path();
    let bootstrap = estate.creds_path("acme", "bootstrap");
    let out = estate.dir.path().join("alice.creds");

    // No --subject: the estate's `creds.request`, not the seed's `chat.req.access`.
    let run = provisioner(
        &["request", "-s", &url, "--name", "alice", "--estate"],
        &[
            dir,
            Path::new("--creds"),
            &bootstrap,
            Path::new("--out"),
            &out,
        ],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(out.is_file());

    // A subject the bootstrap user may not publish to: the server's refusal, at once,
    // although the reply timeout is a minute.
    let run = provisioner(
        &["request", "-s", &url, "--name", "bob", "--timeout", "60s"],
        &[
            Path::new("--subject"),
            Path::new("chat.req.access"),
            Path::new("--creds"),
            &bootstrap,
        ],
    );
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("Permissions Violation for Publish to \"chat.req.access\""),
        "{stderr}"
    );
    assert!(!stderr.contains("no reply"), "{stderr}");

    // Options after the subcommand; the bootstrap user may not call the admin endpoints.
    let admin = estate.creds_path("acme", "admin");
    let run = provisioner(
        &["tenant", "users", "list", "-s", &url, "--json", "--creds"],
        &[&admin],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(listed["users"][0]["name"], "alice", "{listed}");
    let run = provisioner(
        &["tenant", "users", "list", "-s", &url, "--creds"],
        &[&bootstrap],
    );
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("Permissions Violation for Publish to \"creds.admin.users.list\""),
        "{stderr}"
    );
}

#[test]
fn a_refused_connection_names_its_cause_once() {
    // Port 1 on loopback: nothing listens there.
    let run = provisioner(&["request", "-s", "nats://127.0.0.1:1", "--name", "x"], &[]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("connecting to `nats://127.0.0.1:1`"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("Connection refused").count(), 1, "{stderr}");

    let run = provisioner(&["request", "--name", "x", "--estate", "/nonexistent"], &[]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("is `/nonexistent` an estate made by `nsc-setup init`?"),
        "{}",
        text(&run.stderr)
    );
}
