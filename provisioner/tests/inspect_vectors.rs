//! `provisioner inspect --json --now <iat>` on every golden vector of the claims crate
//! (`claims/tests/vectors/*.json`, made with Go's `nats-io/jwt/v2`; the format is in that
//! directory's README.md). For a token Go decodes, the printed claims must equal Go's and
//! the exit status must be 0 exactly when Go's `Validate` found no error and Go's `exp` /
//! `nbf` rules pass at that clock; a token Go refuses must exit non-zero and print nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test harness: a missing or malformed vector must fail the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../claims/tests/vectors");

/// The clock for the vectors that have no `iat` (tokens Go refuses).
const NOW_WITHOUT_IAT: i64 = 1_800_000_000;

/// Longer tokens go through a file: Linux caps one command-line argument at 128 KiB, and
/// the size-limit vectors are 1 MiB.
const LONGEST_ARGUMENT: usize = 64 * 1024;

fn vectors() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(VECTORS)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
            (name, value)
        })
        .collect()
}

fn inspect(token: &str, now: i64, scratch: &Path) -> Output {
    let input = if token.len() > LONGEST_ARGUMENT {
        let path = scratch.join("token.jwt");
        std::fs::write(&path, token).unwrap();
        path.into_os_string()
    } else {
        token.into()
    };
    Command::new(env!("CARGO_BIN_EXE_provisioner"))
        .args(["inspect", "--json", "--now", &now.to_string()])
        .arg(input)
        .output()
        .unwrap()
}

/// What Go says at `now`: no blocking validation error, and neither of the time checks of
/// Go's `ClaimsData.Validate` (`exp > 0 && now > exp`, `nbf > 0 && nbf > now`) fires.
fn go_says_valid(vector: &Value, now: i64) -> bool {
    let errors = vector["validation_errors"].as_array().map_or(0, Vec::len);
    let time = |key: &str| vector["claims"][key].as_i64().unwrap_or(0);
    let (exp, nbf) = (time("exp"), time("nbf"));
    errors == 0 && !(exp > 0 && now > exp) && !(nbf > 0 && nbf > now)
}

/// JSON equality where integers compare exactly and any float compares as a float, as the
/// vectors' README asks (Go writes the float64s of generic claims as `1e+21`, `-0`…).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Checks one vector; `Err` says how `inspect` differs from Go.
fn check(name: &str, vector: &Value, scratch: &Path) -> Result<&'static str, String> {
    let kind = vector["kind"].as_str().unwrap();
    let now = vector["iat"].as_i64().unwrap_or(NOW_WITHOUT_IAT);
    let out = inspect(vector["jwt"].as_str().unwrap(), now, scratch);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    if vector["decode_ok"] == false {
        let go_error = vector["decode_error"].as_str().unwrap_or_default();
        if go_error == format!("not {kind} claim") {
            // Refused only by Go's `Decode<Kind>Claims` type check; inspect reads any type,
            // so it must decode the token as the type it is.
            let printed: Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| format!("{name}: no JSON on stdout ({e}); stderr: {stderr}"))?;
            return match printed["nats"]["type"].as_str() {
                Some(found) if found != kind => Ok("decoded as another type"),
                other => Err(format!(
                    "{name}: printed type {other:?}, Go says not {kind}"
                )),
            };
        }
        if out.status.success() || code.is_none() || !out.stdout.is_empty() {
            return Err(format!(
                "{name}: Go refuses it ({go_error}); inspect exited {code:?} printing {}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        return Ok("refused");
    }
    let printed: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{name}: no JSON on stdout ({e}); stderr: {stderr}"))?;
    if !json_equal(&printed, &vector["claims"]) {
        return Err(format!(
            "{name}: claims differ\n ours: {printed}\n go:   {}",
            vector["claims"]
        ));
    }
    let want = if go_says_valid(vector, now) { 0 } else { 1 };
    if code != Some(want) {
        return Err(format!(
            "{name}: exit {code:?} at now={now}, Go's verdict means {want}; stderr: {stderr}"
        ));
    }
    Ok(if want == 0 { "valid" } else { "invalid" })
}

#[test]
fn inspect_agrees_with_go_on_every_vector() {
    let scratch = tempfile::tempdir().unwrap();
    let vectors = vectors();
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for (name, vector) in &vectors {
        match check(name, vector, scratch.path()) {
            Ok(outcome) => *counts.entry(outcome).or_default() += 1,
            Err(failure) => failures.push(failure),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
    eprintln!("{} vectors: {counts:?}", vectors.len());
    // Every kind of outcome must have been exercised, so an emptied or renamed vector
    // directory cannot pass unnoticed.
    for outcome in ["valid", "invalid", "refused", "decoded as another type"] {
        assert!(
            counts.get(outcome).is_some_and(|n| *n > 0),
            "no {outcome} vector"
        );
    }
}
