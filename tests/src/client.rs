//! NATS clients for end-to-end tests: connect with a creds file and watch the server's
//! asynchronous errors (permission violations arrive as `-ERR`, not as call results).
//!
//! Every wait has a deadline; nothing sleeps to wait for state.

use std::time::Duration;

use async_nats::{Client, ConnectOptions, Event, Message, Subscriber};
use futures::StreamExt as _;
use tokio::sync::mpsc;

/// Upper bound for one client step (connect, request, waiting for an event).
pub const STEP: Duration = Duration::from_secs(10);

/// A connected client and the stream of server events it has seen.
pub struct WatchedClient {
    /// The client.
    pub client: Client,
    events: mpsc::UnboundedReceiver<Event>,
}

impl WatchedClient {
    /// Waits until the server reports a permissions violation mentioning `subject`.
    ///
    /// # Errors
    /// When none arrives within [`STEP`].
    pub async fn expect_permission_violation(&mut self, subject: &str) -> anyhow::Result<String> {
        let wanted = format!("\"{subject}\"");
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| {
                    anyhow::anyhow!("no permissions violation for `{subject}` within {STEP:?}")
                })?
                .ok_or_else(|| anyhow::anyhow!("event stream closed"))?;
            let text = event.to_string();
            if text.to_lowercase().contains("permissions violation") && text.contains(&wanted) {
                return Ok(text);
            }
        }
    }

    /// Waits until the server closes or refuses this connection's authorization.
    ///
    /// # Errors
    /// When that does not happen within `within`.
    pub async fn expect_disconnect(&mut self, within: Duration) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| anyhow::anyhow!("connection not closed within {within:?}"))?
                .ok_or_else(|| anyhow::anyhow!("event stream closed"))?;
            match event {
                Event::Disconnected | Event::Closed | Event::ServerError(_) => {
                    return Ok(event.to_string())
                }
                _ => {}
            }
        }
    }
}

/// Connects to `url` with the creds file text `creds`, without retrying on failure, as
/// the product's clients do: replies come back on the user's private inbox prefix,
/// `_INBOX.<name>` ([`claims::creds_inbox_prefix`]; the default `_INBOX` when the name
/// is not one subject token).
///
/// # Errors
/// When the server refuses the credentials or is unreachable.
pub async fn connect_with_creds(url: &str, creds: &str) -> anyhow::Result<WatchedClient> {
    let options = ConnectOptions::with_credentials(creds)?;
    let options = match claims::creds_inbox_prefix(creds) {
        Some(prefix) => options.custom_inbox_prefix(prefix),
        None => options,
    };
    connect_with_options(url, options).await
}

/// Connects to `url` with `options` (for example a user and password, or a token),
/// without retrying on failure.
///
/// # Errors
/// When the server refuses the connection or is unreachable.
pub async fn connect_with_options(
    url: &str,
    options: ConnectOptions,
) -> anyhow::Result<WatchedClient> {
    let (tx, events) = mpsc::unbounded_channel();
    let client = options
        .connection_timeout(STEP)
        .max_reconnects(Some(1))
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(event);
            }
        })
        .connect(url)
        .await?;
    Ok(WatchedClient { client, events })
}

/// How often [`publish_until_received`] publishes again.
const REPUBLISH_EVERY: Duration = Duration::from_millis(50);

/// Publishes `payload` on `subject` from `publisher` until `subscription` receives a
/// message, and returns it.
///
/// A subscription registered on another connection is not guaranteed to be known to the
/// server when `subscribe` (or even `flush`) returns, so a single publish can race it.
///
/// # Errors
/// When nothing arrives within [`STEP`].
pub async fn publish_until_received(
    publisher: &Client,
    subscription: &mut Subscriber,
    subject: &str,
    payload: &'static [u8],
) -> anyhow::Result<Message> {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        publisher
            .publish(subject.to_owned(), bytes::Bytes::from_static(payload))
            .await?;
        publisher.flush().await?;
        let wait = tokio::time::Instant::now() + REPUBLISH_EVERY;
        match tokio::time::timeout_at(wait.min(deadline), subscription.next()).await {
            Ok(Some(message)) => return Ok(message),
            Ok(None) => anyhow::bail!("subscription closed"),
            Err(_) if tokio::time::Instant::now() >= deadline => {
                anyhow::bail!("nothing received on `{subject}` within {STEP:?}")
            }
            Err(_) => {}
        }
    }
}
