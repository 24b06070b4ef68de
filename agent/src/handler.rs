//! One request, start to end: who calls ([`crate::caller`]), what they ask
//! ([`crate::contract`]), what the store and the type's handler do ([`resources`]), and
//! the reply.
//!
//! Every failure becomes an [`crate::contract::ErrorV1`] whose message is safe to show the caller; store
//! and NATS errors are logged here and answered as `internal`. Not here: subscriptions and
//! concurrency (see [`crate::service`]).

use crate::caller::{trusted_caller, Caller, CallerError};
use crate::contract::{
    decode_request, ContractError, ErrorType, PingV1, PongV1, ResourceAllocateV1,
    ResourceDeallocateV1, ResourceListV1, ResourceUpdateV1, ResourcesV1, MESSAGE_TYPE_HEADER,
};
use crate::contract::{ApprovalV1, ResourceRetryV1, ResourceStateV1, ResourceStatusV1};
use crate::contract::{ResourceLocateV1, ResourceLocationV1};
use crate::lifecycle::{Event, Lifecycle};
use crate::queued::waiting::kept_allocation;
use crate::queued::{approvals, retry};
use crate::request_info::REQUEST_INFO_HEADER;
use crate::store::{known_sites, StoreError};
use crate::subjects::check_id;

pub mod live;
pub mod reply;
pub mod resources;

pub use reply::Reply;
use reply::INTERNAL;

pub use crate::operation::Operation;
pub use crate::site::{Agent, Quotas};

