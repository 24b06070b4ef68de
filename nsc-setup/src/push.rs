//! Pushing account JWTs to running full (NATS-based) resolvers, as `nsc push` does: each
//! JWT is published to `$SYS.REQ.CLAIMS.UPDATE` as the system account's user, and every
//! server's answer is collected until a short deadline (one answer per server in a
//! cluster).
//!
//! A memory resolver does not listen there; its accounts get "no responders". Not here:
//! building or storing JWTs.

use std::path::Path;
use std::time::Duration;

use async_nats::{Client, ConnectOptions, StatusCode, Subscriber};
use futures::StreamExt as _;
use serde_json::Value;
use tokio::time::Instant;

use crate::error::PushError;
use crate::estate::AccountEntry;
use crate::layout::Layout;
use crate::load::load_dir;
use crate::topology::{SYS_ACCOUNT, SYS_USER};

/// Where account JWTs are sent.
pub const CLAIMS_UPDATE_SUBJECT: &str = "$SYS.REQ.CLAIMS.UPDATE";
/// How long to wait for answers by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// After the first answer, how long to wait for other servers' answers when the number
/// of servers is not known.
pub const DEFAULT_GRACE: Duration = Duration::from_millis(250);

/// How to collect answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushOptions {
    /// The longest wait for answers, for all accounts together.
    pub timeout: Duration,
    /// Stop collecting for an account once this many servers answered; `None`: stop
    /// [`PushOptions::grace`] after the first answer.
    pub expected_servers: Option<usize>,
    /// See [`PushOptions::expected_servers`].
    pub grace: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            timeout: DEFAULT_TIMEOUT,
            expected_servers: None,
            grace: DEFAULT_GRACE,
        }
    }
}

/// One server's answer to one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAnswer {
    /// The server's name (or id), empty when it did not say.
    pub server: String,
    /// Whether it accepted the JWT.
    pub ok: bool,
    /// Its status code (200 on success).
    pub code: i64,
    /// Its message or error description.
    pub message: String,
}

/// The answers to one account's push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPush {
    /// The account name.
    pub account: String,
    /// Its public key.
    pub public_key: String,
    /// Every answer received, in arrival order.
    pub answers: Vec<ServerAnswer>,
}

impl AccountPush {
    /// At least one server answered and every answer was a success.
    pub fn ok(&self) -> bool {
        !self.answers.is_empty() && self.answers.iter().all(|a| a.ok)
    }
}

/// The answers to a push of several accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// One entry per account pushed, in push order.
    pub accounts: Vec<AccountPush>,
}

impl PushReport {
    /// Every account was accepted by every server that answered, and each had an answer.
    pub fn ok(&self) -> bool {
        self.accounts.iter().all(AccountPush::ok)
    }
}

/// Connects to `url` as the user of `creds_path` (the system account's user).
///
/// # Errors
/// [`PushError::Creds`] or [`PushError::Connect`].
pub async fn connect(url: &str, creds_path: &Path) -> Result<Client, PushError> {
    let options = ConnectOptions::with_credentials_file(creds_path)
        .await
        .map_err(|err| PushError::Creds {
            path: creds_path.to_path_buf(),
            reason: err.to_string(),
        })?;
    options
        .name("nsc-setup push")
        .connection_timeout(DEFAULT_TIMEOUT)
        .connect(url)
        .await
        .map_err(|err| PushError::Connect {
            url: url.to_owned(),
            reason: err.to_string(),
        })
}

/// Pushes each account's JWT on `client` and collects the servers' answers.
///
/// # Errors
/// [`PushError::Nats`] when subscribing or publishing fails.
pub async fn push_accounts(
    client: &Client,
    accounts: &[&AccountEntry],
    options: PushOptions,
) -> Result<PushReport, PushError> {
    let deadline = Instant::now() + options.timeout;
    let mut pending = Vec::with_capacity(accounts.len());
    for account in accounts {
        let inbox = client.new_inbox();
        let subscriber = client
            .subscribe(inbox.clone())
            .await
            .map_err(|err| nats_error("subscribing to answers", &err))?;
        client
            .publish_with_reply(CLAIMS_UPDATE_SUBJECT, inbox, account.jwt.clone().into())
            .await
            .map_err(|err| nats_error("publishing an account JWT", &err))?;
        pending.push((account, subscriber));
    }
    client
        .flush()
        .await
        .map_err(|err| nats_error("flushing", &err))?;
    let collected = pending.into_iter().map(|(account, subscriber)| async move {
        AccountPush {
            account: account.name.clone(),
            public_key: account.public_key().to_owned(),
            answers: collect(subscriber, deadline, options).await,
        }
    });
    Ok(PushReport {
        accounts: futures::future::join_all(collected).await,
    })
}

