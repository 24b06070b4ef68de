//! `provisioner tenant`: a tenant's admin manages its users and invites through the
//! tenant admin endpoints, connected with the admin's creds file (a user of the tenant
//! account carrying the admin tag).
//!
//! `users list|show NAME|revoke NAME`, `invites create|list|revoke ID`, `quota`,
//! `issuances`. Output is
//! a short table, or the endpoint's JSON with `--json`. Exit 0 on success, 2 when the
//! service refuses (403, 404, …), 1 on other errors. An invite's token is printed once,
//! on creation, and written nowhere.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::Value;

use crate::cli::connection::Connection;
use crate::cli::nats_args::{parse_duration, EstateDefaults, DEFAULT_NATS_URL};
use crate::cli::tenant_output::print_reply;
use crate::config::DEFAULT_ADMIN_SUBJECT_PREFIX;
use crate::exit::Outcome;
use crate::tenant_admin::wire::{AdminOp, AdminRequest, UserStatus};
use crate::wire::{ErrorReply, SERVICE_ERROR_CODE_HEADER};

/// Arguments of `provisioner tenant`. Every option may also come after the subcommand
/// (`tenant users list --creds admin.creds`).
#[derive(Debug, Args)]
pub struct TenantArgs {
    /// NATS server URL [default: the estate's `nats_url`, else nats://127.0.0.1:4222].
    #[arg(
        short = 's',
        long = "server",
        env = "PROVISIONER_NATS_URL",
        global = true
    )]
    pub nats_url: Option<String>,
    /// The tenant admin's creds file.
    #[arg(
        long,
        env = "PROVISIONER_ADMIN_CREDS",
        value_name = "FILE",
        global = true
    )]
    pub creds: Option<PathBuf>,
    /// Subject prefix of the admin endpoints [default: the estate's
    /// `admin_subject_prefix`, else creds.admin].
    #[arg(long, env = "PROVISIONER_ADMIN_SUBJECT_PREFIX", global = true)]
    pub prefix: Option<String>,
    /// An estate folder made by `nsc-setup init`: its `provisioner.toml` gives the server
    /// URL and the admin subject prefix (flags still win).
    #[arg(long, env = "PROVISIONER_ESTATE", value_name = "DIR", global = true)]
    pub estate: Option<PathBuf>,
    /// Inbox prefix replies come back on [default: `_INBOX.<name>` of the creds file's
    /// user, the private inbox an `nsc-setup` estate lets it subscribe to].
    #[arg(
        long,
        env = "PROVISIONER_INBOX_PREFIX",
        value_name = "PREFIX",
        global = true
    )]
    pub inbox_prefix: Option<String>,
    /// The tenant; the service refuses any but the admin's own.
    #[arg(long, global = true)]
    pub tenant: Option<String>,
    /// How long to wait for a reply.
    #[arg(long, default_value = "10s", value_parser = parse_duration, global = true)]
    pub timeout: Duration,
    /// Print the endpoint's JSON reply.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: TenantCommand,
}

/// `tenant` subcommands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// The tenant's users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// The tenant's invites.
    #[command(subcommand)]
    Invites(InvitesCommand),
    /// Active users and the tenant's limit.
    Quota,
    /// The tenant's issuance history, oldest first: who got credentials for which key,
    /// when, and by which door (needs a provisioner that keeps one).
    Issuances {
        /// Only this user's issuances.
        #[arg(long)]
        user: Option<String>,
        /// Only issuances at or after this time (Unix seconds).
        #[arg(long, conflicts_with = "last")]
        since: Option<i64>,
        /// Only issuances of this last stretch of time (`30m`, `1440m`, or seconds).
        #[arg(long, value_parser = parse_duration)]
        last: Option<Duration>,
        /// The most issuances to show (1–500; the provisioner's default is 100).
        #[arg(long)]
        limit: Option<u64>,
        /// Continue after a page: the cursor the previous page printed.
        #[arg(long)]
        cursor: Option<String>,
    },
}

/// `tenant users` subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// The users issued in the tenant, a page at a time (in the order they were last
    /// written); the output ends with the cursor of the next page when there is one.
    List {
        /// The most users to show (1–1000; the provisioner's default is 100).
        #[arg(long)]
        limit: Option<u64>,
        /// Continue after a page: the cursor the previous page printed.
        #[arg(long)]
        cursor: Option<String>,
        /// Only users whose name starts with this.
        #[arg(long)]
        prefix: Option<String>,
        /// Only users in this state.
        #[arg(long)]
        status: Option<UserStatus>,
    },
    /// One user.
    Show {
        /// The user name.
        name: String,
    },
    /// Revoke a user: never renewed again, and (when the provisioner can push account
    /// JWTs) closed and refused by the server.
    Revoke {
        /// The user name.
        name: String,
    },
}