/// The agent's version, reported by ping.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Handles one request.
pub async fn handle(agent: &Agent, operation: Operation, message: &async_nats::Message) -> Reply {
    let header = |name: &str| {
        message
            .headers
            .as_ref()
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_owned())
    };
    let message_type = header(MESSAGE_TYPE_HEADER);
    let info = header(REQUEST_INFO_HEADER);
    let reply = message.reply.as_ref().map(|r| r.as_str());
    let site = agent.site.as_str();
    let fail = |t: ErrorType, text: String| Reply::error(&t.reply(text, site));
    let bad = |err: ContractError| fail(err.error_type(), err.to_string());

    if operation == Operation::Ping {
        return match decode_request::<PingV1>(message_type.as_deref(), &message.payload) {
            Ok(_) => Reply::ok(&PongV1 {
                site: agent.site.clone(),
                service: agent.service.clone(),
                version: AGENT_VERSION.to_owned(),
                types: agent.types(false),
                approval_types: agent.types(true),
                region: serving_region(agent),
            }),
            Err(err) => bad(err),
        };
    }
    if operation == Operation::Approvals {
        if !approvals::from_inside(info.as_deref(), reply) {
            tracing::info!("an approval request through an import refused");
            return fail(
                ErrorType::UntrustedCaller,
                String::from(
                    "approvals come from the service's own account, not through an import",
                ),
            );
        }
        return match decode_request::<ApprovalV1>(message_type.as_deref(), &message.payload) {
            Ok(request) => match approvals::answer(agent, request).await {
                Ok(answered) => Reply::ok(&answered),
                Err(refusal) => Reply::error(&refusal),
            },
            Err(err) => bad(err),
        };
    }
    let caller = match trusted_caller(info.as_deref(), reply, &agent.own_account, &agent.tenants) {
        Ok(caller) => caller,
        Err(err) => {
            tracing::info!(refused = %err, "caller not trusted");
            let kind = match err {
                CallerError::UnknownTenant { .. } => ErrorType::UnknownTenant,
                _ => ErrorType::UntrustedCaller,
            };
            return fail(kind, err.to_string());
        }
    };
    tracing::Span::current().record("tenant", caller.tenant.as_str());
    let now = unix_now();
    let result = match operation {
        Operation::Allocate => {
            match decode_request::<ResourceAllocateV1>(message_type.as_deref(), &message.payload)
                .and_then(|a| a.validate().map(|()| a))
            {
                Ok(request) => live::allocate(agent, &caller, request, now).await,
                Err(err) => return bad(err),
            }
        }
        Operation::Update => {
            match decode_request::<ResourceUpdateV1>(message_type.as_deref(), &message.payload)
                .and_then(|u| u.validate().map(|()| u))
            {
                Ok(request) => live::update(agent, &caller, request, now).await,
                Err(err) => return bad(err),
            }
        }
        Operation::Deallocate => {
            match decode_request::<ResourceDeallocateV1>(message_type.as_deref(), &message.payload)
            {
                Ok(request) if check_id(&request.id).is_err() => {
                    return fail(ErrorType::BadRequest, String::from("invalid `id`"))
                }
                Ok(request) => live::deallocate(agent, &caller, &request, now).await,
                Err(err) => return bad(err),
            }
        }
        Operation::Retry => {
            match decode_request::<ResourceRetryV1>(message_type.as_deref(), &message.payload) {
                Ok(request) if check_id(&request.id).is_err() => {
                    return fail(ErrorType::BadRequest, String::from("invalid `id`"))
                }
                Ok(request) if request.attempt.is_some() => return live::attempt_refused(site),
                Ok(request) => match retry::begin(agent, &caller, &request.id, now).await {
                    Ok(Ok(state)) => Ok(Reply::ok(&state)),
                    Ok(Err(refusal)) => Ok(Reply::error(&refusal)),
                    Err(err) => Err(StoreError::Kv {
                        op: "retrying",
                        reason: err.to_string(),
                    }),
                },
                Err(err) => return bad(err),
            }
        }
        Operation::Status => {
            match decode_request::<ResourceStatusV1>(message_type.as_deref(), &message.payload) {
                Ok(request) if check_id(&request.id).is_err() => {
                    return fail(ErrorType::BadRequest, String::from("invalid `id`"))
                }
                Ok(request) => status(agent, &caller, &request.id).await,
                Err(err) => return bad(err),
            }
        }
        Operation::Locate => {
            match decode_request::<ResourceLocateV1>(message_type.as_deref(), &message.payload) {
                Ok(request) if check_id(&request.id).is_err() => {
                    return fail(ErrorType::BadRequest, String::from("invalid `id`"))
                }
                Ok(request) => locate(agent, &caller, request.id).await,
                Err(err) => return bad(err),
            }
        }
        Operation::List => {
            match decode_request::<ResourceListV1>(message_type.as_deref(), &message.payload) {
                Ok(_) => list(agent, &caller).await,
                Err(err) => return bad(err),
            }
        }
        // INVARIANT: ping and approvals are answered above, before the caller check.
        Operation::Ping | Operation::Approvals => {
            return fail(ErrorType::Internal, INTERNAL.to_owned())
        }
    };
    match result {
        Ok(reply) => reply,
        Err(StoreError::QuotaExceeded { quota }) => fail(
            ErrorType::QuotaExceeded,
            format!(
                "tenant `{}` has reached its quota of {quota} resources at site `{site}`",
                caller.tenant
            ),
        ),
        Err(err) => {
            tracing::error!(error = %err, "store failed");
            fail(ErrorType::Internal, INTERNAL.to_owned())
        }
    }
}

