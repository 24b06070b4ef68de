//! `portal`: the tenant self-service HTTP API. `main` only installs logging, parses the
//! command line and hands over.

use std::process::ExitCode;

use clap::Parser;

// Each call allocates its key, proof, JSON and reply; the provisioner's profile showed
// the system allocator at a seventh of the work under load, so both use mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    portal::logging::init();
    portal::cli::run(portal::cli::Cli::parse())
}
