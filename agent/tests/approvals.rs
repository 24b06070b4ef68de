//! Approval end to end: a type with `requires_approval` waits as `pending_approval` until
//! a service admin (a user of the services account that may publish to the service's
//! admin subtree) approves it, when its handler runs and it is `created`, or denies it,
//! when it ends `denied` with the reason the tenant reads; a tenant's approval request
//! through its import is refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::{World, SERVICE};

fn config(dir: &Path, root: &Path) -> PathBuf {
    let mkdir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/handlers/mkdir.sh");
    let file = dir.join("agent.toml");
    std::fs::write(
        &file,
        format!(
            "[handlers.gated]\nargv = [{:?}, \"--root\", {:?}]\nrequires_approval = true\n",
            mkdir.display().to_string(),
            root.display().to_string()
        ),
    )
    .unwrap();
    file
}

/// `agent approvals <args> --json` as the service admin; exit code and JSON.
fn approvals(world: &World, admin: &Path, args: &[&str]) -> (i32, Value) {
    let output = Command::new(integration_tests::workspace_bin("agent").unwrap())
        .arg("approvals")
        .args(args)
        .args(["--service", SERVICE, "--site", "sto1", "--json", "-s"])
        .arg(world.url())
        .arg("--creds")
        .arg(admin)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "approvals {args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), value)
}

/// Polls `svc status` until `id` is `status`.
async fn until(world: &World, creds: &Path, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, state) = world.svc(creds, &["status", "--site", "sto1", id]);
        if state["status"] == status {
            return state;
        }
        assert!(Instant::now() < deadline, "{id} never {status}: {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gated_type_waits_for_a_service_admin_to_approve_or_deny_it() {
    let world = World::start(&["acme", "globex"]);
    let dir = world.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let mut flags = world.tenant_flags(&["acme", "globex"]);
    flags.extend([
        "--config".to_owned(),
        config(&dir, &root).display().to_string(),
    ]);
    let _agent = world.agent("sto1", &flags);
    let admin_creds = world
        .estate
        .extra_user("SERVICES", "admin-storage", |u| {
            u.nats.permissions.publish.allow = vec![format!("svc.{SERVICE}.admin.>")];
            u.nats.permissions.subscribe.allow = vec!["_INBOX.admin-storage.>".into()];
        })
        .unwrap();
    let admin = dir.join("admin-storage.creds");
    std::fs::write(&admin, admin_creds).unwrap();
    let alice = world.mint("acme", "alice");
    let queue = |target: &str| {
        let (code, accepted) = world.svc(
            &alice,
            &[
                "queue",
                "allocate",
                "--site",
                "sto1",
                "--type",
                "gated",
                "--target-entity",
                target,
            ],
        );
        assert_eq!(code, 0, "{accepted}");
        accepted["id"].as_str().unwrap().to_owned()
    };

    // Approved: it waits, nothing runs, then the admin's approval makes it.
    let first = queue("vo-one");
    until(&world, &alice, &first, "pending_approval").await;
    assert!(!root.exists(), "nothing runs before the approval");
    let (code, listed) = approvals(&world, &admin, &["list"]);
    assert_eq!(code, 0, "{listed}");
    let waiting: Vec<&str> = listed["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, [first.as_str()]);
    assert_eq!(listed["resources"][0]["target_entity"], "vo-one");
    let (code, approved) = approvals(&world, &admin, &["approve", &first]);
    assert_eq!(code, 0, "{approved}");
    assert_eq!(approved["resources"][0]["status"], "created", "{approved}");
    assert!(root.join("acme").join(&first).is_dir());
    let state = until(&world, &alice, &first, "created").await;
    let moves: Vec<&str> = state["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"].as_str().unwrap())
        .collect();
    assert_eq!(moves, ["pending_approval", "pending", "created"], "{state}");

    // Denied: the reason is what the tenant reads; approving it afterwards is refused.
    let second = queue("vo-two");
    until(&world, &alice, &second, "pending_approval").await;
    let (code, refused) = approvals(&world, &admin, &["deny", &second]);
    assert_eq!(
        (code, refused["type"].as_str()),
        (2, Some("bad_request")),
        "a denial needs a reason: {refused}"
    );
    let (code, denied) = approvals(
        &world,
        &admin,
        &["deny", &second, "--reason", "no budget left"],
    );
    assert_eq!(code, 0, "{denied}");
    let state = until(&world, &alice, &second, "denied").await;
    assert_eq!(state["error"], "no budget left");
    let (code, again) = approvals(&world, &admin, &["approve", &second]);
    assert_eq!(
        (code, again["type"].as_str()),
        (2, Some("bad_request")),
        "{again}"
    );
    assert!(!root.join("acme").join(&second).exists());

    // A tenant's approval request crosses its import: refused.
    let client = world.connect(&alice).await;
    let (kind, body) = support::raw(
        &client,
        &format!("svc.{SERVICE}.admin.sto1.approvals"),
        async_nats::HeaderMap::new(),
        serde_json::json!({"action": "approve", "id": first}),
    )
    .await;
    assert_eq!(kind, "ErrorV1", "{body}");
    assert_eq!(body["type"], "untrusted_caller", "{body}");
}
