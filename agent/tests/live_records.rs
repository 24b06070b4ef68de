//! Live requests keep lifecycle records too, and quota slots stay exact when an agent
//! dies mid-allocation:
//!
//! - a live allocation has its record from the start (`pending` while its handler runs),
//!   then `created`; live updates and deallocations move it through `updating` and
//!   `deleting`; a live allocation whose handler fails ends `error` with the handler's
//!   words, and can be retried;
//! - an agent killed (SIGKILL) while a live allocation's handler runs, at a quota of one:
//!   the slot the dead allocation took is given back once its request's time budget has
//!   passed (its record then reads `error`), so the next allocation is made, and exactly
//!   one: a further one is refused `quota_exceeded`;
//! - an agent killed while a queued allocation's handler runs: the allocation delivered
//!   again takes the same slot, so at a quota of one it is made (not refused).
//!
//! Needs nats-server 2.10+ and python3 (the example handlers read their JSON with it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::World;

/// The handler's timeout: with the agent's ten seconds, a live request's budget.
const HANDLER_TIMEOUT_SECS: u64 = 4;

/// `[handlers.folder]`: `mkdir.sh` under `root` through a wrapper that counts its runs in
/// `runs`, takes three seconds while the file `slow` exists and fails while `failing`
/// does.
fn config(dir: &Path, root: &Path) -> PathBuf {
    let mkdir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/handlers/mkdir.sh");
    let wrapper = dir.join("wrapper.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho run >> {runs}\nif [ -e {slow} ]; then sleep 3; fi\n\
             if [ -e {failing} ]; then echo 'wrapper: out of inodes' >&2; exit 3; fi\n\
             exec {mkdir} --root {root}\n",
            runs = dir.join("runs").display(),
            slow = dir.join("slow").display(),
            failing = dir.join("failing").display(),
            mkdir = mkdir.display(),
            root = root.display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.join("agent.toml");
    std::fs::write(
        &file,
        format!(
            "[handlers.folder]\nargv = [{:?}]\ntimeout_secs = {HANDLER_TIMEOUT_SECS}\n",
            wrapper.display().to_string()
        ),
    )
    .unwrap();
    file
}

fn marker(dir: &Path, name: &str, on: bool) {
    if on {
        std::fs::write(dir.join(name), "").unwrap();
    } else {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
}

fn runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("runs"))
        .unwrap_or_default()
        .lines()
        .count()
}

