//! `portal serve` checks its whole configuration before it binds or connects: a bad
//! value is one line on stderr naming the field, and exit 64; nothing listens.

#![allow(
    clippy::expect_used,
    reason = "test code: a binary that does not run is a failed test"
)]

use std::process::Command;

/// Runs the built binary with `args`; returns the exit code and stderr.
fn portal(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(args)
        .env_remove("PORTAL_POLICY")
        .output()
        .expect("the portal binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_configuration_names_its_field_and_exits_64() {
    let cases: [(&[&str], &str); 6] = [
        (&["serve"], "`policy`: required"),
        (
            &["serve", "--policy", "/nonexistent/policy.toml"],
            "`policy`: `/nonexistent/policy.toml`",
        ),
        (
            &["serve", "--listen", "nonsense", "--policy", "/x"],
            "`listen`: `nonsense` is not an address",
        ),
        (
            &["serve", "--policy", "/x", "--tls-cert", "/x.pem"],
            "`tls_key`: required with tls_cert",
        ),
        (
            &[
                "serve",
                "--policy",
                "/x",
                "--tls-cert",
                "/nonexistent/cert.pem",
                "--tls-key",
                "/nonexistent/key.pem",
            ],
            "`tls_cert`: `/nonexistent/cert.pem`",
        ),
        (
            &[
                "serve",
                "--policy",
                "/x",
                "--cors-origin",
                "https://portal.example/path",
            ],
            "`cors_origins`: `https://portal.example/path`",
        ),
    ];
    for (args, field) in cases {
        let (code, stderr) = portal(args);
        assert_eq!(code, Some(64), "{args:?}: {stderr}");
        assert!(stderr.contains(field), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn help_explains_the_serve_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["serve", "--help"])
        .output()
        .expect("the portal binary runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for option in [
        "--policy",
        "--listen",
        "--admin-addr",
        "PORTAL_POLICY",
        "--rate-per-identity",
        "--tls-cert",
        "--tls-key",
        "--cors-origin",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}
