//! The CLI's connection for one-shot calls (`request`, `tenant`): it watches what the
//! server reports on the connection, so a call the user's permissions forbid fails at
//! once and names the subject, instead of waiting out the timeout while the real cause
//! shows only in the server's log.
//!
//! Every client command (these, `bench` and `svc`) connects with [`client_options`]:
//! replies come back on the user's private inbox prefix, `_INBOX.<name>` of the creds
//! file's user, which is all an `nsc-setup` estate lets a tenant user subscribe to.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::{Event, Message, RequestErrorKind};
use bytes::Bytes;
use tokio::sync::mpsc;

/// A connected client and the errors the server sent on its connection.
pub struct Connection {
    client: async_nats::Client,
    server_errors: mpsc::UnboundedReceiver<String>,
    timeout: Duration,
}

/// The part of a server error naming a permission refusal, e.g.
/// `Permissions Violation for Publish to "creds.request"`.
const PERMISSIONS_VIOLATION: &str = "permissions violation";

impl Connection {
    /// Connects to `url` with [`client_options`]; replies are awaited up to `timeout`.
    ///
    /// # Errors
    /// When the creds file cannot be read, the inbox prefix is not a subject or the server
    /// refuses the connection.
    pub async fn open(
        url: &str,
        creds: Option<&Path>,
        inbox_prefix: Option<&str>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let options = client_options(creds, inbox_prefix)?;
        let (tx, server_errors) = mpsc::unbounded_channel();
        let client = options
            .request_timeout(Some(timeout))
            .event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    if let Event::ServerError(err) = event {
                        // Nobody listening any more only means the call has ended.
                        let _ = tx.send(err.to_string());
                    }
                }
            })
            .connect(url)
            .await
            .with_context(|| format!("connecting to `{url}`"))?;
        Ok(Connection {
            client,
            server_errors,
            timeout,
        })
    }

    /// Sends a request on `subject` and waits for its reply. A permissions violation the
    /// server reports meanwhile ends the wait with an error that names it.
    ///
    /// # Errors
    /// Permission refusals, no responders, timeouts and connection errors, each with what
    /// to check.
    pub async fn request(&mut self, subject: &str, payload: Bytes) -> anyhow::Result<Message> {
        let call = self.client.request(subject.to_owned(), payload);
        tokio::pin!(call);
        loop {
            tokio::select! {
                reply = &mut call => {
                    return reply.map_err(|err| match err.kind() {
                        RequestErrorKind::NoResponders => anyhow::anyhow!(
                            "nothing answers on `{subject}` (no responders): is the service \
                             running, and is `{subject}` the subject it serves?"
                        ),
                        RequestErrorKind::TimedOut => anyhow::anyhow!(
                            "no reply on `{subject}` within {:?}: the service may be \
                             overloaded or stopped; retry, or raise --timeout",
                            self.timeout
                        ),
                        RequestErrorKind::InvalidSubject => anyhow::anyhow!(
                            "`{subject}` is not a valid subject to send to"
                        ),
                        RequestErrorKind::MaxPayloadExceeded => anyhow::anyhow!(
                            "the request is larger than the server's max_payload"
                        ),
                        RequestErrorKind::Other => anyhow::anyhow!(
                            "the request on `{subject}` failed: {err}"
                        ),
                    });
                }
                Some(error) = self.server_errors.recv() => {
                    if let Some(refusal) = permission_refusal(&error) {
                        anyhow::bail!(
                            "the server refused this call: {refusal}. The creds in use may \
                             not use `{subject}` (or receive its reply); check the subject \
                             and which user's creds you connect with"
                        );
                    }
                }
            }
        }
    }
}

/// The options a client command connects with: the creds file when given, and the inbox
/// prefix its replies come back on: `inbox_prefix` when given, else the private inbox of
/// the creds file's user, `_INBOX.<name>` ([`claims::creds_inbox_prefix`]), else the
/// client's default `_INBOX` (no creds, or a name that is not one subject token).
///
/// # Errors
/// When the creds file cannot be read or `inbox_prefix` is not a subject without
/// wildcards.
pub fn client_options(
    creds: Option<&Path>,
    inbox_prefix: Option<&str>,
) -> anyhow::Result<async_nats::ConnectOptions> {
    let (options, derived) = match creds {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading creds `{}`", path.display()))?;
            let options = async_nats::ConnectOptions::with_credentials(&text)
                .with_context(|| format!("reading creds `{}`", path.display()))?;
            (options, claims::creds_inbox_prefix(&text))
        }
        None => (async_nats::ConnectOptions::new(), None),
    };
    let prefix = match inbox_prefix {
        Some(prefix) => {
            policy::subject::check_literal_subject(prefix).map_err(|why| {
                anyhow::anyhow!(
                    "--inbox-prefix `{prefix}` is not a subject without wildcards: {why}"
                )
            })?;
            Some(prefix.to_owned())
        }
        None => derived,
    };
    Ok(match prefix {
        Some(prefix) => options.custom_inbox_prefix(prefix),
        None => options,
    })
}

/// The server's words when `error` is a permission refusal.
fn permission_refusal(error: &str) -> Option<&str> {
    let text = error.strip_prefix("nats: ").unwrap_or(error);
    text.to_lowercase()
        .contains(PERMISSIONS_VIOLATION)
        .then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inbox_prefix_must_be_a_subject_without_wildcards() {
        for bad in ["", "_INBOX.>", "_INBOX.*.x", "_INBOX.", "a b"] {
            assert!(client_options(None, Some(bad)).is_err(), "{bad:?}");
        }
        for good in ["_INBOX", "_INBOX.alice", "_INBOX_alice"] {
            assert!(client_options(None, Some(good)).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn permission_refusals_are_recognised_in_either_case() {
        assert_eq!(
            permission_refusal("nats: Permissions Violation for Publish to \"creds.request\""),
            Some("Permissions Violation for Publish to \"creds.request\"")
        );
        assert!(permission_refusal(
            "nats: permissions violation for subscription to \"_INBOX.x.*\""
        )
        .is_some());
        assert_eq!(permission_refusal("nats: maximum payload exceeded"), None);
    }
}
