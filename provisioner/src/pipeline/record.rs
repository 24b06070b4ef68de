//! The record step: how a request ended goes to the log, to the audit subject and to the
//! metrics, the same way from every door, with the door as a label.

use std::time::Duration;

use crate::audit::AuditEvent;
use crate::metrics::record_request;

/// Logs the event, publishes it on `audit_subject` (when set) and counts the request
/// under `endpoint`.
pub async fn record(
    client: &async_nats::Client,
    audit_subject: Option<&str>,
    audit: &AuditEvent,
    endpoint: &'static str,
    elapsed: Duration,
) {
    audit.log();
    if let Some(subject) = audit_subject {
        match serde_json::to_vec(audit) {
            Ok(event) => {
                if let Err(err) = client.publish(subject.to_owned(), event.into()).await {
                    tracing::warn!(error = %err, "publishing the audit event failed");
                }
            }
            Err(err) => tracing::warn!(error = %err, "encoding the audit event failed"),
        }
    }
    record_request(
        endpoint,
        audit.door.as_str(),
        audit.outcome,
        &audit.code,
        elapsed,
    );
}
