//! Golden vectors made by Go's `nats-io/jwt/v2` (v2.8.2, and v2.3.0 for the generic claims
//! of `gen-generic`): every `*.json` in the directory named by `CLAIMS_VECTORS` (default:
//! `tests/vectors`) is decoded, compared, validated and, where Go reproduces it, re-encoded
//! byte for byte. Where a vector also says what Go's `jwt.Decode` does (`decode_any_ok`),
//! [`claims::decode`] is held to that. The format is in `tests/vectors/README.md`.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test harness: a missing or malformed vector must fail the test loudly"
)]

use std::path::PathBuf;

use claims::{
    decode_generic, AccountClaims, ActivationClaims, AnyClaims, AuthorizationRequestClaims,
    AuthorizationResponseClaims, Claims, GenericClaims, KeyPair, OperatorClaims, UserClaims,
    Validate, ValidationReport,
};
use serde_json::Value;

struct Vector {
    file: String,
    raw: Value,
}

impl Vector {
    fn str(&self, key: &str) -> &str {
        self.raw
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
    fn bool(&self, key: &str) -> bool {
        self.raw.get(key).and_then(Value::as_bool).unwrap_or(false)
    }
}

fn vectors_dir() -> PathBuf {
    match std::env::var_os("CLAIMS_VECTORS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors"),
    }
}

fn load_vectors() -> Vec<Vector> {
    let dir = vectors_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading vectors dir {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.json vectors in {}", dir.display());
    files
        .into_iter()
        .map(|path| Vector {
            file: path.file_name().unwrap().to_string_lossy().into_owned(),
            raw: serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display())),
        })
        .collect()
}

/// Decodes with the decoder Go's `DecodeXxxClaims` for `kind` corresponds to.
fn decode_as(kind: &str, token: &str) -> Result<Decoded, claims::ClaimsError> {
    Ok(match kind {
        "user" => Decoded::Any(AnyClaims::User(UserClaims::decode(token)?)),
        "account" => Decoded::Any(AnyClaims::Account(AccountClaims::decode(token)?)),
        "operator" => Decoded::Any(AnyClaims::Operator(OperatorClaims::decode(token)?)),
        "activation" => Decoded::Any(AnyClaims::Activation(ActivationClaims::decode(token)?)),
        "authorization_request" => Decoded::Any(AnyClaims::AuthorizationRequest(
            AuthorizationRequestClaims::decode(token)?,
        )),
        "authorization_response" => Decoded::Any(AnyClaims::AuthorizationResponse(
            AuthorizationResponseClaims::decode(token)?,
        )),
        "generic" => Decoded::Generic(decode_generic(token)?),
        other => panic!("unknown vector kind `{other}`"),
    })
}

#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per vector; boxing buys nothing"
)]
enum Decoded {
    Any(AnyClaims),
    Generic(GenericClaims),
}

impl Decoded {
    fn to_value(&self) -> Value {
        match self {
            Decoded::Any(any) => any.to_value(),
            Decoded::Generic(g) => g.to_value(),
        }
    }

    fn validate(&self, now: i64) -> ValidationReport {
        match self {
            Decoded::Any(any) => any.validate(now),
            Decoded::Generic(g) => g.validate(now),
        }
    }
}

/// The clock for validation: every vector's `exp`/`nbf` is before 2021 or after 2099.
const NOW: i64 = 1_800_000_000;

/// The length of a string-array field of the vector.
fn list_len(v: &Vector, key: &str) -> usize {
    v.raw.get(key).and_then(Value::as_array).map_or(0, Vec::len)
}

/// JSON equality where numbers compare exactly as integers, or as floats when either is one.
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

