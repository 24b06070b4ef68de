//! The Python side: `clients/python/tests/renewal_consumer.py` run with the test tools'
//! interpreter (nats-py and nkeys installed by `scripts/install-test-tools.sh`); its
//! JSON lines are echoed, and its summary becomes [`Figures`]. Also the Python package's
//! own unit tests (the pinned canonical strings).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::{Figures, FRACTION, STREAM, TTL_SECS};

/// How long the client may take to obtain creds and subscribe.
const START: Duration = Duration::from_secs(30);

fn package_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/python")
}

/// The test tools' Python, with nats-py and nkeys; fails with the install hint without it.
pub fn interpreter() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/python");
    let works = std::process::Command::new(&python)
        .args(["-c", "import nats, nkeys"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        works,
        "`{}` with nats-py and nkeys is missing: run ./scripts/install-test-tools.sh from the \
         repository root",
        python.display()
    );
    python
}

/// A running Python client.
pub struct PythonClient {
    child: Child,
    lines: mpsc::UnboundedReceiver<Value>,
}

/// Starts the Python client for `name`, consuming the `python` consumer until it has
/// `expect` messages.
pub async fn start(
    python: &Path,
    url: &str,
    bootstrap: &Path,
    name: &str,
    expect: u64,
) -> PythonClient {
    let script = package_dir().join("tests/renewal_consumer.py");
    let mut child = Command::new(python)
        .arg(script)
        .args([
            "--url",
            url,
            "--name",
            name,
            "--stream",
            STREAM,
            "--consumer",
            "python",
        ])
        .arg("--bootstrap-creds")
        .arg(bootstrap)
        .args([
            "--ttl",
            &TTL_SECS.to_string(),
            "--expect",
            &expect.to_string(),
        ])
        .args(["--fraction", &FRACTION.to_string()])
        .args(["--ticks-subject", &format!("tenant.acme.{name}.ticks")])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            println!("python: {line}");
            if let Ok(value) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(value);
            }
        }
    });
    PythonClient { child, lines }
}

impl PythonClient {
    async fn next_line_with(&mut self, key: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("no `{key}` from the Python client within {within:?}"))
                .unwrap_or_else(|| panic!("the Python client ended without `{key}`"));
            if let Some(value) = line.get(key) {
                return value.clone();
            }
        }
    }

    /// Waits until it has creds and is subscribed.
    pub async fn ready(&mut self) {
        self.next_line_with("ready", START).await;
    }

    /// Waits up to `drain` for its summary and exit.
    pub async fn finish(mut self, drain: Duration) -> Figures {
        let s = self.next_line_with("summary", drain).await;
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "the Python client failed: {status}");
        let number = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("`{k}` in {s}"));
        let list = |k: &str| -> Vec<Value> { s[k].as_array().cloned().unwrap_or_default() };
        assert_eq!(s["ticks_in_order"], Value::Bool(true), "{s}");
        Figures {
            processed: number("processed"),
            duplicates: number("duplicates"),
            skipped: list("skipped")
                .iter()
                .map(|r| (r[0].as_u64().unwrap(), r[1].as_u64().unwrap()))
                .collect(),
            renewals: number("renewals"),
            failures: number("failures"),
            ticks: number("ticks"),
            last_tick: number("last_tick"),
            gaps: list("gaps").iter().map(|g| g.as_u64().unwrap()).collect(),
            disconnects: number("reconnects"),
            max_resume: s["max_resume"].as_f64().map(Duration::from_secs_f64),
        }
    }
}

#[test]
fn the_python_package_signs_the_services_canonical_string() {
    let out = std::process::Command::new(interpreter())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["-m", "unittest", "discover", "-s"])
        .arg(package_dir().join("tests"))
        .args(["-p", "test_*.py"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
