//! Retrying a resource in `error` (its handler failed, or no agent finished it before its
//! deadline), in two steps:
//!
//! 1. live, `svc.<service>.<site>.retry` ([`crate::contract::ResourceRetryV1`] without `attempt`): the
//!    site moves the caller's tenant's record from `error` back into the in-flight state
//!    the failure interrupted, by compare-and-set, counting the retry, and answers the
//!    record. Only from `error`: a record in any other state, also one a concurrent retry
//!    moved first, is refused `conflict`; another tenant's id is `not_found`;
//! 2. queued, `svcq.<service>.<site>.retry` (`attempt`: the answer's `retries`): the
//!    stream keeps it, and the agent that takes it claims the record's work for it
//!    (`Book::claim`) and carries the original operation out again with the same id:
//!    the allocation (from the record's type, target and specification), the update
//!    (the specification it asked for) or the deletion.
//!
//! Exactly once: the claim is a compare-and-set that one request wins; a delivery of the
//! same request again (its agent died) carries on, any other request for that retry (a
//! repeat, a forgery by the tenant itself, a stale attempt) is dropped. The queued
//! request comes from the tenant, so its tenant is the stream subject's, as for every
//! queued request. A client that stops between the steps leaves the record in flight
//! until its deadline, when it reads as `error` again.

use crate::caller::Caller;
use crate::client::Answer;
use crate::contract::{ErrorType, ResourceStateV1};
use crate::handler::Agent;
use crate::lifecycle::{Event, Status};
use crate::queued::book::BookError;

/// Step 1 for `caller`'s tenant's resource `id` at `now`.
///
/// # Errors
/// [`BookError::Kv`] when the bucket fails.
pub async fn begin(
    agent: &Agent,
    caller: &Caller,
    id: &str,
    now: i64,
) -> Result<Answer<ResourceStateV1>, BookError> {
    let site = agent.site.as_str();
    let tenant = caller.tenant.as_str();
    let not_found = || {
        Ok(Err(ErrorType::NotFound.reply(
            format!("no resource `{id}` at site `{site}`"),
            site,
        )))
    };
    let not_in_error = |status: Status| {
        Ok(Err(ErrorType::Conflict.reply(
            format!(
                "resource `{id}` at site `{site}` is {}: only a resource in error can be retried",
                status.name()
            ),
            site,
        )))
    };
    let Some((record, _)) = agent.book.get(tenant, id).await? else {
        return not_found();
    };
    if record.lifecycle.status != Status::Error {
        return not_in_error(record.lifecycle.status);
    }
    let at = (now, agent.queue.deadline_secs);
    match agent
        .book
        .apply((tenant, id), &Event::Retry, at, None)
        .await
    {
        Ok(record) => {
            tracing::info!(
                id,
                retries = record.lifecycle.retries,
                status = record.lifecycle.status.name(),
                "retry"
            );
            Ok(Ok(record))
        }
        // A concurrent retry moved it first.
        Err(BookError::NotNow(not_now)) => not_in_error(not_now.from),
        Err(BookError::Missing) => not_found(),
        Err(err) => Err(err),
    }
}
