//! The client side of queued requests: send one to a site's queue (the service's stream
//! keeps it and acknowledges at once, whether or not an agent runs), ask a site where a
//! resource is, and retry one in error. Used by `provisioner svc` and any async-nats program.

use std::time::Duration;

use async_nats::Client;
use serde::Deserialize;

use crate::client::{call, send, Answer, ClientError};
use crate::contract::{
    Message, ResourceAcceptedV1, ResourceRetryV1, ResourceStateV1, ResourceStatusV1,
};
use crate::operation::Operation;
use crate::queued::subject::{queued_id, request_subject};
use crate::subjects;

/// The stream's acknowledgement of a kept message, or its refusal.
#[derive(Debug, Deserialize)]
struct PubAck {
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    duplicate: bool,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// Sends `request` (`operation`: allocate, update or deallocate) to `site`'s queue of
/// `service`. `id` is the resource an update or deallocation is about; an allocation's
/// id comes from the stream (`q<sequence>`).
///
/// # Errors
/// [`ClientError::NoResponders`] when the service has no queue (no agent of it ever ran,
/// or the caller may not reach it), [`ClientError::BadReply`] when the stream refused it.
pub async fn queue<Q: Message>(
    client: &Client,
    (service, site): (&str, &str),
    (operation, id): (Operation, Option<&str>),
    request: &Q,
    timeout: Duration,
) -> Result<ResourceAcceptedV1, ClientError> {
    let subject = request_subject(service, site, operation);
    let sent = send(client, subject, request, timeout).await?;
    let ack: PubAck = serde_json::from_slice(&sent.payload).map_err(|e| ClientError::BadReply {
        reason: format!("not the queue's acknowledgement: {e}"),
    })?;
    if let Some(error) = ack.error {
        return Err(ClientError::BadReply {
            reason: format!("the queue refused the request: {error}"),
        });
    }
    Ok(ResourceAcceptedV1 {
        id: id.map_or_else(|| queued_id(ack.seq), str::to_owned),
        site: site.to_owned(),
        sequence: ack.seq,
        duplicate: ack.duplicate,
    })
}

/// Where resource `id` at `site` is.
///
/// # Errors
/// [`ClientError`] when no answer is readable.
pub async fn status(
    client: &Client,
    (service, site): (&str, &str),
    id: &str,
    timeout: Duration,
) -> Result<Answer<ResourceStateV1>, ClientError> {
    let request = ResourceStatusV1 { id: id.to_owned() };
    call(
        client,
        subjects::status_at(service, site),
        &request,
        timeout,
    )
    .await
}

/// Retries resource `id` at `site`, which is in `error`: asks the site to move it back
/// in flight (refused `conflict` when it is not in error, `not_found` when the caller's
/// tenant has no such resource), then queues the retry the answer numbers (see
/// [`crate::queued::retry`]). The acceptance names the resource and the kept request.
///
/// # Errors
/// [`ClientError`] when the site gives no readable answer; [`ClientError::Nats`] when
/// the retry was recorded but could not be queued (the record then reads as `error`
/// again at its deadline).
pub async fn retry(
    client: &Client,
    (service, site): (&str, &str),
    id: &str,
    timeout: Duration,
) -> Result<Answer<ResourceAcceptedV1>, ClientError> {
    let ask = ResourceRetryV1 {
        id: id.to_owned(),
        attempt: None,
    };
    let state: Answer<ResourceStateV1> =
        call(client, subjects::retry_at(service, site), &ask, timeout).await?;
    let state = match state {
        Ok(state) => state,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let carry_out = ResourceRetryV1 {
        id: id.to_owned(),
        attempt: Some(state.lifecycle.retries),
    };
    let op = (Operation::Retry, Some(id));
    match queue(client, (service, site), op, &carry_out, timeout).await {
        Ok(accepted) => Ok(Ok(accepted)),
        Err(err) => Err(ClientError::Nats {
            op: "queueing the retry the site recorded",
            reason: err.to_string(),
        }),
    }
}

/// A service admin's approval request at `site` (with the admin's creds: the admin
/// subtree is not reachable through a tenant's import).
///
/// # Errors
/// [`ClientError`] when no answer is readable.
pub async fn approvals(
    client: &Client,
    (service, site): (&str, &str),
    request: &crate::contract::ApprovalV1,
    timeout: Duration,
) -> Result<Answer<crate::contract::ApprovalsV1>, ClientError> {
    call(
        client,
        subjects::approvals_at(service, site),
        request,
        timeout,
    )
    .await
}
