//! The agent's NATS side: the subscriptions of one site (see [`crate::subjects`]),
//! requests handled concurrently up to a bound and each within a time budget, and a drain
//! on shutdown (stop taking requests, answer those already received, flush).
//!
//! Raw subscriptions rather than the micro service API, because list and ping must be
//! plain subscriptions (every site answers) and the micro API always joins a queue group.
//! Not here: what a request does (see [`crate::handler`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::{Client, HeaderMap, Subscriber};
use futures::StreamExt as _;
use thiserror::Error;
use tokio::sync::{watch, Semaphore};
use tracing::Instrument as _;

use crate::contract::{
    ErrorType, MESSAGE_TYPE_HEADER, SERVICE_ERROR_CODE_HEADER, SERVICE_ERROR_HEADER,
};
use crate::handler::{handle, Agent, Operation, Reply};
use crate::subjects;

/// Bound on requests handled at once.
pub const MAX_IN_FLIGHT: usize = 64;
pub use crate::site::REQUEST_TIMEOUT;
/// Time to finish in-flight requests on shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A subscription that could not be made.
#[derive(Debug, Error)]
#[error("subscribing to `{subject}`: {reason}")]
pub struct ServiceError {
    /// The subject.
    pub subject: String,
    /// The client's error.
    pub reason: String,
}

/// The subscriptions of one site: subject, queue group (`None`: plain), operation.
pub fn subscriptions(service: &str, site: &str) -> Vec<(String, Option<String>, Operation)> {
    vec![
        (
            subjects::allocate_at(service, site),
            Some(subjects::site_queue(service, site)),
            Operation::Allocate,
        ),
        (
            subjects::allocate_any(service),
            Some(subjects::any_site_queue(service)),
            Operation::Allocate,
        ),
        (
            subjects::update_at(service, site),
            Some(subjects::site_queue(service, site)),
            Operation::Update,
        ),
        (
            subjects::deallocate_at(service, site),
            Some(subjects::site_queue(service, site)),
            Operation::Deallocate,
        ),
        (
            subjects::status_at(service, site),
            Some(subjects::site_queue(service, site)),
            Operation::Status,
        ),
        (
            subjects::retry_at(service, site),
            Some(subjects::site_queue(service, site)),
            Operation::Retry,
        ),
        (
            subjects::approvals_at(service, site),
            Some(subjects::site_queue(service, site)),
            Operation::Approvals,
        ),
        (subjects::list(service), None, Operation::List),
        (subjects::ping(service), None, Operation::Ping),
        (subjects::locate(service), None, Operation::Locate),
    ]
}

/// How long one request may take (see [`Agent::request_budget`]).
pub fn request_budget(agent: &Agent) -> Duration {
    agent.request_budget()
}

/// Serves until `shutdown` completes, then drains.
///
/// # Errors
/// [`ServiceError`] when a subscription cannot be made.
pub async fn run(
    client: Client,
    agent: Arc<Agent>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServiceError> {
    let mut subs = Vec::new();
    for (subject, queue, operation) in subscriptions(&agent.service, &agent.site) {
        let sub = match &queue {
            Some(q) => client.queue_subscribe(subject.clone(), q.clone()).await,
            None => client.subscribe(subject.clone()).await,
        }
        .map_err(|e| ServiceError {
            subject: subject.clone(),
            reason: e.to_string(),
        })?;
        subs.push((operation, sub));
    }
    client.flush().await.map_err(|e| ServiceError {
        subject: String::from("(flush)"),
        reason: e.to_string(),
    })?;
    tracing::info!(service = %agent.service, site = %agent.site, "serving");

    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut loops = Vec::new();
    for (operation, sub) in subs {
        loops.push(tokio::spawn(serve_subscription(
            client.clone(),
            Arc::clone(&agent),
            operation,
            sub,
            Arc::clone(&permits),
            stop_rx.clone(),
        )));
    }
    shutdown.await;
    tracing::info!("draining: no new requests");
    let _ = stop_tx.send(true);
    // A drain completes only when the server confirms it: with the server gone it never
    // does, so the loops get the grace period and are then stopped.
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    for mut handle in loops {
        match tokio::time::timeout_at(deadline, &mut handle).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "a subscription loop failed"),
            Err(_) => {
                tracing::warn!("a subscription did not finish draining (is the server gone?)");
                handle.abort();
            }
        }
    }
    let all = u32::try_from(MAX_IN_FLIGHT).unwrap_or(u32::MAX);
    match tokio::time::timeout(SHUTDOWN_GRACE, permits.acquire_many(all)).await {
        Ok(_) => tracing::info!("in-flight requests finished"),
        Err(_) => {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "requests still running at the end of the grace period")
        }
    }
    // The flush shares what is left of the grace (at least a second).
    let flush_by = deadline.max(tokio::time::Instant::now() + Duration::from_secs(1));
    match tokio::time::timeout_at(flush_by, client.flush()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(error = %err, "final flush failed"),
        Err(_) => tracing::warn!("final flush timed out (is the server gone?)"),
    }
    Ok(())
}

