//! `nsc-setup push`: send account JWTs to a running full resolver and report each
//! server's answer.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use nsc_setup::PushOptions;

use super::common::{print_push_report, runtime, DirArgs};

/// `push` arguments.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// The estate.
    #[command(flatten)]
    pub dir: DirArgs,
    /// The server to push to, e.g. `nats://127.0.0.1:4222`.
    #[arg(long, env = "NSC_SETUP_SERVER")]
    pub server: String,
    /// Push only this account (repeatable); all accounts when absent.
    #[arg(long = "account")]
    pub accounts: Vec<String>,
    /// How long to wait for answers, in milliseconds.
    #[arg(long, env = "NSC_SETUP_PUSH_TIMEOUT_MS", default_value_t = 3000)]
    pub timeout_ms: u64,
    /// Stop waiting once this many servers answered for each account.
    #[arg(long, env = "NSC_SETUP_EXPECTED_SERVERS")]
    pub expected_servers: Option<usize>,
}

/// Pushes and prints the answers; fails when any account was not accepted everywhere.
pub fn run(args: &PushArgs) -> anyhow::Result<ExitCode> {
    let options = PushOptions {
        timeout: Duration::from_millis(args.timeout_ms),
        expected_servers: args.expected_servers,
        ..PushOptions::default()
    };
    let only: Vec<&str> = args.accounts.iter().map(String::as_str).collect();
    let report = runtime()?
        .block_on(nsc_setup::push_dir(
            &args.dir.dir,
            &args.server,
            &only,
            options,
        ))
        .with_context(|| format!("pushing to `{}`", args.server))?;
    Ok(if print_push_report(&report) {
        ExitCode::SUCCESS
    } else {
        eprintln!("nsc-setup: some accounts were not accepted");
        ExitCode::FAILURE
    })
}
