//! The command line: one module per subcommand, each `run(&Args) -> anyhow::Result<ExitCode>`,
//! and `common` for what they share.
//! Errors print as one line on stderr; bad input exits 64, other failures 1.

mod common;
mod describe;
mod init;
mod portal;
mod push;
mod regions;
mod tenant;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    Init(Box<init::InitArgs>),
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
                | EstateError::Options { .. }
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