/// Pushes every account (or those named in `only`) of the estate in `dir` to the server at
/// `url`, connected as the system account's user `sys`.
///
/// # Errors
/// [`PushError::Store`] when the estate cannot be read or names an unknown account, and
/// the errors of [`connect`] and [`push_accounts`].
pub async fn push_dir(
    dir: &Path,
    url: &str,
    only: &[&str],
    options: PushOptions,
) -> Result<PushReport, PushError> {
    let estate = load_dir(dir)?;
    let mut accounts = Vec::new();
    for name in only {
        let account = estate.account(name).ok_or_else(|| {
            crate::error::StoreError::from(crate::EstateError::NoAccount {
                name: (*name).to_owned(),
            })
        })?;
        accounts.push(account);
    }
    if only.is_empty() {
        accounts.extend(estate.accounts.iter());
    }
    let creds =
        Layout::new(dir)
            .key_store()
            .creds_path(&estate.operator.name, SYS_ACCOUNT, SYS_USER);
    let client = connect(url, &creds).await?;
    let report = push_accounts(&client, &accounts, options).await;
    // Nothing is pending after the flush; a failed drain changes nothing for the report.
    let _drained = client.drain().await;
    report
}

/// Collects answers on `subscriber` per `options`.
async fn collect(
    mut subscriber: Subscriber,
    deadline: Instant,
    options: PushOptions,
) -> Vec<ServerAnswer> {
    let mut answers = Vec::new();
    let mut stop = deadline;
    while let Ok(Some(message)) = tokio::time::timeout_at(stop, subscriber.next()).await {
        if message.status == Some(StatusCode::NO_RESPONDERS) {
            answers.push(ServerAnswer {
                server: String::new(),
                ok: false,
                code: 503,
                message: String::from("no responders: the server has no full resolver"),
            });
            break;
        }
        answers.push(parse_answer(&message.payload));
        match options.expected_servers {
            Some(n) if answers.len() >= n => break,
            Some(_) => {}
            None => stop = deadline.min(Instant::now() + options.grace),
        }
    }
    answers
}

/// Reads a server's answer: `{"server":{"name":…},"data":{"code":200,"message":…}}` or
/// `{"error":{"code":…,"description":…}}`.
pub fn parse_answer(payload: &[u8]) -> ServerAnswer {
    let value: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    let server = ["name", "id"]
        .iter()
        .find_map(|k| {
            value
                .pointer(&format!("/server/{k}"))
                .and_then(Value::as_str)
        })
        .unwrap_or_default()
        .to_owned();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(data) = value.get("data") {
        let code = data.get("code").and_then(Value::as_i64).unwrap_or(200);
        return ServerAnswer {
            server,
            ok: (200..300).contains(&code),
            code,
            message: text(data, "message").unwrap_or_default(),
        };
    }
    if let Some(error) = value.get("error") {
        return ServerAnswer {
            server,
            ok: false,
            code: error.get("code").and_then(Value::as_i64).unwrap_or(500),
            message: text(error, "description").unwrap_or_default(),
        };
    }
    ServerAnswer {
        server,
        ok: false,
        code: 0,
        message: String::from("unreadable answer"),
    }
}

fn nats_error(action: &'static str, err: &dyn std::fmt::Display) -> PushError {
    PushError::Nats {
        action,
        reason: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_success_and_error_answers() {
        let ok = parse_answer(
            br#"{"server":{"name":"n1","id":"NID"},"data":{"code":200,"account":"A","message":"jwt updated"}}"#,
        );
        assert_eq!(
            ok,
            ServerAnswer {
                server: "n1".into(),
                ok: true,
                code: 200,
                message: "jwt updated".into()
            }
        );
        let err = parse_answer(
            br#"{"server":{"id":"NID"},"error":{"code":500,"account":"A","description":"not trusted"}}"#,
        );
        assert!(!err.ok);
        assert_eq!((err.server.as_str(), err.code), ("NID", 500));
        assert_eq!(err.message, "not trusted");
        assert!(!parse_answer(b"garbage").ok);
    }

    #[test]
    fn an_account_without_answers_failed() {
        let push = AccountPush {
            account: "A".into(),
            public_key: "AX".into(),
            answers: Vec::new(),
        };
        assert!(!push.ok());
        assert!(!PushReport {
            accounts: vec![push]
        }
        .ok());
        assert!(PushReport::default().ok());
    }
}
