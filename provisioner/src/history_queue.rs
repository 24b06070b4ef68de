//! The issuance history's way out: a bounded queue between the requests and one task
//! that appends each issuance to the history stream (`registry::history`), after the
//! reply, so that no reply waits for its record.
//!
//! The task keeps up to [`IN_FLIGHT`] appends waiting for the stream's acknowledgement at
//! once, so the history keeps up with issuance instead of costing one round trip each.
//! When the queue is full a request waits for room, as with audit events: issuance slows
//! to what the stream can take instead of losing records. An append the stream does not
//! acknowledge is counted and logged (without the record's keys); it is not retried, so
//! an outage of the stream leaves a gap in the history, never a stall in issuance.

use std::future::IntoFuture as _;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::StreamExt as _;
use registry::history::{History, Issuance};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::audit::AuditEvent;

/// Records the queue holds before a request waits for room.
pub const HISTORY_QUEUE_CAPACITY: usize = 4_096;
/// Appends waiting for their acknowledgement at once.
pub const IN_FLIGHT: usize = 256;
/// Records the stream did not store.
pub const HISTORY_FAILURES_TOTAL: &str = "provisioner_history_failures_total";
/// Records the stream stored.
pub const HISTORY_RECORDS_TOTAL: &str = "provisioner_history_records_total";

/// Where requests put their issuances. Cheap to clone.
#[derive(Clone)]
pub struct HistoryQueue {
    tx: mpsc::Sender<Issuance>,
}

/// The appending task, to finish on shutdown.
pub struct HistoryDrain {
    task: JoinHandle<()>,
}

impl HistoryQueue {
    /// Starts the task appending to `history`.
    pub fn start(history: History) -> (HistoryQueue, HistoryDrain) {
        let (tx, rx) = mpsc::channel(HISTORY_QUEUE_CAPACITY);
        let task = tokio::spawn(append_all(history, rx));
        (HistoryQueue { tx }, HistoryDrain { task })
    }

    /// Queues the issuance `audit` records, when it records one: a credential granted
    /// (an admin call or a refusal is no issuance).
    pub async fn push(&self, audit: &AuditEvent) {
        let Some(record) = issuance(audit) else {
            return;
        };
        if self.tx.send(record).await.is_err() {
            metrics::counter!(HISTORY_FAILURES_TOTAL).increment(1);
        }
    }
}

impl HistoryDrain {
    /// Waits, at most `bound`, for the task to append what is queued. Every
    /// [`HistoryQueue`] clone must be dropped first.
    pub async fn finish(self, bound: Duration) {
        if tokio::time::timeout(bound, self.task).await.is_err() {
            tracing::warn!("issuances still queued at shutdown were not recorded");
        }
    }
}

/// The history record of a granted credential request, if `audit` is one.
pub fn issuance(audit: &AuditEvent) -> Option<Issuance> {
    if audit.outcome != "allow" || audit.action.is_some() {
        return None;
    }
    Some(Issuance {
        ts: audit.ts,
        tenant: audit.tenant.clone()?,
        name: audit.name.clone()?,
        user_public_key: audit.user_public_key.clone()?,
        jti: audit.jti.clone()?,
        expires: audit.expires?,
        request_id: audit.request_id.clone(),
        door: audit.door.as_str().to_owned(),
        via: audit.via.map(str::to_owned),
        caller_user: audit.caller_user.clone(),
        region: audit.region.clone(),
    })
}

async fn append_all(history: History, mut rx: mpsc::Receiver<Issuance>) {
    let mut acks = FuturesUnordered::new();
    loop {
        tokio::select! {
            record = rx.recv(), if acks.len() < IN_FLIGHT => {
                let Some(record) = record else { break };
                match history.send(&record).await {
                    Ok(ack) => acks.push(ack.into_future()),
                    Err(err) => failed(&err),
                }
            }
            Some(ack) = acks.next(), if !acks.is_empty() => acknowledged(ack),
        }
    }
    while let Some(ack) = acks.next().await {
        acknowledged(ack);
    }
}

fn acknowledged(
    ack: Result<
        async_nats::jetstream::publish::PublishAck,
        async_nats::jetstream::context::PublishError,
    >,
) {
    match ack {
        Ok(_) => metrics::counter!(HISTORY_RECORDS_TOTAL).increment(1),
        Err(err) => failed(&err),
    }
}

fn failed(err: &dyn std::fmt::Display) {
    metrics::counter!(HISTORY_FAILURES_TOTAL).increment(1);
    tracing::warn!(error = %err, "recording an issuance in the history failed");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Door;

    fn granted() -> AuditEvent {
        let mut e = AuditEvent::new(Door::Callout, "r1", 7);
        e.tenant = Some("acme".into());
        e.name = Some("alice".into());
        e.user_public_key = Some("UKEY".into());
        e.jti = Some("J".into());
        e.expires = Some(70);
        e.via = Some("http");
        e.settle(None);
        e
    }

    #[test]
    fn a_granted_request_is_an_issuance_with_its_door() {
        let record = issuance(&granted()).unwrap();
        assert_eq!(record.door, "callout");
        assert_eq!(record.via.as_deref(), Some("http"));
        assert_eq!((record.ts, record.expires), (7, 70));
    }

    #[test]
    fn refusals_and_admin_calls_are_not_issuances() {
        let mut refused = granted();
        refused.settle(Some(&crate::rejection::Rejection::bad_request("x", "y")));
        assert!(issuance(&refused).is_none());
        let mut admin = granted();
        admin.action = Some("users.revoke");
        assert!(issuance(&admin).is_none());
    }
}
