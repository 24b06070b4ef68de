//! Running handlers for real: the example scripts of `agent/examples/handlers/` and tiny
//! scripts written to a temporary directory.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::caller::Caller;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/handlers")
        .join(name)
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn handler(program: PathBuf, args: &[&str]) -> HandlerConfig {
    HandlerConfig {
        resource_type: "folder".into(),
        program,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        timeout: Duration::from_secs(20),
        max_output_bytes: 64 * 1024,
        max_concurrent: 4,
        env: BTreeMap::new(),
        requires_approval: false,
    }
}

/// A handler running `script` with `/bin/sh`: a script written a moment ago may not be
/// executed directly while another test thread forks (the child briefly holds the
/// written file open, and exec fails with ETXTBSY).
fn shell(script: &Path) -> HandlerConfig {
    handler(PathBuf::from("/bin/sh"), &[script.to_str().unwrap()])
}

fn caller() -> Caller {
    Caller {
        tenant: "acme".into(),
        account: "AACME".into(),
        user: Some("UALICE".into()),
        name: Some("alice".into()),
        tags: vec!["role:dev".into()],
        issuer_key: None,
    }
}

async fn run(
    config: HandlerConfig,
    operation: HandlerOperation,
    id: &str,
    spec: serde_json::Value,
) -> Result<crate::contract::Details, HandlerError> {
    let caller = caller();
    let input = HandlerInput {
        operation,
        resource_id: id,
        resource_type: "folder",
        target_entity: "vo-x",
        spec: &spec,
        tenant: &caller.tenant,
        caller: CallerInfo::from(&caller),
    };
    Handler::new(config).run(&input).await
}

/// Whether process `pid` is gone (or a zombie nobody reaped, which runs nothing).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn the_mkdir_example_allocates_updates_and_deallocates_a_directory() {
    let root = tempfile::tempdir().unwrap();
    let root_arg = root.path().to_str().unwrap();
    let config = handler(example("mkdir.sh"), &["--root", root_arg]);
    let dir = root.path().join("acme/RES1");

    let details = run(
        config.clone(),
        HandlerOperation::Allocate,
        "RES1",
        json!({}),
    )
    .await
    .unwrap();
    assert!(dir.is_dir());
    assert_eq!(details["path"], json!(dir.to_str().unwrap()));
    assert_eq!(details["url"], json!(format!("file://{}", dir.display())));

    run(
        config.clone(),
        HandlerOperation::Update,
        "RES1",
        json!({"gb": 7}),
    )
    .await
    .unwrap();
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spec.json")).unwrap()).unwrap();
    assert_eq!(spec, json!({"gb": 7}));

    let details = run(
        config.clone(),
        HandlerOperation::Deallocate,
        "RES1",
        json!({}),
    )
    .await
    .unwrap();
    assert!(details.is_empty(), "{details:?}");
    assert!(!dir.exists());

    // Names that would climb out of the root are refused with the script's own message.
    let err = run(config, HandlerOperation::Allocate, "../x", json!({}))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("must not be empty or contain"),
        "{err}"
    );
}

