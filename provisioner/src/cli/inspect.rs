//! `provisioner inspect`: decode a JWT or a creds file, verify it and print its claims.
//!
//! The input is a path to a file (a creds file or a file holding a token) or the token
//! itself. Only the JWT is read from a creds file; the seed is never printed.
//!
//! Tokens are read as Go's `nats-io/jwt/v2` can read them ([`claims::decode_any`]): the claim
//! types `jwt.Decode` knows as there, any other type (or none) as generic claims the way
//! `DecodeGeneric` does. The verdict is the exit status with the reasons on stderr, so the
//! `--json` output is the claims alone, as Go's `json.Marshal` writes them.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;

use crate::display::{claims_json, claims_table};
use crate::exit::Outcome;

/// Arguments of `provisioner inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A creds file, a file holding a JWT, or a JWT.
    pub input: String,

    /// Print the decoded claims alone as JSON, as Go's json.Marshal writes them (Go's field
    /// names; the body of generic claims as Go's interface{} values), instead of a table.
    /// The verdict is the exit status: 0 valid, 1 invalid, with the reasons on stderr.
    #[arg(long)]
    pub json: bool,

    /// Check `exp` and `nbf` against this unix time instead of the current time.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub now: Option<i64>,
}

/// Runs `inspect`.
///
/// # Errors
/// When the input file cannot be read.
pub fn run(args: &InspectArgs) -> anyhow::Result<Outcome> {
    let text = read_input(&args.input)?;
    let token = claims::jwt_from_creds_or_token(&text);
    let now = match args.now {
        Some(now) => now,
        None => unix_now(),
    };
    let decoded = match claims::decode_any(token) {
        Ok(decoded) => decoded,
        Err(err) => {
            eprintln!("invalid: {err}");
            return Ok(Outcome::Error);
        }
    };
    let problems = problems(&decoded, now);
    if args.json {
        println!("{}", claims_json(&decoded)?);
    } else {
        let verdict = if problems.is_empty() {
            "valid"
        } else {
            "INVALID"
        };
        print!("{}", claims_table(&decoded, verdict));
    }
    if problems.is_empty() {
        Ok(Outcome::Ok)
    } else {
        for problem in &problems {
            eprintln!("invalid: {problem}");
        }
        Ok(Outcome::Error)
    }
}

/// Everything that makes a verified token unusable at `now`.
fn problems(decoded: &claims::AnyClaims, now: i64) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(err) = decoded.standard().check_times(now) {
        problems.push(err.to_string());
    }
    let report = claims::validate_any(decoded, now);
    problems.extend(report.errors.iter().map(ToString::to_string));
    problems
}

fn read_input(input: &str) -> anyhow::Result<String> {
    let path = Path::new(input);
    // A JWT never contains a path separator and is far longer than any sane file name, so
    // an existing path wins and anything else is taken as the token itself.
    if input.len() < 4096 && path.is_file() {
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))
    } else if looks_like_token(input) {
        Ok(input.to_owned())
    } else if input.len() <= 100 {
        anyhow::bail!("`{input}` is neither a readable file nor a JWT")
    } else {
        // Long input may be a damaged token: do not echo it.
        anyhow::bail!("the input is neither a readable file nor a JWT")
    }
}

fn looks_like_token(input: &str) -> bool {
    input.trim().split('.').count() == 3
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
