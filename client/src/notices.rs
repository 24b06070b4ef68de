//! Renew-now notices: when a user's grant changes (a policy reload that changes what its
//! tenant grants, a tenant admin's action on it) the provisioner publishes a notice that
//! reaches the user as `_INBOX.<name>.renew-now`, inside the private inbox only that user
//! may subscribe to (`docs/renewal.md`). Each notice renews at once: the next JWT carries
//! the new grant, and the reconnect that follows a renewal makes the server apply it.
//!
//! The notice carries no credential and asks for nothing but a renewal, which goes the
//! usual way (the user's own key's proof), so a forged or replayed notice costs at most
//! one early renewal; a renewal already backing off keeps its wait.

use async_nats::{Client, SubscribeError};
use futures::StreamExt;
use tokio::task::JoinHandle;

use crate::fresh::FreshCreds;

/// The last token of a notice's subject, after the user's inbox prefix.
pub const NOTICE_TOKEN: &str = "renew-now";
/// Notices received.
pub const NOTICES_METRIC: &str = "nats_creds_renew_notices_total";

/// Where `name` hears its notices, `_INBOX.<name>.renew-now`; `None` for a name that is
/// not one subject token (it has no private inbox, and the provisioner sends none).
pub fn notice_subject(name: &str) -> Option<String> {
    claims::private_inbox_prefix(name).map(|prefix| format!("{prefix}.{NOTICE_TOKEN}"))
}

/// Listening for notices; dropping it stops listening.
#[derive(Debug)]
pub struct NoticeListener {
    task: JoinHandle<()>,
}

impl Drop for NoticeListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FreshCreds {
    /// Subscribes `connection` (the user's own: only it may read the user's inbox) to the
    /// user's notices and renews at once on each; the server holds the subscription when
    /// this returns, and the client keeps it across reconnects. `None` for a name without
    /// a private inbox.
    ///
    /// # Errors
    /// When the subscription cannot be made.
    pub async fn listen_for_notices(
        &self,
        connection: &Client,
    ) -> Result<Option<NoticeListener>, SubscribeError> {
        let Some(subject) = notice_subject(self.name()) else {
            return Ok(None);
        };
        let mut notices = connection.subscribe(subject).await?;
        // Interest registered before returning, so a notice sent next is heard.
        if let Err(err) = connection.flush().await {
            tracing::warn!(error = %err, "flushing the renew-now subscription failed");
        }
        let fresh = self.clone();
        let task = tokio::spawn(async move {
            while notices.next().await.is_some() {
                metrics::counter!(NOTICES_METRIC).increment(1);
                tracing::info!(name = %fresh.name(), "renew-now notice: renewing at once");
                fresh.renew_now();
            }
        });
        Ok(Some(NoticeListener { task }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_arrive_in_the_private_inbox() {
        assert_eq!(
            notice_subject("alice").as_deref(),
            Some("_INBOX.alice.renew-now")
        );
        assert_eq!(notice_subject("a.b"), None);
        assert_eq!(notice_subject(""), None);
    }
}
