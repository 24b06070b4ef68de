//! The CLI's connection for one-shot calls (`request`, `tenant`): it watches what the
//! server reports on the connection, so a call the user's permissions forbid fails at
//! once and names the subject, instead of waiting out the timeout while the real cause
//! shows only in the server's log.

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
    /// Connects to `url`, with `creds` when given; replies are awaited up to `timeout`.
    ///
    /// # Errors
    /// When the creds file cannot be read or the server refuses the connection.
    pub async fn open(url: &str, creds: Option<&Path>, timeout: Duration) -> anyhow::Result<Self> {
        let options = match creds {
            Some(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .with_context(|| format!("reading creds `{}`", path.display()))?,
            None => async_nats::ConnectOptions::new(),
        };
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
