//! `agent approvals list|show ID|approve ID|deny ID --reason TEXT`: the service admin's
//! command line, over NATS with the service admin's creds (`nsc-setup --service` writes
//! `admin-<service>.creds`; the admin subtree it calls is closed to tenants). Prints the
//! records as a short table, or JSON with `--json`. Exit 0 on success, 2 when the site
//! refuses (not waiting for approval, no such resource), 1 on other failures.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::contract::{ApprovalV1, ApprovalsV1};
use crate::queued::client::approvals;

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Action {
    /// The resources waiting for approval at the site.
    List,
    /// One resource's record.
    Show,
    /// Approve it: its handler runs now.
    Approve,
    /// Deny it, with `--reason` shown to the user.
    Deny,
}

/// Arguments of `agent approvals`.
#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    /// What to do.
    #[arg(value_enum)]
    pub action: Action,
    /// The resource id (show, approve, deny).
    pub id: Option<String>,
    /// Why it is denied (deny).
    #[arg(long)]
    pub reason: Option<String>,
    /// NATS server URL.
    #[arg(
        short = 's',
        long = "server",
        env = "AGENT_SERVER",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub server: String,
    /// The service admin's creds file.
    #[arg(long, env = "AGENT_ADMIN_CREDS", value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// The service.
    #[arg(long, env = "AGENT_SERVICE")]
    pub service: String,
    /// The site.
    #[arg(long, env = "AGENT_SITE")]
    pub site: String,
    /// How long to wait (an approval waits for the handler).
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `agent approvals`.
pub fn run(args: &ApprovalsArgs) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(rt) => rt.block_on(call(args)),
        Err(err) => Err(anyhow::anyhow!("starting the runtime: {err}")),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("agent approvals: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn call(args: &ApprovalsArgs) -> anyhow::Result<ExitCode> {
    let needs_id = args.action != Action::List;
    anyhow::ensure!(!needs_id || args.id.is_some(), "give the resource id");
    let mut options = async_nats::ConnectOptions::new();
    if let Some(path) = &args.creds {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading `{}`: {e}", path.display()))?;
        options = async_nats::ConnectOptions::with_credentials(&text)?;
        if let Some(prefix) = claims::creds_inbox_prefix(&text) {
            options = options.custom_inbox_prefix(prefix);
        }
    }
    let client = options
        .connect(crate::servers::server_addrs(&args.server)?)
        .await
        .map_err(|e| anyhow::anyhow!("connecting to `{}`: {e}", args.server))?;
    let request = ApprovalV1 {
        action: format!("{:?}", args.action).to_lowercase(),
        id: args.id.clone(),
        reason: args.reason.clone(),
    };
    let at = (args.service.as_str(), args.site.as_str());
    let answer = approvals(
        &client,
        at,
        &request,
        Duration::from_secs(args.timeout_secs),
    )
    .await?;
    match answer {
        Ok(answered) => {
            if args.json {
                println!("{}", serde_json::to_string(&answered)?);
            } else {
                print_table(&answered);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            if args.json {
                println!("{}", serde_json::to_string(&error)?);
            }
            eprintln!(
                "refused by site {} ({}): {}",
                error.site, error.error_type, error.message
            );
            Ok(ExitCode::from(2))
        }
    }
}

fn print_table(answered: &ApprovalsV1) {
    println!(
        "site {}: {} resource(s)",
        answered.site,
        answered.resources.len()
    );
    for r in &answered.resources {
        let error = r
            .lifecycle
            .error
            .as_deref()
            .map(|e| format!("  ({e})"))
            .unwrap_or_default();
        println!(
            "{:<12} {:<16} {:<12} {:?}  for {}{error}",
            r.id, r.tenant, r.resource_type, r.lifecycle.status, r.target_entity
        );
    }
}
