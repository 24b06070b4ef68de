//! `provisioner`: mints NATS user credentials over NATS, gated by an account policy.
//!
//! `main` only parses the command line and hands over to the subcommand; every
//! subcommand lives in `cli/`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    provisioner::logging::init();
    let cli = provisioner::cli::Cli::parse();
    provisioner::cli::run(cli)
}
