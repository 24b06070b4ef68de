//! The command line: one module per subcommand, each `run(&Args) -> anyhow::Result<ExitCode>`.
//! Errors print as one line on stderr; bad input exits 64, other failures 1.

mod describe;
mod init;
mod push;
mod tenant;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use nsc_setup::{EstateError, StoreError};

/// Exit code for bad input (names, an existing directory without --force).
pub const EXIT_USAGE: u8 = 64;

/// Bootstrap and manage the NATS operator estate of the credential provisioner.
#[derive(Debug, Parser)]
#[command(author, version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the operator, accounts, users and config files in a new directory.
    Init(init::InitArgs),
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Send every account JWT to a running full resolver.
    Push(push::PushArgs),
    /// Show the estate as tables.
    Describe(describe::DescribeArgs),
}

/// Tenant subcommands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Add a tenant account with its keys, imports, users and policy entry.
    Add(tenant::TenantAddArgs),
}

/// The estate directory, shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct DirArgs {
    /// The estate directory.
    #[arg(long, env = "NSC_SETUP_DIR")]
    pub dir: PathBuf,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match &cli.command {
        Command::Init(args) => init::run(args),
        Command::Tenant(TenantCommand::Add(args)) => tenant::run(args),
        Command::Push(args) => push::run(args),
        Command::Describe(args) => describe::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("nsc-setup: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

/// 64 for bad input, 1 for the rest.
fn exit_code(err: &anyhow::Error) -> u8 {
    let bad_input = |estate: &EstateError| {
        matches!(
            estate,
            EstateError::Name { .. }
                | EstateError::DuplicateAccount { .. }
                | EstateError::NoAccount { .. }
                | EstateError::NoUser { .. }
        )
    };
    let usage = err.chain().any(|cause| {
        match cause.downcast_ref::<StoreError>() {
            Some(StoreError::Exists { .. }) => return true,
            Some(StoreError::Estate(estate)) => return bad_input(estate),
            _ => {}
        }
        cause.downcast_ref::<EstateError>().is_some_and(bad_input)
    });
    if usage {
        EXIT_USAGE
    } else {
        1
    }
}

/// A tokio runtime for the commands that talk to NATS.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Prints a push report as a table; returns whether everything was accepted.
fn print_push_report(report: &nsc_setup::PushReport) -> bool {
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
