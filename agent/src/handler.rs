//! One request, start to end: who calls ([`crate::caller`]), what they ask
//! ([`crate::contract`]), what the store and the type's handler do ([`resources`]), and
//! the reply.
//!
//! Every failure becomes an [`ErrorV1`] whose message is safe to show the caller; store
//! and NATS errors are logged here and answered as `internal`. Not here: subscriptions and
//! concurrency (see [`crate::service`]).

use bytes::Bytes;

use crate::caller::{trusted_caller, Caller, CallerError};
use crate::contract::{
    decode_request, ContractError, ErrorType, ErrorV1, Message, PingV1, PongV1, ResourceAllocateV1,
    ResourceDeallocateV1, ResourceListV1, ResourceUpdateV1, ResourcesV1, MESSAGE_TYPE_HEADER,
};
use crate::contract::{ApprovalV1, ResourceStateV1, ResourceStatusV1};
use crate::lifecycle::{Event, Lifecycle};
use crate::queued::approvals;
use crate::queued::waiting::kept_allocation;
use crate::request_info::REQUEST_INFO_HEADER;
use crate::store::{known_sites, StoreError};
use crate::subjects::check_id;
use resources::Outcome;

pub mod resources;

pub use crate::operation::Operation;
pub use crate::site::{Agent, Quotas};

/// The agent's version, reported by ping.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A reply ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Its [`MESSAGE_TYPE_HEADER`].
    pub message_type: &'static str,
    /// Its JSON body.
    pub body: Bytes,
    /// The error it reports, if any.
    pub error: Option<ErrorType>,
}

impl Reply {
    fn ok<T: Message>(message: &T) -> Reply {
        match serde_json::to_vec(message) {
            Ok(body) => Reply {
                message_type: T::TYPE,
                body: body.into(),
                error: None,
            },
            Err(err) => {
                tracing::error!(error = %err, "encoding a reply failed");
                Reply::error(&ErrorType::Internal.reply(INTERNAL, ""))
            }
        }
    }

    fn error(error: &ErrorV1) -> Reply {
        let kind = ErrorType::from_code(&error.error_type).unwrap_or(ErrorType::Internal);
        Reply {
            message_type: ErrorV1::TYPE,
            body: serde_json::to_vec(error).unwrap_or_default().into(),
            error: Some(kind),
        }
    }
}

/// The reply for an operation's outcome.
fn answer<T: Message>(outcome: Outcome<T>) -> Result<Reply, StoreError> {
    outcome.map(|answer| match answer {
        Ok(message) => Reply::ok(&message),
        Err(refusal) => Reply::error(&refusal),
    })
}

/// The message of every `internal` error.
const INTERNAL: &str = "the agent could not complete the request; try again later";

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
    let result = match operation {
        Operation::Allocate => {
            match decode_request::<ResourceAllocateV1>(message_type.as_deref(), &message.payload)
                .and_then(|a| a.validate().map(|()| a))
            {
                Ok(request) => {
                    let quota = agent.quotas.of(&caller.tenant);
                    let resources = agent.resources();
                    answer(
                        resources
                            .allocate(
                                &caller,
                                (quota, nuid::next().to_string()),
                                request,
                                unix_now(),
                            )
                            .await,
                    )
                }
                Err(err) => return bad(err),
            }
        }
        Operation::Update => {
            match decode_request::<ResourceUpdateV1>(message_type.as_deref(), &message.payload)
                .and_then(|u| u.validate().map(|()| u))
            {
                Ok(request) => answer(agent.resources().update(&caller, request).await),
                Err(err) => return bad(err),
            }
        }
        Operation::Deallocate => {
            match decode_request::<ResourceDeallocateV1>(message_type.as_deref(), &message.payload)
            {
                Ok(request) if check_id(&request.id).is_err() => {
                    return fail(ErrorType::BadRequest, String::from("invalid `id`"))
                }
                Ok(request) => answer(agent.resources().deallocate(&caller, &request.id).await),
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
                }
            }
        },
    };
    Ok(Reply::ok(&state))
}

async fn list(agent: &Agent, caller: &Caller) -> Result<Reply, StoreError> {
    let resources = agent.store.list(&caller.tenant).await?;
    let sites = match known_sites(&agent.js, &agent.service).await {
        Ok(sites) => sites,
        Err(err) => {
            tracing::warn!(error = %err, "listing the known sites failed");
            vec![agent.site.clone()]
        }
    };
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
        });
        assert_eq!((ok.message_type, ok.error), ("PongV1", None));
    }
}
