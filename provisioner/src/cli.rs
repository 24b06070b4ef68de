//! The command line: global flags and the subcommands, each in its own file under `cli/`.

pub mod bench;
pub mod bench_report;
pub mod connection;
pub mod inspect;
pub mod nats_args;
pub mod policy;
pub mod proof;
pub mod request;
pub mod serve;
pub mod svc;
pub mod svc_common;
pub mod svc_queued;
pub mod tenant;
pub mod tenant_output;

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
    /// A type Go's jwt library does not know, or no type, is read as generic claims, as
    /// Go's DecodeGeneric reads it. Exits 0 when the token is valid, 1 (with the reason)
    /// when it is not. A seed in a creds file is never printed.
    Inspect(inspect::InspectArgs),
    /// Serve credential requests over NATS.
    ///
    /// With only `-s URL --acc ACCOUNT.jwt --sk SIGNING.nk --creds APP.creds` it serves
    /// the seed tutorial's `chat.req.access` for that one account in legacy mode.
    ///
    /// WARNING, legacy mode (the seed flags above, or a policy with `identity.legacy`)
    /// exposes every credential it issues: the reply to a plain-text request is a `.creds`
    /// file holding a seed the service made, sent to the requester's reply inbox in the
    /// requester's account, and every user of that account allowed to subscribe to
    /// `_INBOX.>` (the tutorial's users are) reads every reply, so every later user's seed,
    /// and can connect as that user. Use it for the tutorial only. An `nsc-setup` estate
    /// (`--config estate/provisioner.toml`) gives each user a private reply inbox,
    /// `_INBOX.<name>`, and clients keep their seeds.
    Serve(Box<crate::config::ServeArgs>),
    /// Ask a provisioner for credentials: makes the user key locally, proves possession
    /// and writes a creds file (mode 0600) holding the local seed.
    ///
    /// Exit 0 on success, 2 when the policy denies, 1 on other errors.
    Request(request::RequestArgs),
    /// Prove a key you keep, for a credential request sent by someone else on your
    /// behalf (the web portal's "use my own key"): prints the request's proof fields as
    /// JSON to paste there. The seed is read from a file and never printed.
    Proof(proof::ProofArgs),
    /// Check a policy file or explain its decision for a request.
    Policy(policy::PolicyArgs),
    /// Load-generate credential requests and print creds/s and latency percentiles.
    Bench(bench::BenchArgs),
    /// Call a tenant-scoped provisioning service: allocate, list (every site), deallocate.
    Svc(svc::SvcArgs),
    /// Manage your tenant as its admin: users (list, show, revoke), invites (create,
    /// list, revoke) and the quota, with the admin's creds file.
    ///
    /// Exit 0 on success, 2 when the service refuses, 1 on other errors.
    Tenant(tenant::TenantArgs),
}

/// Runs the chosen subcommand and maps its outcome to the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Request(args) => request::run(&args),
        Command::Proof(args) => proof::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Policy(args) => policy::run(&args),
        Command::Svc(args) => svc::run(&args),
        Command::Tenant(args) => tenant::run(&args),
    };
    match outcome {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            eprintln!("error: {}", crate::exit::error_line(&err));
            Outcome::Error.into()
        }
    }
}
