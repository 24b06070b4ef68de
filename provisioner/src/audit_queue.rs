//! The audit events' way out: a bounded queue between the requests and one task that
//! publishes them on the audit subject, so that a reply never waits for its audit event
//! to be written, and no event is dropped.
//!
//! When the queue is full (the server or the network is slower than issuance), a request
//! waits for room before it finishes: the backlog stays bounded, and issuance slows down
//! to what the audit subject can take instead of losing events. Three metrics show it:
//! the queue's depth, how often a request had to wait for room, and publishes that
//! failed (only when the connection is closed for good). On shutdown the task publishes
//! what is queued, within a bound.
//!
//! The same queue hands granted credentials to the issuance history (`history_queue`)
//! when the provisioner keeps one, so every door records through one call.

use std::time::Duration;

use async_nats::Client;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::audit::AuditEvent;
use crate::history_queue::{HistoryDrain, HistoryQueue};

/// Events the queue holds before a request waits for room.
pub const AUDIT_QUEUE_CAPACITY: usize = 4_096;
/// Events queued now.
pub const AUDIT_QUEUE_DEPTH: &str = "provisioner_audit_queue_depth";
/// Events whose request had to wait for room in a full queue.
pub const AUDIT_QUEUE_FULL_TOTAL: &str = "provisioner_audit_queue_full_total";
/// Events the client failed to publish (its connection closed for good).
pub const AUDIT_PUBLISH_FAILURES_TOTAL: &str = "provisioner_audit_publish_failures_total";

/// Where requests put their audit events. Cheap to clone.
#[derive(Clone)]
pub struct AuditQueue {
    tx: Option<mpsc::Sender<Bytes>>,
    history: Option<HistoryQueue>,
}

/// The publishing tasks, to finish on shutdown.
pub struct AuditDrain {
    task: Option<JoinHandle<()>>,
    history: Option<HistoryDrain>,
}

impl AuditQueue {
    /// The queue and its tasks when `subject` is set (`--audit-subject`) or the
    /// provisioner keeps a `history`, else none.
    pub fn maybe_start(
        client: &Client,
        subject: Option<&String>,
        history: Option<&registry::history::History>,
    ) -> (Option<AuditQueue>, Option<AuditDrain>) {
        if subject.is_none() && history.is_none() {
            return (None, None);
        }
        let (tx, task) = match subject {
            Some(subject) => {
                let (tx, rx) = mpsc::channel(AUDIT_QUEUE_CAPACITY);
                let task = tokio::spawn(publish_all(client.clone(), subject.clone(), rx));
                (Some(tx), Some(task))
            }
            None => (None, None),
        };
        let (history, history_drain) = match history {
            Some(history) => {
                let (queue, drain) = HistoryQueue::start(history.clone());
                (Some(queue), Some(drain))
            }
            None => (None, None),
        };
        (
            Some(AuditQueue { tx, history }),
            Some(AuditDrain {
                task,
                history: history_drain,
            }),
        )
    }

    /// Starts the task publishing on `subject` through `client`.
    pub fn start(client: Client, subject: String, capacity: usize) -> (AuditQueue, AuditDrain) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let task = tokio::spawn(publish_all(client, subject, rx));
        (
            AuditQueue {
                tx: Some(tx),
                history: None,
            },
            AuditDrain {
                task: Some(task),
                history: None,
            },
        )
    }

    /// Queues `audit`: on the audit subject, encoded, and in the history when it
    /// grants a credential.
    pub async fn record(&self, audit: &AuditEvent) {
        if self.tx.is_some() {
            match serde_json::to_vec(audit) {
                Ok(event) => self.push(event.into()).await,
                Err(err) => tracing::warn!(error = %err, "encoding the audit event failed"),
            }
        }
        if let Some(history) = &self.history {
            history.push(audit).await;
        }
    }

    /// Queues one encoded event, waiting for room when the queue is full.
    pub async fn push(&self, event: Bytes) {
        let Some(tx) = &self.tx else {
            return;
        };
        let event = match tx.try_send(event) {
            Ok(()) => {
                depth_changed(tx);
                return;
            }
            Err(mpsc::error::TrySendError::Full(event)) => event,
            Err(mpsc::error::TrySendError::Closed(_)) => {
                metrics::counter!(AUDIT_PUBLISH_FAILURES_TOTAL).increment(1);
                return;
            }
        };
        metrics::counter!(AUDIT_QUEUE_FULL_TOTAL).increment(1);
        if tx.send(event).await.is_err() {
            metrics::counter!(AUDIT_PUBLISH_FAILURES_TOTAL).increment(1);
        }
        depth_changed(tx);
    }
}

impl AuditDrain {
    /// Waits, at most `bound`, for the task to publish what is queued. Every
    /// [`AuditQueue`] clone must be dropped first, or the task waits for more.
    pub async fn finish(self, bound: Duration) {
        if let Some(task) = self.task {
            if tokio::time::timeout(bound, task).await.is_err() {
                tracing::warn!("audit events still queued at shutdown were not published");
            }
        }
        if let Some(history) = self.history {
            history.finish(bound).await;
        }
    }
}

fn depth_changed(tx: &mpsc::Sender<Bytes>) {
    set_depth(tx.max_capacity().saturating_sub(tx.capacity()));
}

fn set_depth(queued: usize) {
    metrics::gauge!(AUDIT_QUEUE_DEPTH).set(f64::from(u32::try_from(queued).unwrap_or(u32::MAX)));
}

/// Publishes events in the order queued until every sender is gone.
async fn publish_all(client: Client, subject: String, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(event) = rx.recv().await {
        if let Err(err) = client.publish(subject.clone(), event).await {
            metrics::counter!(AUDIT_PUBLISH_FAILURES_TOTAL).increment(1);
            tracing::warn!(error = %err, "publishing an audit event failed");
        }
        set_depth(rx.len());
    }
    if let Err(err) = client.flush().await {
        tracing::warn!(error = %err, "flushing the audit events failed");
    }
}