#[tokio::test]
async fn a_failure_carries_the_handlers_message() {
    let err = run(
        handler(example("fail.sh"), &[]),
        HandlerOperation::Allocate,
        "R",
        json!({}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "fail.sh: this example handler refuses every request"
    );
    let dir = tempfile::tempdir().unwrap();
    let silent = script(dir.path(), "silent.sh", "cat >/dev/null; exit 5");
    let err = run(shell(&silent), HandlerOperation::Update, "R", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "the handler exited with status 5");
    let bad = script(dir.path(), "bad.sh", "echo 'all done'");
    let err = run(shell(&bad), HandlerOperation::Update, "R", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        HandlerError::BadOutput {
            reason: "stdout is not JSON"
        }
    );
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    // The background sleep is the shell's child: only a group kill reaches it.
    let slow = script(
        dir.path(),
        "slow.sh",
        &format!("sleep 60 &\necho $! > {}\nwait", pid_file.display()),
    );
    let mut config = shell(&slow);
    config.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let err = run(config, HandlerOperation::Allocate, "R", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        HandlerError::TimedOut {
            timeout: Duration::from_millis(500)
        }
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let pid = pid.trim();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !gone(pid) {
        assert!(
            Instant::now() < deadline,
            "the background sleep {pid} lives on"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn output_past_the_cap_fails_the_run_and_stops_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let chatty = script(
        dir.path(),
        "chatty.sh",
        "while :; do echo xxxxxxxxxxxxxxxx; done",
    );
    let mut config = shell(&chatty);
    config.max_output_bytes = 1000;
    let started = Instant::now();
    let err = run(config, HandlerOperation::Allocate, "R", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err, HandlerError::OutputTooLarge { limit: 1000 });
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped at the cap, not at the timeout"
    );
    let exact = script(
        dir.path(),
        "exact.sh",
        r#"printf '{"details":{"k":"%s"}}' 1234567890"#,
    );
    let mut config = shell(&exact);
    config.max_output_bytes = 30;
    let details = run(config, HandlerOperation::Allocate, "R", json!({}))
        .await
        .unwrap();
    assert_eq!(details["k"], "1234567890");
}

#[tokio::test]
async fn the_environment_is_scrubbed() {
    let dir = tempfile::tempdir().unwrap();
    let env = script(
        dir.path(),
        "env.sh",
        "cat >/dev/null\nexec python3 -c 'import json, os; \
         print(json.dumps({\"details\": dict(os.environ)}))'",
    );
    // A variable the agent (this test process) has: cargo sets it for every test run.
    let agents = "CARGO_MANIFEST_DIR";
    assert!(std::env::var_os(agents).is_some());
    let mut config = shell(&env);
    config.env = BTreeMap::from([("FOLDER_ROOT".into(), "/srv".into())]);
    let seen = run(config, HandlerOperation::Allocate, "R", json!({}))
        .await
        .unwrap();
    assert_eq!(seen["PATH"], "/usr/bin:/bin");
    assert_eq!(seen["FOLDER_ROOT"], "/srv");
    assert!(!seen.contains_key(agents), "{seen:?}");
    assert!(!seen.contains_key("HOME"), "{seen:?}");
    // Only what the shell and python3 set themselves may come on top (python3 coerces
    // the C locale by setting LC_CTYPE, PEP 538).
    let own = ["PATH", "FOLDER_ROOT", "PWD", "SHLVL", "_", "LC_CTYPE"];
    let extra: Vec<&String> = seen.keys().filter(|k| !own.contains(&k.as_str())).collect();
    assert!(extra.is_empty(), "{extra:?}");
}

#[tokio::test]
async fn at_most_max_concurrent_runs_of_a_type_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let running = dir.path().join("running");
    std::fs::create_dir(&running).unwrap();
    let counts = dir.path().join("counts");
    // Each run marks itself running, counts the runs it sees, and stays a moment.
    let busy = script(
        dir.path(),
        "busy.sh",
        &format!(
            "cat >/dev/null\ntouch {r}/$$\nls {r} | wc -l >> {c}\nsleep 0.3\nrm {r}/$$",
            r = running.display(),
            c = counts.display()
        ),
    );
    let mut config = shell(&busy);
    config.max_concurrent = 2;
    let shared = Handler::new(config);
    let caller = caller();
    let spec = json!({});
    let started = Instant::now();
    let runs = (0..6).map(|i| {
        let handler = shared.clone();
        let (caller, spec) = (&caller, &spec);
        async move {
            let id = format!("R{i}");
            let input = HandlerInput {
                operation: HandlerOperation::Allocate,
                resource_id: &id,
                resource_type: "folder",
                target_entity: "e",
                spec,
                tenant: &caller.tenant,
                caller: CallerInfo::from(caller),
            };
            handler.run(&input).await
        }
    });
    for result in futures::future::join_all(runs).await {
        result.unwrap();
    }
    // Six runs of 0.3 s, two at a time, take at least three rounds.
    assert!(started.elapsed() >= Duration::from_millis(900));
    let seen: Vec<usize> = std::fs::read_to_string(&counts)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(seen.len(), 6);
    assert!(seen.iter().all(|n| (1..=2).contains(n)), "{seen:?}");
}

#[test]
fn handlers_by_type_and_the_refusal_naming_them() {
    let mut handlers = Handlers::default();
    assert_eq!(
        handlers.not_supported("vm", "sto1"),
        "site `sto1` supports no resource types (`vm` asked)"
    );
    handlers.insert(handler(example("mkdir.sh"), &[]));
    let mut broken = handler(example("fail.sh"), &[]);
    broken.resource_type = "broken".into();
    broken.timeout = Duration::from_secs(90);
    handlers.insert(broken);
    assert_eq!(handlers.types(), ["broken", "folder"]);
    assert!(handlers.get("folder").is_some() && handlers.get("vm").is_none());
    assert_eq!(handlers.longest_timeout(), Duration::from_secs(90));
    assert_eq!(
        handlers.not_supported("vm", "sto1"),
        "resource type `vm` is not supported at site `sto1`; supported: broken, folder"
    );
}