/// Where `caller`'s tenant's resource `id` is: its lifecycle record (a deadline passed
/// is recorded first, so the answer says `error`); for a resource made by a live request
/// before records were kept, `created`; for a queued allocation no agent has taken yet,
/// `pending`.
async fn status(agent: &Agent, caller: &Caller, id: &str) -> Result<Reply, StoreError> {
    let tenant = caller.tenant.as_str();
    let book_error = |e: crate::queued::BookError| StoreError::Kv {
        op: "reading a lifecycle record",
        reason: e.to_string(),
    };
    let found = agent.book.get(tenant, id).await.map_err(book_error)?;
    let now = unix_now();
    let state = match found {
        Some((record, _)) if record.lifecycle.overdue(now) => {
            let at = (now, agent.queue.deadline_secs);
            match agent
                .book
                .apply((tenant, id), &Event::DeadlinePassed, at, None)
                .await
            {
                Ok(record) => record,
                Err(_) => record,
            }
        }
        Some((record, _)) => record,
        None => match agent.store.get(tenant, id).await? {
            Some(made) => ResourceStateV1::made_live(made, tenant, &agent.site),
            None => {
                let at = (agent.service.as_str(), agent.site.as_str());
                let Some(kept_at) = kept_allocation(&agent.js, at, &caller.account, id).await
                else {
                    // An agent may have taken the request between the first read and
                    // this one: it writes the record before it acknowledges (and so
                    // removes) the request, so a record is there now if it ever was.
                    if let Some((record, _)) =
                        agent.book.get(tenant, id).await.map_err(book_error)?
                    {
                        return Ok(Reply::ok(&record));
                    }
                    return Ok(Reply::error(&ErrorType::NotFound.reply(
                        format!("no resource `{id}` at site `{}`", agent.site),
                        &agent.site,
                    )));
                };
                // Kept by the stream, not taken by an agent yet.
                ResourceStateV1 {
                    id: id.to_owned(),
                    tenant: tenant.to_owned(),
                    site: agent.site.clone(),
                    resource_type: String::new(),
                    accepted_at: kept_at,
                    lifecycle: Lifecycle::accepted(kept_at, agent.queue.deadline_secs),
                    details: Default::default(),
                    target_entity: String::new(),
                    specification: serde_json::Value::Null,
                    taken_by: None,
                }
            }
        },
    };
    Ok(Reply::ok(&state))
}

/// Whether `caller`'s tenant holds resource `id` at this site: `here` exactly when
/// [`status`] finds a record of it, so another tenant's id is "not here", as `status`
/// answers it `not_found`.
async fn locate(agent: &Agent, caller: &Caller, id: String) -> Result<Reply, StoreError> {
    let here = status(agent, caller, &id).await?.error.is_none();
    Ok(Reply::ok(&ResourceLocationV1 {
        id,
        site: agent.site.clone(),
        here,
        sites: sites_known(agent).await,
        region: serving_region(agent),
    }))
}

/// Every site of this service with a bucket (at least this one), for scatter-gather
/// clients to tell which sites did not answer.
async fn sites_known(agent: &Agent) -> Vec<String> {
    match known_sites(&agent.js, &agent.service).await {
        Ok(sites) => sites,
        Err(err) => {
            tracing::warn!(error = %err, "listing the known sites failed");
            vec![agent.site.clone()]
        }
    }
}

/// The region of the server this agent is connected to now (see [`crate::region`]).
fn serving_region(agent: &Agent) -> Option<String> {
    crate::region::serving_region(&agent.js.client())
}

async fn list(agent: &Agent, caller: &Caller) -> Result<Reply, StoreError> {
    let resources = agent.store.list(&caller.tenant).await?;
    let sites = sites_known(agent).await;
    let records = match agent.book.all().await {
        Ok(all) => all
            .into_iter()
            .filter(|r| r.tenant == caller.tenant)
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, "listing the lifecycle records failed");
            Vec::new()
        }
    };
    Ok(Reply::ok(&ResourcesV1 {
        site: agent.site.clone(),
        resources,
        sites,
        records,
        region: serving_region(agent),
    }))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::ErrorV1;

    #[test]
    fn error_replies_carry_their_type() {
        let reply = Reply::error(&ErrorType::NotFound.reply("no resource `X`", "sto1"));
        assert_eq!(reply.message_type, "ErrorV1");
        assert_eq!(reply.error, Some(ErrorType::NotFound));
        let body: ErrorV1 = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body.error_type, "not_found");
        let ok = Reply::ok(&PongV1 {
            site: "s".into(),
            service: "v".into(),
            version: "1".into(),
            types: Vec::new(),
            approval_types: Vec::new(),
            region: None,
        });
        assert_eq!((ok.message_type, ok.error), ("PongV1", None));
    }
}
