//! The command line: `portal serve` (the HTTP API) and `portal bench` (a load generator
//! for it).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::ServeArgs;

/// The tenant self-service HTTP API of the NATS credential provisioner.
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
    /// Serve the HTTP API.
    Serve(Box<ServeArgs>),
    /// Load the HTTP API: concurrent clients ask for credentials for a while; prints
    /// creds/s and latency percentiles as `provisioner bench` does.
    Bench(crate::bench::BenchArgs),
}

/// Runs the command.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => crate::serve::run(&args),
        Command::Bench(args) => match crate::bench::run(&args) {
            Ok(outcome) => outcome.into(),
            Err(err) => {
                eprintln!("portal bench: {}", provisioner::exit::error_line(&err));
                ExitCode::FAILURE
            }
        },
    }
}
