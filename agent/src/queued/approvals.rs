//! A service admin's approvals at one site (`svc.<service>.admin.<site>.approvals`,
//! [`ApprovalV1`]): list the resources waiting as `pending_approval`, show one, approve
//! it (it becomes `pending` and its handler runs at once; the answer is where it ended)
//! or deny it with a reason the user sees (`denied`).
//!
//! Who may: a request from inside the services account, never one through a tenant's
//! import. Imports mark what crosses them (the server adds `Nats-Request-Info` where the
//! import shares, and replies go to `_R_.` subjects), so a request with either is refused;
//! in an `nsc-setup --service` estate no tenant import reaches the admin subtree at all,
//! and only the service's admin identity (`admin-<service>`) may publish to it.

use crate::caller::{Caller, IMPORT_REPLY_PREFIX};
use crate::contract::{ApprovalV1, ApprovalsV1, ErrorType, ErrorV1, ResourceAllocateV1};
use crate::handler::Agent;
use crate::lifecycle::{Event, Status};
use crate::queued::book::Record;
use crate::queued::worker::{unix_now, Job};

/// What an approval request got: the records, or the refusal.
pub type Answered = Result<ApprovalsV1, ErrorV1>;

/// Whether a request on the admin subtree came from inside the services account.
pub fn from_inside(request_info: Option<&str>, reply: Option<&str>) -> bool {
    request_info.is_none() && !reply.is_some_and(|r| r.starts_with(IMPORT_REPLY_PREFIX))
}

/// Answers one approval request.
pub async fn answer(agent: &Agent, request: ApprovalV1) -> Answered {
    let site = agent.site.as_str();
    let refuse = |t: ErrorType, text: String| Err(t.reply(text, site));
    let internal = |err: &dyn std::fmt::Display| {
        tracing::error!(error = %err, "an approval failed");
        ErrorType::Internal.reply("the approval could not be completed; try again", site)
    };
    let pending = agent.book.all().await.map_err(|e| internal(&e))?;
    let waiting = |r: &Record| r.lifecycle.status == Status::PendingApproval;
    if request.action == "list" {
        return Ok(answered(
            agent,
            pending.into_iter().filter(waiting).collect(),
        ));
    }
    let Some(id) = request.id.as_deref() else {
        return refuse(
            ErrorType::BadRequest,
            String::from("give the resource `id`"),
        );
    };
    let Some(record) = pending.into_iter().find(|r| r.id == id) else {
        return refuse(
            ErrorType::NotFound,
            format!("no resource `{id}` at site `{site}`"),
        );
    };
    let now = unix_now();
    // An approval runs the handler at once: the work is due no sooner than it can last.
    let at = (now, agent.queue.work_secs());
    let who = (record.tenant.as_str(), id);
    let event = match request.action.as_str() {
        "show" => return Ok(answered(agent, vec![record])),
        "approve" => Event::Approved,
        "deny" => match request.reason.as_deref().filter(|r| !r.trim().is_empty()) {
            Some(reason) => Event::Denied(reason.trim().to_owned()),
            None => {
                return refuse(
                    ErrorType::BadRequest,
                    String::from("a denial needs a `reason`"),
                )
            }
        },
        other => {
            return refuse(
                ErrorType::BadRequest,
                format!("`{other}` is none of list, show, approve, deny"),
            )
        }
    };
    let moved = match agent.book.apply(who, &event, at, None).await {
        Ok(moved) => moved,
        Err(crate::queued::BookError::NotNow(not_now)) => {
            return refuse(ErrorType::BadRequest, not_now.to_string())
        }
        Err(err) => return Err(internal(&err)),
    };
    tracing::info!(id, tenant = %moved.tenant, action = %request.action, "approval");
    if moved.lifecycle.status == Status::Pending {
        run_approved(agent, &moved, now)
            .await
            .map_err(|e| internal(&e))?;
    }
    let now_there = agent.book.get(who.0, id).await.map_err(|e| internal(&e))?;
    Ok(answered(
        agent,
        now_there.into_iter().map(|(r, _)| r).collect(),
    ))
}

/// Runs the allocation an approval released.
async fn run_approved(agent: &Agent, record: &Record, now: i64) -> anyhow::Result<()> {
    let caller = Caller {
        tenant: record.tenant.clone(),
        account: String::new(),
        user: None,
        name: None,
        tags: Vec::new(),
        issuer_key: None,
    };
    let job = Job {
        agent,
        book: &agent.book,
        queue: agent.queue,
        caller: &caller,
        now,
        taken_by: None,
    };
    let request = ResourceAllocateV1 {
        resource_type: record.resource_type.clone(),
        target_entity: record.target_entity.clone(),
        specification: record.specification.clone(),
    };
    job.make(&record.id, request).await
}

fn answered(agent: &Agent, resources: Vec<Record>) -> ApprovalsV1 {
    ApprovalsV1 {
        site: agent.site.clone(),
        resources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_requests_from_inside_the_account_are_approvals() {
        assert!(from_inside(None, Some("_INBOX.admin-storage.x")));
        assert!(!from_inside(Some(r#"{"acc":"A"}"#), Some("_INBOX.x")));
        assert!(!from_inside(None, Some("_R_.abc.def")));
    }
}
