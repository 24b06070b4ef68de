//! `portal`: the tenant self-service HTTP API. `main` only installs logging, parses the
//! command line and hands over.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    portal::logging::init();
    portal::cli::run(portal::cli::Cli::parse())
}