fn reencode(kind: &str, claims: &Value, signer: &KeyPair, iat: i64) -> String {
    fn typed<N: claims::ClaimBody>(claims: &Value, signer: &KeyPair, iat: i64) -> String {
        let mut c: Claims<N> = serde_json::from_value(claims.clone()).unwrap();
        c.encode(signer, iat).unwrap()
    }
    match kind {
        "user" => typed::<claims::User>(claims, signer, iat),
        "account" => typed::<claims::Account>(claims, signer, iat),
        "operator" => typed::<claims::Operator>(claims, signer, iat),
        "activation" => typed::<claims::Activation>(claims, signer, iat),
        "authorization_request" => typed::<claims::AuthorizationRequest>(claims, signer, iat),
        "authorization_response" => typed::<claims::AuthorizationResponse>(claims, signer, iat),
        "generic" => {
            let mut g = GenericClaims {
                aud: claims["aud"].as_str().unwrap_or_default().into(),
                exp: claims["exp"].as_i64().unwrap_or_default(),
                name: claims["name"].as_str().unwrap_or_default().into(),
                nbf: claims["nbf"].as_i64().unwrap_or_default(),
                sub: claims["sub"].as_str().unwrap_or_default().into(),
                nats: claims.get("nats").and_then(Value::as_object).cloned(),
                ..Default::default()
            };
            g.encode(signer, iat).unwrap()
        }
        other => panic!("unknown vector kind `{other}`"),
    }
}

/// Holds [`claims::decode`] to what Go's `jwt.Decode` did, where the vector records it.
fn check_jwt_decode(v: &Vector, failures: &mut Vec<String>) -> bool {
    let Some(go_ok) = v.raw.get("decode_any_ok").and_then(Value::as_bool) else {
        return false;
    };
    match (claims::decode(v.str("jwt")), go_ok) {
        (Ok(ours), true) => {
            let ours = ours.to_value();
            let go = v.raw.get("decode_any_claims").unwrap_or(&Value::Null);
            if !json_equal(&ours, go) {
                failures.push(format!(
                    "{}: jwt.Decode claims differ\n ours: {ours}\n go:   {go}",
                    v.file
                ));
            }
        }
        (Err(_), false) => {}
        (Ok(_), false) => failures.push(format!(
            "{}: decode accepts it, Go's jwt.Decode says {}",
            v.file,
            v.str("decode_any_error")
        )),
        (Err(e), true) => failures.push(format!(
            "{}: decode refuses it ({e}), Go's jwt.Decode accepts it",
            v.file
        )),
    }
    true
}

#[test]
fn every_vector_matches_go() {
    let vectors = load_vectors();
    let mut failures = Vec::new();
    let mut counts = [0usize; 4]; // decoded, refused, re-encoded, jwt.Decode checked
    for v in &vectors {
        if check_jwt_decode(v, &mut failures) {
            counts[3] += 1;
        }
        let kind = v.str("kind");
        let token = v.str("jwt");
        let decoded = decode_as(kind, token);
        if !v.bool("decode_ok") {
            match decoded {
                Ok(_) => failures.push(format!("{}: decoded, Go refuses it", v.file)),
                Err(_) => counts[1] += 1,
            }
            continue;
        }
        let decoded = match decoded {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{}: decode failed: {e}", v.file));
                continue;
            }
        };
        counts[0] += 1;
        // Compare before validating: Go's `Validate` rewrites a trace sampling of 0.
        let ours = decoded.to_value();
        if !json_equal(&ours, &v.raw["claims"]) {
            failures.push(format!(
                "{}: claims differ\n ours: {ours}\n go:   {}",
                v.file, v.raw["claims"]
            ));
        }
        let report = decoded.validate(NOW);
        let go_errors = list_len(v, "validation_errors");
        if (go_errors > 0) == report.is_valid() {
            failures.push(format!(
                "{}: Go reports {go_errors} validation errors, we report {:?}",
                v.file, report.errors
            ));
        }
        if go_errors > 0 {
            eprintln!(
                "{}: validation errors: go {go_errors}, ours {}",
                v.file,
                report.errors.len()
            );
        }
        let go_warnings = list_len(v, "validation_warnings");
        if go_warnings != report.warnings.len() {
            eprintln!(
                "{}: validation warnings: go {go_warnings}, ours {}",
                v.file,
                report.warnings.len()
            );
        }
        if v.bool("reencode_identical") {
            let signer = KeyPair::from_seed(v.str("signer_seed")).unwrap();
            let iat = v.raw["iat"].as_i64().unwrap();
            let again = reencode(kind, &v.raw["claims"], &signer, iat);
            if again != token {
                failures.push(format!("{}: re-encoding differs", v.file));
            } else {
                counts[2] += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} vectors: {} decoded, {} refused, {} re-encoded byte for byte, {} against jwt.Decode",
        vectors.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    );
}
