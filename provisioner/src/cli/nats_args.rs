//! Connection flags shared by the client subcommands (`request`, `bench`), and the
//! defaults an estate folder gives them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use crate::cli::connection::client_options;

/// Where and as whom to connect.
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// NATS server URL [default: the estate's `nats_url`, else nats://127.0.0.1:4222].
    #[arg(short = 's', long = "server", env = "PROVISIONER_NATS_URL")]
    pub nats_url: Option<String>,
    /// Creds file to connect with (for example a tenant's bootstrap user).
    #[arg(long, env = "PROVISIONER_CLIENT_CREDS", value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// Credential request subject [default: the estate's `subject`, else chat.req.access].
    #[arg(long, env = "PROVISIONER_SUBJECT")]
    pub subject: Option<String>,
    /// An estate folder made by `nsc-setup init`: its `provisioner.toml` gives the server
    /// URL and the request subject (flags still win).
    #[arg(long, env = "PROVISIONER_ESTATE", value_name = "DIR")]
    pub estate: Option<PathBuf>,
    /// Inbox prefix replies come back on [default: `_INBOX.<name>` of the creds file's
    /// user, the private inbox an `nsc-setup` estate lets it subscribe to; `_INBOX`
    /// without creds or when the name is not one subject token].
    #[arg(long, env = "PROVISIONER_INBOX_PREFIX", value_name = "PREFIX")]
    pub inbox_prefix: Option<String>,
    /// How long to wait for a reply.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// The server and subject a client call goes to, after flags, environment and estate.
#[derive(Debug, Clone)]
pub struct Target {
    /// NATS server URL.
    pub nats_url: String,
    /// Credential request subject.
    pub subject: String,
}

impl NatsArgs {
    /// Where to send: a flag or variable, else the estate's `provisioner.toml`, else the
    /// built-in default.
    ///
    /// # Errors
    /// When `--estate` names a folder without a readable `provisioner.toml`.
    pub fn target(&self) -> anyhow::Result<Target> {
        let estate = match &self.estate {
            Some(dir) => EstateDefaults::read(dir)?,
            None => EstateDefaults::default(),
        };
        Ok(Target {
            nats_url: self
                .nats_url
                .clone()
                .or(estate.nats_url)
                .unwrap_or_else(|| String::from(DEFAULT_NATS_URL)),
            subject: self
                .subject
                .clone()
                .or(estate.subject)
                .unwrap_or_else(|| String::from(crate::config::DEFAULT_SUBJECT)),
        })
    }

    /// Connects as configured ([`client_options`]), for load generation (no server-error
    /// watch).
    ///
    /// # Errors
    /// When the creds file cannot be read, the inbox prefix is not a subject or the server
    /// refuses the connection.
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        let url = self.target()?.nats_url;
        client_options(self.creds.as_deref(), self.inbox_prefix.as_deref())?
            .request_timeout(Some(self.timeout))
            .connect(url.as_str())
            .await
            .with_context(|| format!("connecting to `{url}`"))
    }
}

/// The server URL when neither a flag, a variable nor an estate names one.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

/// What a client takes from an estate's `provisioner.toml`; other keys are the
/// service's and are ignored here.
#[derive(Debug, Default, serde::Deserialize)]
pub struct EstateDefaults {
    /// `nats_url`.
    pub nats_url: Option<String>,
    /// `subject`.
    pub subject: Option<String>,
    /// `admin_subject_prefix`.
    pub admin_subject_prefix: Option<String>,
}

impl EstateDefaults {
    /// Reads `DIR/provisioner.toml`.
    ///
    /// # Errors
    /// When the file is missing or is not TOML.
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("provisioner.toml");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading `{}` (is `{}` an estate made by `nsc-setup init`?)",
                path.display(),
                dir.display()
            )
        })?;
        toml::from_str(&text).with_context(|| format!("reading `{}`", path.display()))
    }
}

/// Parses `500ms`, `10s`, `2m` or a bare number of seconds.
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (text.get(..i).unwrap_or(""), text.get(i..).unwrap_or("")),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 500ms, 10s or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("`{text}` is not a duration like 500ms, 10s or 2m")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5h").is_err());
    }
}