/// Takes requests from one subscription until stopped; then drains it (the server stops
/// sending, requests already buffered are still answered).
async fn serve_subscription(
    client: Client,
    agent: Arc<Agent>,
    operation: Operation,
    mut sub: Subscriber,
    permits: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    let mut draining = false;
    loop {
        let message = if draining {
            sub.next().await
        } else {
            let stopped = tokio::select! {
                stopped = stop.wait_for(|s| *s) => { drop(stopped); None }
                message = sub.next() => Some(message),
            };
            match stopped {
                Some(message) => message,
                None => {
                    draining = true;
                    if let Err(err) = sub.drain().await {
                        tracing::warn!(error = %err, "draining a subscription failed");
                        return;
                    }
                    continue;
                }
            }
        };
        let Some(message) = message else { return };
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let client = client.clone();
        let agent = Arc::clone(&agent);
        tokio::spawn(async move {
            let id = nuid::next().to_string();
            let span = tracing::info_span!(
                "request",
                request_id = %id,
                op = operation.name(),
                tenant = tracing::field::Empty
            );
            serve_one(&client, &agent, operation, message)
                .instrument(span)
                .await;
            drop(permit);
        });
    }
}

async fn serve_one(
    client: &Client,
    agent: &Agent,
    operation: Operation,
    message: async_nats::Message,
) {
    let Some(reply_to) = message.reply.clone() else {
        tracing::debug!("request without a reply subject ignored");
        return;
    };
    let budget = request_budget(agent);
    let reply = match tokio::time::timeout(budget, handle(agent, operation, &message)).await {
        Ok(reply) => reply,
        Err(_) => {
            tracing::warn!("request timed out");
            let error =
                ErrorType::Internal.reply("the request took too long; try again", &agent.site);
            Reply {
                message_type: "ErrorV1",
                body: serde_json::to_vec(&error).unwrap_or_default().into(),
                error: Some(ErrorType::Internal),
            }
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(MESSAGE_TYPE_HEADER, reply.message_type);
    if let Some(region) = crate::region::serving_region(client) {
        headers.insert(crate::region::REGION_HEADER, region.as_str());
    }
    if let Some(error) = reply.error {
        headers.insert(
            SERVICE_ERROR_CODE_HEADER,
            error.status().to_string().as_str(),
        );
        headers.insert(SERVICE_ERROR_HEADER, error.code());
        tracing::info!(outcome = error.code(), "refused");
    }
    if let Err(err) = client
        .publish_with_headers(reply_to, headers, reply.body)
        .await
    {
        tracing::warn!(error = %err, "reply failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_subscribes_to_six_subjects() {
        let subs = subscriptions("storage", "sto1");
        let plain: Vec<_> = subs
            .iter()
            .filter(|(_, q, _)| q.is_none())
            .map(|(s, _, _)| s.as_str())
            .collect();
        assert_eq!(
            plain,
            ["svc.storage.list", "svc.storage.ping", "svc.storage.locate"]
        );
        assert!(subs.contains(&(
            "svc.storage.allocate".into(),
            Some("storage".into()),
            Operation::Allocate
        )));
        assert!(subs.contains(&(
            "svc.storage.sto1.update".into(),
            Some("storage.sto1".into()),
            Operation::Update
        )));
        assert!(subs.contains(&(
            "svc.storage.sto1.deallocate".into(),
            Some("storage.sto1".into()),
            Operation::Deallocate
        )));
    }
}
