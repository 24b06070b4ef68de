//! The record step: how a request ended goes to the log, to the audit subject, to the
//! issuance history (a granted credential) and to the metrics, the same way from every door, with the door as a label.

use std::time::Duration;

use crate::audit::AuditEvent;
use crate::audit_queue::AuditQueue;
use crate::metrics::record_request;

/// Logs the event, queues it for the audit subject (when one is set) and counts the
/// request under `endpoint`.
pub async fn record(
    audit_queue: Option<&AuditQueue>,
    audit: &AuditEvent,
    endpoint: &'static str,
    elapsed: Duration,
) {
    audit.log();
    if let Some(queue) = audit_queue {
        queue.record(audit).await;
    }
    record_request(
        endpoint,
        audit.door.as_str(),
        audit.outcome,
        &audit.code,
        elapsed,
    );
}
