//! Retrying a resource in `error`, end to end: an allocation whose handler failed, an
//! update whose handler failed, and an allocation no agent took before its deadline are
//! each retried with `provisioner svc queue retry` (the site moves the record from `error`
//! back in flight by compare-and-set, then the original operation is queued again with
//! the same id) and carried out once. Two retries at once: one goes through, the other is
//! refused `conflict`; a resource not in error is refused `conflict`; another tenant's
//! retry is `not_found`; a queued retry repeated by the tenant itself, or sent by another
//! tenant, is dropped (the handler runs once per retry).
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

use serde_json::{json, Value};

mod support;
use support::World;

/// `[handlers.flaky]`: `mkdir.sh` under `root` through a wrapper that counts its runs in
/// `runs`, fails (saying so) while the file `failing` exists and takes two seconds while
/// the file `slow` does.
fn config(dir: &Path, root: &Path) -> PathBuf {
    let mkdir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/handlers/mkdir.sh");
    let wrapper = dir.join("flaky.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho run >> {runs}\nif [ -e {failing} ]; then\n  \
             echo 'flaky: the storage backend is down' >&2\n  exit 3\nfi\n\
             if [ -e {slow} ]; then sleep 2; fi\nexec {mkdir} --root {root}\n",
            runs = dir.join("runs").display(),
            failing = dir.join("failing").display(),
            slow = dir.join("slow").display(),
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
            "[handlers.flaky]\nargv = [{:?}]\ntimeout_secs = 5\n",
            wrapper.display().to_string()
        ),
    )
    .unwrap();
    file
}

fn runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("runs"))
        .unwrap_or_default()
        .lines()
        .count()
}

fn failing(dir: &Path, on: bool) {
    marker(dir, "failing", on);
}

fn marker(dir: &Path, name: &str, on: bool) {
    let marker = dir.join(name);
    if on {
        std::fs::write(marker, "").unwrap();
    } else {
        std::fs::remove_file(marker).unwrap();
    }
}

fn queue(world: &World, creds: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["queue", "--site", "sto1"];
    all.extend_from_slice(args);
    world.svc(creds, &all)
}

