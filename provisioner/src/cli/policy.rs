//! `provisioner policy check FILE` and `provisioner policy explain FILE …`: validate a
//! policy file (every problem listed, exit 64) and show what it decides for a request.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use policy::{Identity, Policy};

use crate::exit::Outcome;
use crate::service::unix_now;

/// `provisioner policy …`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// What to do with the policy.
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// The policy subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file: exit 0, or 64 listing every problem with its place.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Print the decision for a hypothetical request, and every rule checked.
    ///
    /// Exit 0 when allowed, 2 when denied, 64 when the policy is invalid.
    Explain(ExplainArgs),
}

/// A hypothetical request for `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The policy file.
    pub file: PathBuf,
    /// The tenant the request is for.
    #[arg(long)]
    pub tenant: String,
    /// The user name asked for.
    #[arg(long)]
    pub name: String,
    /// A tag of the calling user (repeatable); implies the request came through the
    /// tenant's import.
    #[arg(long = "caller-tag")]
    pub caller_tags: Vec<String>,
    /// The request came through the tenant's import (even without caller tags).
    #[arg(long)]
    pub through_import: bool,
    /// The requested user public key [default: a fresh key].
    #[arg(long)]
    pub public_key: Option<String>,
    /// The request carries no verified proof of key possession.
    #[arg(long)]
    pub no_proof: bool,
    /// A plain-text legacy request.
    #[arg(long)]
    pub legacy: bool,
    /// Requested lifetime in seconds.
    #[arg(long)]
    pub ttl: Option<u64>,
    /// A requested tag (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// The request redeems an invite of the tenant, for any name, carrying this tag
    /// (repeatable), as an invite a tenant admin made does: shows what the invite's tags
    /// grant (`[[tenants.grants]]` whose tag cannot be requested).
    #[arg(long = "invite-tag")]
    pub invite_tags: Vec<String>,
    /// The request carries a verified ID token for the name whose tags claim holds this
    /// tag (repeatable): shows what the issuer's tags grant. The tenant must enable
    /// `identity.oidc`.
    #[arg(long = "id-token-tag")]
    pub id_token_tags: Vec<String>,
}

/// Runs `policy …`.
///
/// # Errors
/// When the file cannot be read.
pub fn run(args: &PolicyArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        PolicyCommand::Check { file } => {
            let Some(policy) = load(file)? else {
                return Ok(Outcome::BadConfig);
            };
            println!(
                "{}: valid, {} tenant(s)",
                file.display(),
                policy.tenants().len()
            );
            for tenant in policy.tenants() {
                println!(
                    "  {} ({}) namespace {}",
                    tenant.name(),
                    tenant.account(),
                    tenant.namespace()
                );
            }
            Ok(Outcome::Ok)
        }
        PolicyCommand::Explain(explain) => run_explain(explain),
    }
}

/// Reads and validates a policy; prints every problem and returns `None` when invalid.
fn load(file: &PathBuf) -> anyhow::Result<Option<Policy>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("reading `{}`: {e}", file.display()))?;
    match Policy::from_toml_str(&text) {
        Ok(policy) => Ok(Some(policy)),
        Err(errors) => {
            eprintln!("{}: {} problem(s)", file.display(), errors.len());
            for problem in errors.problems() {
                eprintln!("  {problem}");
            }
            Ok(None)
        }
    }
}

fn run_explain(args: &ExplainArgs) -> anyhow::Result<Outcome> {
    let Some(policy) = load(&args.file)? else {
        return Ok(Outcome::BadConfig);
    };
    let public_key = args
        .public_key
        .clone()
        .unwrap_or_else(|| claims::KeyPair::new_user().public_key());
    let mut request = policy::Request::new(args.name.clone(), public_key);
    request.ttl_secs = args.ttl;
    request.tags = args.tags.clone();
    request.legacy = args.legacy;
    request.proof_verified = !args.no_proof && !args.legacy;
    let through_import = args.through_import || !args.caller_tags.is_empty();
    let identity = match policy.tenant(&args.tenant) {
        Some(tenant) if through_import => {
            Identity::through_import(tenant.account(), args.caller_tags.iter().cloned())
        }
        _ => {
            request.tenant = Some(args.tenant.clone());
            Identity::anonymous()
        }
    };
    if !args.invite_tags.is_empty() {
        request.invite = Some(policy::InviteGrant {
            tenant: args.tenant.clone(),
            name_pattern: String::from("*"),
            tags: args.invite_tags.clone(),
        });
    }
    if !args.id_token_tags.is_empty() {
        request.credential = Some(policy::VerifiedCredential {
            kind: policy::CredentialKind::IdToken,
            via_callout: false,
            tenant: args.tenant.clone(),
            name: args.name.clone(),
            tags: args.id_token_tags.clone(),
            not_after: None,
        });
    }
    let decision = policy::evaluate(&policy, &request, &identity, unix_now());
    let text = decision.to_string();
    println!("{}", text.trim_end());
    Ok(if decision.is_allow() {
        Outcome::Ok
    } else {
        Outcome::Denied
    })
}
