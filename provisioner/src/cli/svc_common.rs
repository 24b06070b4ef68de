//! What every `provisioner svc` subcommand shares: the connection flags, connecting
//! (replies on the user's private inbox), and printing an agent's answer or refusal with
//! the exit code it maps to.

use std::path::PathBuf;

use agent::client::Answer;
use agent::locate::by_id::Reached;
use agent::{ErrorType, ErrorV1};
use anyhow::Context as _;
use clap::Args;

use crate::cli::connection::client_options;
use crate::exit::Outcome;

/// Connection and output flags shared by the `svc` subcommands.
#[derive(Debug, Clone, Args)]
pub struct SvcConnection {
    /// NATS server URL.
    #[arg(
        short = 's',
        long = "server",
        env = "PROVISIONER_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// Creds file to connect with (a minted user of your tenant).
    #[arg(long, env = "PROVISIONER_CLIENT_CREDS", value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// Inbox prefix replies come back on [default: `_INBOX.<name>` of the creds file's
    /// user, the private inbox an `nsc-setup` estate lets it subscribe to; `_INBOX`
    /// without creds or when the name is not one subject token].
    #[arg(long, env = "PROVISIONER_INBOX_PREFIX", value_name = "PREFIX")]
    pub inbox_prefix: Option<String>,
    /// The service name.
    #[arg(long)]
    pub service: String,
    /// Print the answers as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Connects with [`client_options`]: replies (every site's, for `list`) come back on the
/// user's private inbox.
pub async fn connect(conn: &SvcConnection) -> anyhow::Result<async_nats::Client> {
    client_options(conn.creds.as_deref(), conn.inbox_prefix.as_deref())?
        .connect(conn.nats_url.as_str())
        .await
        .with_context(|| format!("connecting to `{}`", conn.nats_url))
}

pub fn report<T: serde::Serialize>(
    answer: Answer<T>,
    json: bool,
    text: impl Fn(&T) -> String,
) -> Outcome {
    match answer {
        Ok(ok) => {
            if json {
                println!("{}", serde_json::to_string(&ok).unwrap_or_default());
            } else {
                println!("{}", text(&ok));
            }
            Outcome::Ok
        }
        Err(error) => {
            if json {
                println!("{}", serde_json::to_string(&error).unwrap_or_default());
            }
            eprintln!("{}", refusal(&error));
            refused_outcome(&error)
        }
    }
}

pub fn refusal(error: &ErrorV1) -> String {
    if error.site.is_empty() {
        // Not one site's answer: the search found the resource at no site.
        return format!("refused ({}): {}", error.error_type, error.message);
    }
    format!(
        "refused by site {} ({}): {}",
        error.site, error.error_type, error.message
    )
}

/// The answer of an operation on a resource whose site was searched for, after saying
/// on stderr where the search found it (stdout stays the answer alone, also for
/// `--json`).
pub fn located<T>(reached: Reached<T>) -> Answer<T> {
    if let Some(searched) = &reached.searched {
        let silent = if searched.missing.is_empty() {
            String::new()
        } else {
            format!(" (no answer from {})", searched.missing.join(", "))
        };
        match &searched.site {
            Some(site) => eprintln!("located at site {site}{silent}"),
            None => eprintln!("found at no site{silent}"),
        }
    }
    reached.answer
}

pub fn refused_outcome(error: &ErrorV1) -> Outcome {
    if error.error_type == ErrorType::Internal.code() {
        Outcome::Error
    } else {
        Outcome::Denied
    }
}
