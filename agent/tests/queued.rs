//! Queued requests end to end: a tenant's allocate, update and deallocate are kept by the
//! service's stream while no agent of the site runs, and taken exactly once when one
//! comes; an agent killed mid-handler (SIGKILL) leaves no resource stuck or made twice;
//! another tenant's queued request cannot touch a resource it does not own, forged
//! identity header or not; 50 queued allocations against a quota of 10 make exactly 10;
//! a failing handler's words end up in the record's `error`. Each resource
//! moves through its lifecycle record (`pending` → `created` → `updating` → `created` →
//! `deleting` → `deleted`), which `provisioner svc status` and `watch` read.
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
use std::time::Instant;

use serde_json::Value;

mod support;
use support::World;

/// `[handlers.folder]` running `mkdir.sh` under `root`, through `wrapper`: a script that
/// counts its runs in `runs` and sleeps `pause` seconds before the real work.
fn config(dir: &Path, root: &Path, pause: &str) -> PathBuf {
    let mkdir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/handlers/mkdir.sh");
    let wrapper = dir.join("counting.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho run >> {runs}\nsleep {pause}\nexec {mkdir} --root {root}\n",
            runs = dir.join("runs").display(),
            mkdir = mkdir.display(),
            root = root.display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.join("agent.toml");
    let fail = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/handlers/fail.sh");
    std::fs::write(
        &file,
        format!(
            "[handlers.folder]\nargv = [{:?}]\ntimeout_secs = 3\n\
             [handlers.broken]\nargv = [{:?}]\ntimeout_secs = 3\nenv = {{ FAIL_MESSAGE = \"the disk is full\" }}\n",
            wrapper.display().to_string(),
            fail.display().to_string()
        ),
    )
    .unwrap();
    file
}

fn flags(world: &World, config: &Path) -> Vec<String> {
    let mut flags = world.tenant_flags(&["acme", "globex"]);
    flags.extend(["--config".to_owned(), config.display().to_string()]);
    flags
}

fn runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("runs"))
        .unwrap_or_default()
        .lines()
        .count()
}

fn queue(world: &World, creds: &Path, args: &[&str]) -> String {
    let mut all = vec!["queue", "--site", "sto1"];
    all.extend_from_slice(args);
    let (code, accepted) = world.svc(creds, &all);
    assert_eq!(code, 0, "{accepted}");
    accepted["id"].as_str().unwrap().to_owned()
}

