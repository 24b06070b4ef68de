//! Live requests (`svc.<service>.<site>.allocate`, `update`, `deallocate`) keep the same
//! lifecycle records as queued ones, so every resource has a tracked history whichever
//! way it was asked for:
//!
//! - an allocation that starts (its type has a handler and the tenant a free quota slot,
//!   else it is refused with no record) gets its record `pending` before it takes its
//!   slot, due within the request's time budget ([`Agent::request_budget`]),
//!   and ends `created` or `error` with the handler's words;
//! - an update or a deallocation moves the record through `updating` or `deleting` as a
//!   queued one does (`crate::queued::changes`), and is refused `conflict` when the
//!   resource is in a state that does not take it (being made, updated or deleted by
//!   another request, in error: retry or delete it).
//!
//! An agent that dies mid-request leaves the record in flight; past its deadline the
//! record reads as `error` (and can be retried), and its quota slot goes back
//! ([`crate::quota`]). Not here: decoding and the trust checks ([`super::handle`]).

use crate::caller::Caller;
use crate::contract::{
    Details, ErrorType, ResourceAllocateV1, ResourceDeallocateV1, ResourceStateV1, ResourceUpdateV1,
};
use crate::lifecycle::{Event, Lifecycle};
use crate::queued::settings::Queue;
use crate::queued::worker::{quota_message, Job};
use crate::store::StoreError;

use super::reply::{answer, Reply};
use crate::site::Agent;

/// The message recorded when the agent itself failed mid-request.
const AGENT_FAILED: &str = "the agent failed while doing it; retry it";

/// The job of a live request at `now`: work in flight is due within the request's budget.
fn job<'a>(agent: &'a Agent, caller: &'a Caller, now: i64) -> Job<'a> {
    let budget = agent.request_budget().as_secs().saturating_add(1);
    Job {
        agent,
        book: &agent.book,
        queue: Queue {
            deadline_secs: i64::try_from(budget).unwrap_or(i64::MAX),
            ..agent.queue
        },
        caller,
        now,
        taken_by: None,
    }
}

/// Allocates a new resource for `caller`'s tenant as `request` asks, recording it from
/// the start.
///
/// # Errors
/// [`StoreError`] ([`StoreError::QuotaExceeded`] among them).
pub async fn allocate(
    agent: &Agent,
    caller: &Caller,
    request: ResourceAllocateV1,
    now: i64,
) -> Result<Reply, StoreError> {
    let tenant = caller.tenant.as_str();
    let resources = agent.resources();
    if let Err(refusal) = resources.check_type(&request.resource_type) {
        return Ok(Reply::error(&refusal));
    }
    let quota = agent.quotas.of(tenant);
    if agent.store.count(tenant).await? >= quota {
        // Refused before it starts, unless a slot was held by an agent that died.
        crate::quota::reconcile(&agent.store, &agent.book, tenant, now).await?;
        if agent.store.count(tenant).await? >= quota {
            return Err(StoreError::QuotaExceeded { quota });
        }
    }
    let job = job(agent, caller, now);
    let id = nuid::next().to_string();
    let fresh = ResourceStateV1 {
        id: id.clone(),
        tenant: tenant.to_owned(),
        site: agent.site.clone(),
        resource_type: request.resource_type.clone(),
        accepted_at: now,
        lifecycle: Lifecycle::accepted(now, job.queue.deadline_secs),
        details: Details::new(),
        target_entity: request.target_entity.clone(),
        specification: request.specification.clone(),
        taken_by: None,
    };
    agent.book.begin(fresh).await.map_err(|e| StoreError::Kv {
        op: "recording the allocation",
        reason: e.to_string(),
    })?;
    let outcome = resources
        .allocate(caller, (quota, id.clone()), request, now)
        .await;
    let (event, details) = match &outcome {
        Ok(Ok(created)) => (Event::Succeeded, Some(&created.details)),
        Ok(Err(refusal)) => (Event::Failed(refusal.message.clone()), None),
        Err(StoreError::QuotaExceeded { quota }) => {
            (Event::Failed(quota_message(tenant, *quota)), None)
        }
        Err(_) => (Event::Failed(AGENT_FAILED.to_owned()), None),
    };
    if let Err(err) = job.move_to(&id, event, details).await {
        // The record stays in flight; past its deadline it reads as error.
        tracing::warn!(id, error = %err, "recording how an allocation ended failed");
    }
    answer(outcome)
}

/// Updates `caller`'s tenant's resource `request.id` through its record.
///
/// # Errors
/// [`StoreError`].
pub async fn update(
    agent: &Agent,
    caller: &Caller,
    request: ResourceUpdateV1,
    now: i64,
) -> Result<Reply, StoreError> {
    let job = job(agent, caller, now);
    let id = request.id.clone();
    let done = job.update(request).await;
    settle(&job, &id, done.map(|a| a.map(|u| Reply::ok(&u))))
        .await
        .map(|a| a.unwrap_or_else(|refusal| Reply::error(&refusal)))
}

/// Deallocates `caller`'s tenant's resource `request.id` through its record.
///
/// # Errors
/// [`StoreError`].
pub async fn deallocate(
    agent: &Agent,
    caller: &Caller,
    request: &ResourceDeallocateV1,
    now: i64,
) -> Result<Reply, StoreError> {
    let job = job(agent, caller, now);
    let done = job.deallocate(&request.id).await;
    settle(&job, &request.id, done.map(|a| a.map(|d| Reply::ok(&d))))
        .await
        .map(|a| a.unwrap_or_else(|refusal| Reply::error(&refusal)))
}

/// A change that failed in the agent (not in its handler) is recorded as failed, so
/// that it can be retried at once, and answered `internal`.
async fn settle<T>(job: &Job<'_>, id: &str, done: anyhow::Result<T>) -> Result<T, StoreError> {
    match done {
        Ok(answer) => Ok(answer),
        Err(err) => {
            if let Err(again) = job
                .move_to(id, Event::Failed(AGENT_FAILED.to_owned()), None)
                .await
            {
                tracing::warn!(id, error = %again, "recording a failed change failed");
            }
            Err(StoreError::Kv {
                op: "changing a resource",
                reason: format!("{err:#}"),
            })
        }
    }
}

/// The refusal of a live request that named `attempt`, which only queued retries carry.
pub fn attempt_refused(site: &str) -> Reply {
    Reply::error(&ErrorType::BadRequest.reply(
        "`attempt` is set by the site's answer, for the queued retry only",
        site,
    ))
}