async fn until_runs(dir: &Path, n: usize) {
    let deadline = Instant::now() + support::START;
    while runs(dir) < n {
        assert!(Instant::now() < deadline, "the handler never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn flags(world: &World, config: &Path, quota: &str) -> Vec<String> {
    let mut flags = world.tenant_flags(&["acme"]);
    flags.extend(["--config".to_owned(), config.display().to_string()]);
    flags.extend(["--quota".to_owned(), quota.to_owned()]);
    flags
}

const ALLOCATE: [&str; 7] = [
    "allocate",
    "--site",
    "sto1",
    "--type",
    "folder",
    "--target-entity",
    "vo-x",
];

/// The tenant's records at the site (`svc list`).
fn records(world: &World, creds: &Path) -> Vec<Value> {
    let (code, listed) = world.svc(creds, &["list", "--site", "sto1", "--expect", "1"]);
    assert_eq!(code, 0, "{listed}");
    listed["answers"]["sto1"]["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn made(world: &World, creds: &Path) -> usize {
    let (_, listed) = world.svc(creds, &["list", "--site", "sto1", "--expect", "1"]);
    listed["answers"]["sto1"]["resources"]
        .as_array()
        .unwrap()
        .len()
}

fn moves(state: &Value) -> Vec<&str> {
    state["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_allocation_is_recorded_from_its_start_to_its_end() {
    let world = World::start(&["acme"]);
    let dir = world.estate.dir.path().to_owned();
    let config = config(&dir, &dir.join("folders"));
    let _agent = world.agent("sto1", &flags(&world, &config, "10"));
    let alice = world.mint("acme", "alice");

    marker(&dir, "slow", true);
    let asking = {
        let (world_url, creds) = (world.url(), alice.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(integration_tests::workspace_bin("provisioner").unwrap())
                .arg("svc")
                .args(ALLOCATE)
                .args(["--service", support::SERVICE, "--json", "--timeout", "20s"])
                .args(["-s", &world_url, "--creds"])
                .arg(creds)
                .output()
                .unwrap()
        })
    };
    until_runs(&dir, 1).await;
    // The handler runs: the record is there already, pending.
    let pending = records(&world, &alice);
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["status"], "pending", "{pending:?}");
    let output = asking.await.unwrap();
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(pending[0]["id"].as_str(), Some(id.as_str()));
    marker(&dir, "slow", false);
    let (code, state) = world.svc(&alice, &["status", "--site", "sto1", &id]);
    assert_eq!(code, 0, "{state}");
    assert_eq!(moves(&state), ["created"], "{state}");
    assert_eq!(state["details"], created["details"]);

    let (code, _) = world.svc(
        &alice,
        &["update", "--site", "sto1", &id, "--spec", r#"{"gb":3}"#],
    );
    assert_eq!(code, 0);
    let (code, _) = world.svc(&alice, &["deallocate", "--site", "sto1", "--id", &id]);
    assert_eq!(code, 0);
    let (_, state) = world.svc(&alice, &["status", "--site", "sto1", &id]);
    assert_eq!(
        moves(&state),
        ["created", "updating", "created", "deleting", "deleted"],
        "{state}"
    );

    // A failing handler: the live caller is refused, and the record says why; retried
    // once the cause is gone, it is made under the same id.
    marker(&dir, "failing", true);
    let (code, refused) = world.svc(&alice, &ALLOCATE);
    assert_eq!(
        (code, refused["type"].as_str()),
        (2, Some("handler_failed"))
    );
    let failed = records(&world, &alice)
        .into_iter()
        .find(|r| r["status"] == "error")
        .unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("out of inodes"),
        "{failed}"
    );
    marker(&dir, "failing", false);
    let failed_id = failed["id"].as_str().unwrap();
    let (code, accepted) = world.svc(&alice, &["queue", "--site", "sto1", "retry", failed_id]);
    assert_eq!(code, 0, "{accepted}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, state) = world.svc(&alice, &["status", "--site", "sto1", failed_id]);
        if state["status"] == "created" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the retry never made it: {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(made(&world, &alice), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slot_of_a_live_allocation_whose_agent_was_killed_is_given_back() {
    let world = World::start(&["acme"]);
    let dir = world.estate.dir.path().to_owned();
    let config = config(&dir, &dir.join("folders"));
    let flags = flags(&world, &config, "1");
    let mut first = world.agent("sto1", &flags);
    let alice = world.mint("acme", "alice");

    marker(&dir, "slow", true);
    let client = world.connect(&alice).await;
    let request = agent::ResourceAllocateV1 {
        resource_type: "folder".into(),
        target_entity: "vo-x".into(),
        specification: serde_json::json!({}),
    };
    let dying = {
        let client = client.client.clone();
        tokio::spawn(async move {
            agent::client::allocate(
                &client,
                support::SERVICE,
                Some("sto1"),
                &request,
                Duration::from_secs(30),
            )
            .await
        })
    };
    // The slot is taken and the handler runs: kill the agent now.
    until_runs(&dir, 1).await;
    first.kill();
    let killed_at = Instant::now();
    // It gets no answer: nobody is left to give one.
    dying.abort();
    marker(&dir, "slow", false);

    let _second = world.agent("sto1", &flags);
    let dead = records(&world, &alice);
    assert_eq!(dead.len(), 1, "{dead:?}");
    let dead_id = dead[0]["id"].as_str().unwrap().to_owned();
    // Until the dead request's budget has passed the site cannot tell it from one still
    // at work at another replica; then its slot goes back, and the next allocation is
    // made.
    let deadline = Instant::now() + Duration::from_secs(60);
    let id = loop {
        let (code, answer) = world.svc(&alice, &ALLOCATE);
        if code == 0 {
            break answer["id"].as_str().unwrap().to_owned();
        }
        assert_eq!(answer["type"], "quota_exceeded", "{answer}");
        assert!(Instant::now() < deadline, "the slot never came back");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    println!(
        "the dead allocation's slot came back {:.1} s after the kill",
        killed_at.elapsed().as_secs_f64()
    );
    assert_ne!(id, dead_id);
    let (_, state) = world.svc(&alice, &["status", "--site", "sto1", &dead_id]);
    assert_eq!(state["status"], "error", "{state}");
    assert!(
        state["error"].as_str().unwrap().contains("deadline"),
        "{state}"
    );
    // Exactly one slot is taken now: the next allocation is refused.
    let (code, refused) = world.svc(&alice, &ALLOCATE);
    assert_eq!(
        (code, refused["type"].as_str()),
        (2, Some("quota_exceeded"))
    );
    assert_eq!(made(&world, &alice), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_allocation_taken_again_after_a_kill_keeps_its_one_slot() {
    let world = World::start(&["acme"]);
    let dir = world.estate.dir.path().to_owned();
    let config = config(&dir, &dir.join("folders"));
    let flags = flags(&world, &config, "1");
    let mut first = world.agent("sto1", &flags);
    first
        .wait_for_output("taking queued requests", support::START)
        .unwrap();
    let alice = world.mint("acme", "alice");
    marker(&dir, "slow", true);
    let (code, accepted) = world.svc(
        &alice,
        &[
            "queue",
            "--site",
            "sto1",
            "allocate",
            "--type",
            "folder",
            "--target-entity",
            "vo-x",
        ],
    );
    assert_eq!(code, 0, "{accepted}");
    let id = accepted["id"].as_str().unwrap().to_owned();
    until_runs(&dir, 1).await;
    first.kill();
    marker(&dir, "slow", false);

    // Delivered again after the acknowledgement wait, it takes the slot it holds: at a
    // quota of one it is made, not refused.
    let _second = world.agent("sto1", &flags);
    let deadline = Instant::now() + Duration::from_secs(60);
    let state = loop {
        let (_, state) = world.svc(&alice, &["status", "--site", "sto1", &id]);
        if state["status"] != "pending" {
            break state;
        }
        assert!(Instant::now() < deadline, "{id} never settled: {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(state["status"], "created", "{state}");
    assert_eq!(runs(&dir), 2);
    let (code, refused) = world.svc(&alice, &ALLOCATE);
    assert_eq!(
        (code, refused["type"].as_str()),
        (2, Some("quota_exceeded"))
    );
    assert_eq!(made(&world, &alice), 1);
}
