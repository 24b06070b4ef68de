//! `provisioner serve` refuses a server too old to rebuild `Nats-Request-Info` on leaf
//! node connections (exit 64, one stderr line naming both versions), and serves on one
//! that does.
//!
//! No older `nats-server` can be installed by the test tools (PyPI has 2.15.1 only), so
//! the server here is a stand-in speaking just enough of the NATS client protocol: it
//! sends `INFO` with the version under test, answers `PING` with `PONG` and ignores the
//! rest. The version rule itself is unit-tested in `cli/serve/server_version.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test on unexpected errors"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use claims::{AccountClaims, KeyPair};

/// How long the provisioner may take to refuse or to serve.
const WITHIN: Duration = Duration::from_secs(20);

/// Starts a stand-in server announcing `version`; returns its URL.
fn stand_in_server(version: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let info = format!(
                    "INFO {{\"server_id\":\"NFAKE\",\"server_name\":\"stand-in\",\
                     \"version\":\"{version}\",\"proto\":1,\"go\":\"go1.24\",\
                     \"host\":\"127.0.0.1\",\"port\":{port},\"headers\":true,\
                     \"max_payload\":1048576}}\r\n"
                );
                if stream.write_all(info.as_bytes()).is_err() {
                    return;
                }
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line.starts_with("PING") && stream.write_all(b"PONG\r\n").is_err() {
                        return;
                    }
                    line.clear();
                }
            });
        }
    });
    format!("nats://127.0.0.1:{port}")
}

/// The seed tutorial's files: an account JWT listing a signing key, and that key's seed.
fn legacy_files(dir: &Path) -> (String, String) {
    let operator = KeyPair::new_operator();
    let account = KeyPair::new_account();
    let signing = KeyPair::new_account();
    let mut claims = AccountClaims::new_account(account.public_key());
    claims.name = "KUBECON".into();
    claims.nats.signing_keys.add(signing.public_key());
    let jwt = dir.join("KUBECON.jwt");
    std::fs::write(&jwt, claims.encode(&operator, 1).unwrap()).unwrap();
    let seed = dir.join("SIGNING.nk");
    std::fs::write(&seed, signing.seed().unwrap()).unwrap();
    (jwt.display().to_string(), seed.display().to_string())
}

/// Runs `provisioner serve` against a stand-in announcing `version` until it exits or
/// logs `serving` (then it is stopped); returns (exit code if it exited, its output).
fn serve_against(version: &'static str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let (jwt, seed) = legacy_files(dir.path());
    let url = stand_in_server(version);
    let mut child = Command::new(env!("CARGO_BIN_EXE_provisioner"))
        .args(["serve", "-s", &url, "--acc", &jwt, "--sk", &seed])
        .env("PROVISIONER_LOG_FORMAT", "plain")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0_u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + WITHIN;
    let mut output = Vec::new();
    loop {
        // Waiting for output is the poll's pause.
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(50)) {
            output.extend(chunk);
        }
        let text = String::from_utf8_lossy(&output).into_owned();
        if let Some(status) = child.try_wait().unwrap() {
            // The reader ends at end of file, once the exited child's stderr closes.
            while let Ok(chunk) = rx.recv() {
                output.extend(chunk);
            }
            return (status.code(), String::from_utf8_lossy(&output).into_owned());
        }
        if text.contains("serving") || Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            return (None, text);
        }
    }
}

#[test]
fn a_server_that_does_not_rebuild_the_header_on_leaf_connections_is_refused() {
    for version in ["2.10.29", "2.11.14", "2.12.5", "2.12.6-RC.1"] {
        let (code, output) = serve_against(version);
        assert_eq!(code, Some(64), "{version}: {output}");
        let line = output
            .lines()
            .find(|l| l.starts_with("provisioner: "))
            .unwrap_or_else(|| panic!("{version}: no refusal line in {output}"));
        for needle in [version, "2.11.15", "2.12.6", "Nats-Request-Info"] {
            assert!(
                line.contains(needle),
                "{version}: `{needle}` not in: {line}"
            );
        }
    }
}

#[test]
fn a_server_that_rebuilds_the_header_is_served() {
    for version in ["2.11.15", "2.12.6", "2.15.1"] {
        let (code, output) = serve_against(version);
        assert_eq!(code, None, "{version}: {output}");
        assert!(output.contains("serving"), "{version}: {output}");
    }
}
