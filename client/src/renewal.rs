//! The renewal task: waits until the schedule says (or [`FreshCreds::renew_now`]), asks
//! for the same name with the same key, makes the new JWT current, and reconnects the
//! user's connection so that it carries it; after a failure it reports, counts and
//! retries with a capped exponential backoff.
//!
//! Renewal requests go over the `requester` connection. That is the user's own
//! connection where its permissions allow publishing the request subject (the policy's
//! `identity.renewal`: the service sees the very user asking for its own name and key);
//! otherwise a connection that may (a tenant's bootstrap user, vouched for through the
//! tenant's import like any first request).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::{Client, ConnectError, ToServerAddrs};
use tokio::task::JoinHandle;

use crate::events::{count_failure, count_renewal, RenewalEvent};
use crate::fresh::{CredsError, FreshCreds};
use crate::notices::NoticeListener;
use crate::request::request;
use crate::schedule::{backoff, renew_in, unit_random};

/// The running renewal task (and the renew-now notices it listens to); dropping it stops
/// renewing.
#[derive(Debug)]
pub struct Renewal {
    task: JoinHandle<()>,
    // Held for its drop, which stops listening.
    _notices: Option<NoticeListener>,
}

impl Drop for Renewal {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FreshCreds {
    /// Starts renewing over `requester`; after each renewal the user's `connection` (when
    /// given and the options say so) reconnects with the new JWT. The `connection` also
    /// listens for renew-now notices (subscribed in the background; see
    /// [`FreshCreds::listen_for_notices`] to wait for it).
    pub fn spawn_renewal(&self, requester: Client, connection: Option<Client>) -> Renewal {
        let fresh = self.clone();
        Renewal {
            task: tokio::spawn(async move {
                let _notices = match &connection {
                    Some(connection) => fresh.notices_or_none(connection).await,
                    None => None,
                };
                fresh.renew_forever(&requester, connection).await;
            }),
            _notices: None,
        }
    }

    /// [`FreshCreds::listen_for_notices`], a failure logged: without notices the
    /// credentials still renew on schedule.
    async fn notices_or_none(&self, connection: &Client) -> Option<NoticeListener> {
        self.listen_for_notices(connection)
            .await
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, "not listening for renew-now notices");
                None
            })
    }

    /// Connects the user to `url` with [`FreshCreds::connect_options`] and
    /// [`FreshCreds::start_renewal`] over that same connection (the user's permissions must
    /// allow the request subject).
    ///
    /// # Errors
    /// When the first connect fails.
    pub async fn connect(
        &self,
        url: impl ToServerAddrs,
    ) -> Result<(Client, Renewal), ConnectError> {
        let client = self.connect_options().connect(url).await?;
        let renewal = self
            .start_renewal(client.clone(), Some(client.clone()))
            .await;
        Ok((client, renewal))
    }

    /// [`FreshCreds::spawn_renewal`], returning once the user's `connection` listens for
    /// renew-now notices (so that a notice sent next is heard).
    pub async fn start_renewal(&self, requester: Client, connection: Option<Client>) -> Renewal {
        let notices = match &connection {
            Some(connection) => self.notices_or_none(connection).await,
            None => None,
        };
        let fresh = self.clone();
        Renewal {
            task: tokio::spawn(async move { fresh.renew_forever(&requester, connection).await }),
            _notices: notices,
        }
    }

    async fn renew_forever(&self, requester: &Client, connection: Option<Client>) {
        let notified = &self.inner.renew_now;
        loop {
            match self.due_in() {
                Some(wait) => {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = notified.notified() => {}
                    }
                }
                None => notified.notified().await,
            }
            self.renew_until_done(requester).await;
            if let (true, Some(connection)) = (self.inner.options.reconnect_on_renewal, &connection)
            {
                // A closed connection has nothing to reconnect; its owner sees it closed.
                let _ = connection.force_reconnect().await;
            }
        }
    }

    /// How long until the current credentials are due: at once without any, never for
    /// credentials that do not expire.
    fn due_in(&self) -> Option<Duration> {
        let Some(current) = self.current() else {
            return Some(Duration::ZERO);
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        renew_in(
            current.iat,
            current.exp,
            now,
            &self.inner.options,
            unit_random(),
        )
    }

    /// Asks until new credentials are current, backing off between failures.
    async fn renew_until_done(&self, requester: &Client) {
        let inner = &self.inner;
        let mut failures = 0u32;
        loop {
            // Without credentials yet this is the first request, which the whole ask vouches for.
            let ask = match self.current() {
                Some(_) => inner.ask.for_renewal(),
                None => inner.ask.clone(),
            };
            let outcome = request(
                requester,
                &inner.options.subject,
                &inner.key,
                &ask,
                inner.options.request_timeout,
            )
            .await
            .map_err(CredsError::from)
            .and_then(|granted| self.accept(&granted).map(|()| granted.expires));
            match outcome {
                Ok(expires) => {
                    count_renewal(expires);
                    tracing::info!(name = %inner.ask.name, expires, "credentials renewed");
                    // Nobody listening is fine: events are for those who subscribe.
                    let _ = inner.events.send(RenewalEvent::Renewed { expires });
                    return;
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    let retry_in = backoff(failures, &inner.options, unit_random());
                    count_failure();
                    let reason = err.to_string();
                    tracing::warn!(name = %inner.ask.name, %reason, ?retry_in, "renewal failed");
                    let _ = inner.events.send(RenewalEvent::Failed { reason, retry_in });
                    tokio::time::sleep(retry_in).await;
                }
            }
        }
    }
}