/// `svc watch` until the resource settles (it prints one JSON line per state seen);
/// returns the last state.
fn watch(world: &World, creds: &Path, id: &str) -> Value {
    let output =
        std::process::Command::new(integration_tests::workspace_bin("provisioner").unwrap())
            .args(["svc", "watch", "--site", "sto1", id, "--timeout", "60s"])
            .args(["--service", support::SERVICE, "--json", "-s"])
            .arg(world.url())
            .arg("--creds")
            .arg(creds)
            .output()
            .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "watch printed nothing: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let state: Value = serde_json::from_str(last).unwrap();
    let code = output.status.code().unwrap();
    assert!(code == 0 || code == 2, "{stdout}");
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_queued_while_no_agent_runs_are_taken_once_when_one_comes() {
    let world = World::start(&["acme", "globex"]);
    let dir = world.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let config = config(&dir, &root, "0");
    // An agent of the site ran once (it made the queue), and is gone.
    let mut first = world.agent("sto1", &flags(&world, &config));
    first
        .wait_for_output("taking queued requests", support::START)
        .unwrap();
    first.kill();
    let alice = world.mint("acme", "alice");
    let bob = world.mint("globex", "bob");

    let asked = Instant::now();
    let id = queue(
        &world,
        &alice,
        &["allocate", "--type", "folder", "--target-entity", "vo-x"],
    );
    assert!(id.starts_with('q'), "{id}");
    assert_eq!(runs(&dir), 0, "nothing runs while no agent does");

    let _second = world.agent("sto1", &flags(&world, &config));
    let state = watch(&world, &alice, &id);
    println!(
        "queued allocation: created {:.2} s after it was asked for (agent started in between)",
        asked.elapsed().as_secs_f64()
    );
    assert_eq!(state["status"], "created", "{state}");
    let folder = root.join("acme").join(&id);
    assert!(folder.is_dir());
    assert_eq!(
        state["details"]["path"],
        Value::from(folder.display().to_string())
    );
    let moves: Vec<&str> = state["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"].as_str().unwrap())
        .collect();
    assert_eq!(moves, ["created"], "{state}");
    assert_eq!(runs(&dir), 1);

    // Another tenant's queued deallocation of it is dropped, even with a forged identity
    // header naming acme (the stream keeps the subject's account, not the header); the
    // owner's goes through.
    queue(&world, &bob, &["deallocate", &id]);
    let forger = world.connect(&bob).await;
    let acme = world.estate.account_key("acme").unwrap();
    let mut headers = support::forged(&acme);
    headers.insert("Message-Type", "ResourceDeallocateV1");
    let kept = forger
        .client
        .request_with_headers(
            "svcq.storage.sto1.deallocate",
            headers,
            serde_json::json!({ "id": id }).to_string().into(),
        )
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&kept.payload).contains("\"seq\""));
    let timed = Instant::now();
    let id_again = queue(&world, &alice, &["update", &id, "--spec", r#"{"gb":2}"#]);
    assert_eq!(id_again, id);
    let state = watch(&world, &alice, &id);
    assert_eq!(state["status"], "created", "{state}");
    assert!(folder.is_dir(), "bob's request removed alice's folder");
    queue(&world, &alice, &["deallocate", &id]);
    let state = watch(&world, &alice, &id);
    assert_eq!(state["status"], "deleted", "{state}");
    assert!(!folder.exists());
    println!(
        "queued update and deallocation settled in {:.2} s",
        timed.elapsed().as_secs_f64()
    );
    let (code, bobs) = world.svc(&bob, &["status", "--site", "sto1", &id]);
    // Each queued request is taken in order: the forged one was dropped before the
    // owner's update ran, so the folder survived it (checked above).
    assert_eq!(
        (code, bobs["type"].as_str()),
        (2, Some("not_found")),
        "{bobs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_mid_handler_leaves_nothing_stuck_or_made_twice() {
    let world = World::start(&["acme", "globex"]);
    let dir = world.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let config = config(&dir, &root, "2");
    let mut first = world.agent("sto1", &flags(&world, &config));
    first
        .wait_for_output("taking queued requests", support::START)
        .unwrap();
    let alice = world.mint("acme", "alice");
    let id = queue(
        &world,
        &alice,
        &["allocate", "--type", "folder", "--target-entity", "vo-x"],
    );
    // The handler has started (it counted its run) and sleeps: kill the agent now.
    let deadline = Instant::now() + support::START;
    while runs(&dir) == 0 {
        assert!(Instant::now() < deadline, "the handler never ran");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Queued behind it, not taken yet: the site answers it as pending, from the stream.
    let next = queue(
        &world,
        &alice,
        &["allocate", "--type", "folder", "--target-entity", "vo-y"],
    );
    let (code, waiting) = world.svc(&alice, &["status", "--site", "sto1", &next]);
    assert_eq!(
        (code, waiting["status"].as_str()),
        (0, Some("pending")),
        "{waiting}"
    );
    assert_eq!(waiting["history"], serde_json::json!([]), "{waiting}");
    first.kill();

    let _second = world.agent("sto1", &flags(&world, &config));
    let restarted = Instant::now();
    for made in [&id, &next] {
        let state = watch(&world, &alice, made);
        println!(
            "{made} created {:.2} s after the restart",
            restarted.elapsed().as_secs_f64()
        );
        assert_eq!(state["status"], "created", "{state}");
        assert!(root.join("acme").join(made).is_dir());
    }
    assert_eq!(
        runs(&dir),
        3,
        "the first run again after the kill, the second once"
    );
    let (code, listed) = world.svc(&alice, &["list", "--site", "sto1", "--expect", "1"]);
    assert_eq!(code, 0, "{listed}");
    let made = listed["answers"]["sto1"]["resources"].as_array().unwrap();
    assert_eq!(made.len(), 2, "each made once: {listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_queued_allocations_against_a_quota_of_ten_make_exactly_ten() {
    let world = World::start(&["acme", "globex"]);
    let dir = world.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let config = config(&dir, &root, "0");
    let mut flags = flags(&world, &config);
    flags.extend(["--quota".to_owned(), "10".to_owned()]);
    let mut agent = world.agent("sto1", &flags);
    agent
        .wait_for_output("taking queued requests", support::START)
        .unwrap();
    let alice = world.connect(&world.mint("acme", "alice")).await;
    let at = (support::SERVICE, "sto1");
    let asks = (0..50).map(|i| {
        let client = alice.client.clone();
        async move {
            let request = agent::ResourceAllocateV1 {
                resource_type: "folder".into(),
                target_entity: format!("vo-{i}"),
                specification: serde_json::json!({}),
            };
            agent::queued::client::queue(
                &client,
                (support::SERVICE, "sto1"),
                (agent::Operation::Allocate, None),
                &request,
                std::time::Duration::from_secs(10),
            )
            .await
            .unwrap()
            .id
        }
    });
    let ids = futures::future::join_all(asks).await;
    let mut created = 0;
    let mut refused = 0;
    let timeout = std::time::Duration::from_secs(10);
    for id in &ids {
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        let state = loop {
            let answer = agent::queued::client::status(&alice.client, at, id, timeout).await;
            if let Ok(Ok(state)) = answer {
                let settled = !matches!(state.lifecycle.status, agent::lifecycle::Status::Pending);
                if settled {
                    break serde_json::to_value(&state).unwrap();
                }
            }
            assert!(Instant::now() < deadline, "{id} never settled");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        match state["status"].as_str() {
            Some("created") => created += 1,
            Some("error") => {
                assert!(
                    state["error"].as_str().unwrap().contains("quota"),
                    "{state}"
                );
                refused += 1;
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    assert_eq!((created, refused), (10, 40));
    assert_eq!(std::fs::read_dir(root.join("acme")).unwrap().count(), 10);

    // A handler that fails (another tenant: acme's quota is full): the record is `error`
    // with the handler's words.
    let bob = world.connect(&world.mint("globex", "bob")).await;
    let request = agent::ResourceAllocateV1 {
        resource_type: "broken".into(),
        target_entity: "vo-x".into(),
        specification: serde_json::json!({}),
    };
    let op = (agent::Operation::Allocate, None);
    let broken = agent::queued::client::queue(&bob.client, at, op, &request, timeout)
        .await
        .unwrap()
        .id;
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let answer = agent::queued::client::status(&bob.client, at, &broken, timeout).await;
        if let Ok(Ok(state)) = answer {
            if state.lifecycle.status == agent::lifecycle::Status::Error {
                let error = state.lifecycle.error.unwrap();
                assert!(error.contains("the disk is full"), "{error}");
                break;
            }
        }
        assert!(Instant::now() < deadline, "{broken} never failed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
