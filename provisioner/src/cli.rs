//! The command line: global flags and the subcommands, each in its own file under `cli/`.

pub mod inspect;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::Outcome;

/// Mint NATS user credentials over NATS, gated by an account policy.
#[derive(Debug, Parser)]
#[command(author, version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a JWT or a creds file, verify its signature and print its claims.
    ///
    /// Exits 0 when the token is valid, 1 (with the reason) when it is not. A seed in a
    /// creds file is never printed.
    Inspect(inspect::InspectArgs),
}

/// Runs the chosen subcommand and maps its outcome to the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
    };
    match outcome {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            Outcome::Error.into()
        }
    }
}