/// Polls `svc status` until `id` settles (created, error, denied, deleted).
async fn settled(world: &World, creds: &Path, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, state) = world.svc(creds, &["status", "--site", "sto1", id]);
        let status = state["status"].as_str().unwrap_or_default();
        if ["created", "error", "denied", "deleted"].contains(&status) {
            return state;
        }
        assert!(Instant::now() < deadline, "{id} never settled: {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn moves(state: &Value) -> Vec<String> {
    state["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}>{}",
                m["event"].as_str().unwrap(),
                m["to"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_allocation_and_a_failed_update_are_retried_and_carried_out_once() {
    let world = World::start(&["acme", "globex"]);
    let dir = world.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let mut flags = world.tenant_flags(&["acme", "globex"]);
    flags.extend([
        "--config".to_owned(),
        config(&dir, &root).display().to_string(),
    ]);
    let mut agent = world.agent("sto1", &flags);
    agent
        .wait_for_output("taking queued requests", support::START)
        .unwrap();
    let alice = world.mint("acme", "alice");
    let bob = world.mint("globex", "bob");

    failing(&dir, true);
    let (code, accepted) = queue(
        &world,
        &alice,
        &["allocate", "--type", "flaky", "--target-entity", "vo-x"],
    );
    assert_eq!(code, 0, "{accepted}");
    let id = accepted["id"].as_str().unwrap().to_owned();
    let state = settled(&world, &alice, &id).await;
    assert_eq!(state["status"], "error", "{state}");
    assert!(
        state["error"]
            .as_str()
            .unwrap()
            .contains("the storage backend is down"),
        "{state}"
    );
    assert_eq!(runs(&dir), 1);

    // Another tenant cannot retry it: for globex there is no such resource.
    let (code, theirs) = queue(&world, &bob, &["retry", &id]);
    assert_eq!(
        (code, theirs["type"].as_str()),
        (2, Some("not_found")),
        "{theirs}"
    );

    // Two retries at once: the site moves the record once; the other is refused.
    failing(&dir, false);
    let client = world.connect(&alice).await;
    let at = (support::SERVICE, "sto1");
    let timeout = Duration::from_secs(10);
    let (first, second) = tokio::join!(
        agent::queued::client::retry(&client.client, at, &id, timeout),
        agent::queued::client::retry(&client.client, at, &id, timeout),
    );
    let answers = [first.unwrap(), second.unwrap()];
    let accepted: Vec<_> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    let refused: Vec<_> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
    assert_eq!((accepted.len(), refused.len()), (1, 1), "{answers:?}");
    assert_eq!(accepted[0].id, id);
    assert_eq!(refused[0].error_type, "conflict", "{refused:?}");
    let state = settled(&world, &alice, &id).await;
    assert_eq!(state["status"], "created", "{state}");
    assert_eq!(state["retries"], 1, "{state}");
    assert_eq!(
        moves(&state),
        ["failed>error", "retry>pending", "succeeded>created"]
    );
    assert!(root.join("acme").join(&id).is_dir());
    assert_eq!(runs(&dir), 2, "the retry ran the handler once");

    // The same retry queued again by the tenant itself, and one sent by another tenant
    // naming alice's id: both dropped, nothing runs.
    for creds in [&alice, &bob] {
        let forger = world.connect(creds).await;
        let op = (agent::Operation::Retry, Some(id.as_str()));
        let again = agent::contract::ResourceRetryV1 {
            id: id.clone(),
            attempt: Some(1),
        };
        agent::queued::client::queue(&forger.client, at, op, &again, timeout)
            .await
            .unwrap();
    }
    // A resource that is not in error cannot be retried.
    let (code, refused) = queue(&world, &alice, &["retry", &id]);
    assert_eq!(
        (code, refused["type"].as_str()),
        (2, Some("conflict")),
        "{refused}"
    );
    assert!(
        refused["message"].as_str().unwrap().contains("is created"),
        "{refused}"
    );

    // A failed update is retried with the specification it asked for.
    failing(&dir, true);
    let (code, _) = queue(&world, &alice, &["update", &id, "--spec", r#"{"gb":7}"#]);
    assert_eq!(code, 0);
    let state = settled(&world, &alice, &id).await;
    assert_eq!(state["status"], "error", "{state}");
    assert_eq!(
        state["specification"],
        json!({"gb": 7}),
        "kept for the retry"
    );
    failing(&dir, false);
    let (code, accepted) = queue(&world, &alice, &["retry", &id]);
    assert_eq!(code, 0, "{accepted}");
    let state = settled(&world, &alice, &id).await;
    assert_eq!(state["status"], "created", "{state}");
    assert_eq!(state["retries"], 2, "{state}");
    assert_eq!(
        moves(&state)[3..],
        [
            "update>updating",
            "failed>error",
            "retry>updating",
            "succeeded>created"
        ]
    );
    let spec = std::fs::read_to_string(root.join("acme").join(&id).join("spec.json")).unwrap();
    assert!(
        spec.contains("\"gb\": 7") || spec.contains("\"gb\":7"),
        "{spec}"
    );
    assert_eq!(runs(&dir), 4, "the dropped retries ran nothing");
    let (code, listed) = world.svc(&alice, &["list", "--site", "sto1", "--expect", "1"]);
    assert_eq!(code, 0, "{listed}");
    let made = listed["answers"]["sto1"]["resources"].as_array().unwrap();
    assert_eq!(made.len(), 1, "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allocation_no_agent_took_in_time_is_retried() {
    let world = World::start(&["acme"]);
    let dir = world.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let mut flags = world.tenant_flags(&["acme"]);
    flags.extend([
        "--config".to_owned(),
        config(&dir, &root).display().to_string(),
    ]);
    flags.extend(["--queued-deadline-secs".to_owned(), "3".to_owned()]);
    let mut first = world.agent("sto1", &flags);
    first
        .wait_for_output("taking queued requests", support::START)
        .unwrap();
    first.kill();
    let alice = world.mint("acme", "alice");
    let (code, accepted) = queue(
        &world,
        &alice,
        &["allocate", "--type", "flaky", "--target-entity", "vo-x"],
    );
    assert_eq!(code, 0, "{accepted}");
    let id = accepted["id"].as_str().unwrap().to_owned();
    // The passing of the 3 s deadline with no agent running is what is under test: no
    // agent answers a status read meanwhile, so there is no state to poll for.
    tokio::time::sleep(Duration::from_secs(4)).await;

    let _second = world.agent("sto1", &flags);
    let state = settled(&world, &alice, &id).await;
    assert_eq!(state["status"], "error", "{state}");
    assert!(
        state["error"].as_str().unwrap().contains("deadline"),
        "{state}"
    );
    assert_eq!(runs(&dir), 0, "an overdue request runs nothing");
    let (code, accepted) = queue(&world, &alice, &["retry", &id]);
    assert_eq!(code, 0, "{accepted}");
    assert_eq!(accepted["id"], json!(id));
    let state = settled(&world, &alice, &id).await;
    assert_eq!(state["status"], "created", "{state}");
    assert_eq!(runs(&dir), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_repeated_while_it_runs_is_dropped_by_the_other_replica() {
    let world = World::start(&["acme"]);
    let dir = world.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let mut flags = world.tenant_flags(&["acme"]);
    flags.extend([
        "--config".to_owned(),
        config(&dir, &root).display().to_string(),
    ]);
    let mut one = world.agent("sto1", &flags);
    one.wait_for_output("taking queued requests", support::START)
        .unwrap();
    let alice = world.mint("acme", "alice");
    failing(&dir, true);
    let (code, accepted) = queue(
        &world,
        &alice,
        &["allocate", "--type", "flaky", "--target-entity", "vo-x"],
    );
    assert_eq!(code, 0, "{accepted}");
    let id = accepted["id"].as_str().unwrap().to_owned();
    assert_eq!(settled(&world, &alice, &id).await["status"], "error");
    failing(&dir, false);
    marker(&dir, "slow", true);
    let mut two = world.agent("sto1", &flags);
    two.wait_for_output("taking queued requests", support::START)
        .unwrap();

    // The retry runs at one replica (its handler takes two seconds) while the same retry,
    // queued again by the tenant, reaches the other: the record names the request that
    // carries the work, so the other drops it.
    let client = world.connect(&alice).await;
    let at = (support::SERVICE, "sto1");
    let timeout = Duration::from_secs(10);
    let accepted = agent::queued::client::retry(&client.client, at, &id, timeout)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.id, id);
    let again = agent::contract::ResourceRetryV1 {
        id: id.clone(),
        attempt: Some(1),
    };
    let op = (agent::Operation::Retry, Some(id.as_str()));
    agent::queued::client::queue(&client.client, at, op, &again, timeout)
        .await
        .unwrap();
    let state = settled(&world, &alice, &id).await;
    assert_eq!(state["status"], "created", "{state}");
    let dropped = "dropped a queued retry that is not this one's to do";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !one.output().contains(dropped) && !two.output().contains(dropped) {
        assert!(
            Instant::now() < deadline,
            "the repeated retry was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(runs(&dir), 2, "the failed run and the retry's, once");
}
