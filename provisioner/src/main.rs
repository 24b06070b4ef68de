//! `provisioner`: mints NATS user credentials over NATS, gated by an account policy.
//!
//! `main` only parses the command line and hands over to the subcommand; every
//! subcommand lives in `cli/`.

use std::process::ExitCode;

use clap::Parser;

// Every request allocates its parsed JSON, claims, JWT text and reply; under load the
// system allocator's locking and consolidation were a seventh of the responder's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    provisioner::logging::init();
    let cli = provisioner::cli::Cli::parse();
    provisioner::cli::run(cli)
}
