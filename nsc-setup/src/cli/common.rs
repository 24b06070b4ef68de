//! What the subcommands share: the estate directory argument and, for those that talk to
//! NATS, the runtime and the push report table.

use std::path::PathBuf;

use clap::Args;

/// The estate directory, shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct DirArgs {
    /// The estate directory.
    #[arg(long, env = "NSC_SETUP_DIR")]
    pub dir: PathBuf,
}

/// A tokio runtime for the commands that talk to NATS.
pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Prints a push report as a table; returns whether everything was accepted.
pub(super) fn print_push_report(report: &nsc_setup::PushReport) -> bool {
    for account in &report.accounts {
        if account.answers.is_empty() {
            println!("{:<12} {}  no answer", account.account, account.public_key);
        }
        for answer in &account.answers {
            let status = if answer.ok { "ok" } else { "FAILED" };
            let server = if answer.server.is_empty() {
                "-"
            } else {
                answer.server.as_str()
            };
            println!(
                "{:<12} {}  {server}  {status} {}: {}",
                account.account, account.public_key, answer.code, answer.message
            );
        }
    }
    report.ok()
}