/// `tenant invites` subcommands.
#[derive(Debug, Subcommand)]
pub enum InvitesCommand {
    /// Create an invite; its token is printed once.
    Create {
        /// The names it covers, a glob (`*` any run, `?` one character).
        #[arg(long, default_value = "*")]
        pattern: String,
        /// How many users it may mint.
        #[arg(long, default_value_t = 1)]
        uses: u64,
        /// How long it stays valid (`30m`, `24h` as `1440m`, or seconds).
        #[arg(long, default_value = "1440m", value_parser = parse_duration)]
        ttl: Duration,
        /// A tag stamped on users minted with it (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// The tenant's invites (never their tokens).
    List,
    /// Revoke an invite by id.
    Revoke {
        /// The invite id (from `create` or `list`).
        id: String,
    },
}

/// Runs `tenant`.
///
/// # Errors
/// Connection, timeout and reply errors; a refusal is reported and exits 2.
pub fn run(args: &TenantArgs) -> anyhow::Result<Outcome> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(tenant(args))
}

async fn tenant(args: &TenantArgs) -> anyhow::Result<Outcome> {
    let (op, mut request) = match &args.command {
        TenantCommand::Users(UsersCommand::List {
            limit,
            cursor,
            prefix,
            status,
        }) => (
            AdminOp::UsersList,
            AdminRequest {
                limit: *limit,
                cursor: cursor.clone(),
                prefix: prefix.clone(),
                status: *status,
                ..AdminRequest::default()
            },
        ),
        TenantCommand::Users(UsersCommand::Show { name }) => (AdminOp::UsersShow, named(name)),
        TenantCommand::Users(UsersCommand::Revoke { name }) => (AdminOp::UsersRevoke, named(name)),
        TenantCommand::Invites(InvitesCommand::Create {
            pattern,
            uses,
            ttl,
            tags,
        }) => (
            AdminOp::InvitesCreate,
            AdminRequest {
                name_pattern: Some(pattern.clone()),
                uses: Some(*uses),
                ttl_secs: Some(ttl.as_secs().max(1)),
                tags: (!tags.is_empty()).then(|| tags.clone()),
                ..AdminRequest::default()
            },
        ),
        TenantCommand::Invites(InvitesCommand::List) => {
            (AdminOp::InvitesList, AdminRequest::default())
        }
        TenantCommand::Invites(InvitesCommand::Revoke { id }) => (
            AdminOp::InvitesRevoke,
            AdminRequest {
                id: Some(id.clone()),
                ..AdminRequest::default()
            },
        ),
        TenantCommand::Quota => (AdminOp::Quota, AdminRequest::default()),
        TenantCommand::Issuances {
            user,
            since,
            last,
            limit,
            cursor,
        } => (
            AdminOp::Issuances,
            AdminRequest {
                name: user.clone(),
                since: since.or_else(|| {
                    last.map(|last| {
                        crate::service::unix_now()
                            .saturating_sub(i64::try_from(last.as_secs()).unwrap_or(i64::MAX))
                    })
                }),
                limit: *limit,
                cursor: cursor.clone(),
                ..AdminRequest::default()
            },
        ),
    };
    request.tenant.clone_from(&args.tenant);
    let estate = match &args.estate {
        Some(dir) => EstateDefaults::read(dir)?,
        None => EstateDefaults::default(),
    };
    let url = args
        .nats_url
        .clone()
        .or(estate.nats_url)
        .unwrap_or_else(|| String::from(DEFAULT_NATS_URL));
    let prefix = args
        .prefix
        .clone()
        .or(estate.admin_subject_prefix)
        .unwrap_or_else(|| String::from(DEFAULT_ADMIN_SUBJECT_PREFIX));
    let mut connection = Connection::open(
        &url,
        args.creds.as_deref(),
        args.inbox_prefix.as_deref(),
        args.timeout,
    )
    .await?;
    let subject = format!("{prefix}.{}", op.subject_suffix());
    let reply = connection
        .request(&subject, serde_json::to_vec(&request)?.into())
        .await?;
    let status = reply
        .headers
        .as_ref()
        .and_then(|h| h.get(SERVICE_ERROR_CODE_HEADER))
        .and_then(|v| v.as_str().parse::<u16>().ok());
    if let Some(status) = status {
        let error: ErrorReply = serde_json::from_slice(&reply.payload)
            .map_err(|_| anyhow::anyhow!("error reply {status} without a readable body"))?;
        eprintln!(
            "refused ({status} {}): {} [request {}]",
            error.error.code, error.error.reason, error.error.request_id
        );
        return Ok(if status >= 500 {
            Outcome::Error
        } else {
            Outcome::Denied
        });
    }
    if args.json {
        let value: Value = serde_json::from_slice(&reply.payload).context("reply is not JSON")?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(Outcome::Ok);
    }
    print_reply(op, &reply.payload)?;
    Ok(Outcome::Ok)
}

fn named(name: &str) -> AdminRequest {
    AdminRequest {
        name: Some(name.to_owned()),
        ..AdminRequest::default()
    }
}
