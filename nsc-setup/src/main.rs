//! `nsc-setup`: bootstrap the operator estate, add tenants, push account JWTs, describe
//! the estate. Parses the command line and hands over to `cli`.

mod cli;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
