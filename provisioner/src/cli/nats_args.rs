//! Connection flags shared by the client subcommands (`request`, `bench`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

/// Where and as whom to connect.
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// NATS server URL.
    #[arg(
        short = 's',
        long = "server",
        env = "PROVISIONER_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// Creds file to connect with (for example a tenant's bootstrap user).
    #[arg(long, env = "PROVISIONER_CLIENT_CREDS", value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// Credential request subject.
    #[arg(long, env = "PROVISIONER_SUBJECT", default_value = crate::config::DEFAULT_SUBJECT)]
    pub subject: String,
    /// How long to wait for a reply.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

impl NatsArgs {
    /// Connects as configured.
    ///
    /// # Errors
    /// When the creds file cannot be read or the server refuses the connection.
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        let options = match &self.creds {
            Some(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .with_context(|| format!("reading creds `{}`", path.display()))?,
            None => async_nats::ConnectOptions::new(),
        };
        options
            .request_timeout(Some(self.timeout))
            .connect(self.nats_url.as_str())
            .await
            .with_context(|| format!("connecting to `{}`", self.nats_url))
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
