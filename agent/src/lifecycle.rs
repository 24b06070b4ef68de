//! A resource's lifecycle (issue 24, "the lifecycle, tracked"): the states a resource
//! passes through, the events that move it, and the history of every move, as pure
//! values. The store writes a record's next state with a compare-and-set at the revision
//! it read, so two agents that race on one resource cannot both move it: the loser reads
//! the new state and finds its event no longer applies.
//!
//! ```text
//!   pending ──approval needed──> pending_approval ──approved──> pending
//!      │                                └──denied──> denied (final)
//!      ├──succeeded──> created ──update──> updating ──succeeded──> created
//!      ├──failed / deadline──> error              └──failed / deadline──> error
//!      │                         ├──delete──> deleting ──succeeded──> deleted (final)
//!      │                         └──retry──> pending | updating | deleting (what failed)
//!   created ──delete──> deleting ──failed / deadline──> error
//! ```
//!
//! A request no agent takes before its deadline ends as `error` with the reason, and can
//! be retried; nothing stays `pending` for ever. A retry goes back to the state the
//! failure interrupted: `pending` for an allocation, `updating` for an update, `deleting`
//! for a deletion (the history's last move says which), and counts the retries, so a
//! retry request can name the one it is about. Not here: running handlers (`exec`),
//! storing records (`store`), or who may cause an event (`caller`, the approval CLI).

use serde::{Deserialize, Serialize};

/// Where a resource is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accepted; its handler has not finished.
    Pending,
    /// Waiting for a service admin to approve or deny it.
    PendingApproval,
    /// The handler made it.
    Created,
    /// A service admin refused it.
    Denied,
    /// The handler failed, or no agent took it in time.
    Error,
    /// An update is running.
    Updating,
    /// A deletion is running.
    Deleting,
    /// Gone.
    Deleted,
}

impl Status {
    /// Its name as the JSON writes it (`pending_approval`, …).
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::PendingApproval => "pending_approval",
            Status::Created => "created",
            Status::Denied => "denied",
            Status::Error => "error",
            Status::Updating => "updating",
            Status::Deleting => "deleting",
            Status::Deleted => "deleted",
        }
    }

    /// Every status, in lifecycle order.
    pub const ALL: [Status; 8] = [
        Status::Pending,
        Status::PendingApproval,
        Status::Created,
        Status::Denied,
        Status::Error,
        Status::Updating,
        Status::Deleting,
        Status::Deleted,
    ];

    /// The status named `name` (as the JSON writes it), if any.
    pub fn from_name(name: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether nothing can move the resource any more.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Denied | Status::Deleted)
    }

    /// Whether it rests where it is until someone asks for more (created, error, denied
    /// or deleted): where a client following it stops.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            Status::Created | Status::Error | Status::Denied | Status::Deleted
        )
    }

    /// Whether an agent is (or should be) working on it: what a deadline applies to.
    pub fn is_in_flight(self) -> bool {
        matches!(self, Status::Pending | Status::Updating | Status::Deleting)
    }
}

/// What moves a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Its type needs a service admin's approval before the handler runs.
    NeedsApproval,
    /// A service admin approved it.
    Approved,
    /// A service admin denied it, with the reason shown to the user.
    Denied(String),
    /// The handler succeeded.
    Succeeded,
    /// The handler failed, with its message.
    Failed(String),
    /// No agent finished it before its deadline.
    DeadlinePassed,
    /// The user asked for an update.
    Update,
    /// The user asked for it to be deleted.
    Delete,
    /// The user retried a resource in error.
    Retry,
}

/// An event that does not apply to the state the resource is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a resource that is {} cannot take {event}", from.name())]
pub struct NotNow {
    /// The state it is in.
    pub from: Status,
    /// What was asked, in words.
    pub event: &'static str,
}

impl Event {
    /// The event in words, for errors and the history.
    pub fn name(&self) -> &'static str {
        match self {
            Event::NeedsApproval => "needs_approval",
            Event::Approved => "approved",
            Event::Denied(_) => "denied",
            Event::Succeeded => "succeeded",
            Event::Failed(_) => "failed",
            Event::DeadlinePassed => "deadline_passed",
            Event::Update => "update",
            Event::Delete => "delete",
            Event::Retry => "retry",
        }
    }

    /// The text a move records: the denial's reason or the failure's message.
    pub fn note(&self) -> Option<&str> {
        match self {
            Event::Denied(reason) | Event::Failed(reason) => Some(reason),
            Event::DeadlinePassed => Some("no agent of the site finished it before its deadline"),
            _ => None,
        }
    }
}

/// The state `event` moves a resource in state `from` to. For [`Event::Retry`] that is
/// `pending`, an allocation's retry; [`Lifecycle::after`] knows from the history when the
/// failure interrupted an update or a deletion instead.
///
/// # Errors
/// [`NotNow`] when the event does not apply to `from` (a final state takes none).
pub fn next(from: Status, event: &Event) -> Result<Status, NotNow> {
    use Status as S;
    let to = match (from, event) {
        (S::Pending, Event::NeedsApproval) => S::PendingApproval,
        (S::PendingApproval, Event::Approved) => S::Pending,
        (S::PendingApproval, Event::Denied(_)) => S::Denied,
        (S::Pending, Event::Succeeded) | (S::Updating, Event::Succeeded) => S::Created,
        (S::Deleting, Event::Succeeded) => S::Deleted,
        (S::Pending | S::Updating | S::Deleting, Event::Failed(_) | Event::DeadlinePassed) => {
            S::Error
        }
        (S::Created, Event::Update) => S::Updating,
        (S::Created | S::Error, Event::Delete) => S::Deleting,
        (S::Error, Event::Retry) => S::Pending,
        _ => {
            return Err(NotNow {
                from,
                event: event.name(),
            })
        }
    };
    Ok(to)
}

/// One move, as the record's history keeps it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// The state before.
    pub from: Status,
    /// The state after.
    pub to: Status,
    /// When, Unix seconds.
    pub at: i64,
    /// The event, in words.
    pub event: String,
    /// The denial's reason or the failure's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The region of the agent that made the move (the cluster of the server it was
    /// connected to), when its server is in a cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// A resource's state and how it got there.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Where it is.
    pub status: Status,
    /// When an agent must have finished what is in flight, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<i64>,
    /// The last denial's reason or failure's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every move, oldest first.
    pub history: Vec<Move>,
    /// How often it was retried: a retry request names the retry it carries out, so a
    /// stale or repeated one is told apart.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The most moves a record keeps; older ones are dropped, the first one (how it began)
/// always kept.
pub const MAX_HISTORY: usize = 64;

impl Lifecycle {
    /// A resource just accepted at `now`, to be done by `now + deadline_secs`.
    pub fn accepted(now: i64, deadline_secs: i64) -> Self {
        Lifecycle {
            status: Status::Pending,
            deadline: Some(now.saturating_add(deadline_secs)),
            error: None,
            history: Vec::new(),
            retries: 0,
        }
    }

    /// The lifecycle after `event` at `now`; in-flight states get a new deadline
    /// `deadline_secs` away.
    ///
    /// # Errors
    /// [`NotNow`] when the event does not apply.
    pub fn after(&self, event: &Event, now: i64, deadline_secs: i64) -> Result<Self, NotNow> {
        let to = match event {
            Event::Retry => self.retried()?,
            _ => next(self.status, event)?,
        };
        let mut history = self.history.clone();
        history.push(Move {
            from: self.status,
            to,
            at: now,
            event: event.name().to_owned(),
            note: event.note().map(str::to_owned),
            region: None,
        });
        if history.len() > MAX_HISTORY {
            history.remove(1);
        }
        Ok(Lifecycle {
            status: to,
            deadline: to.is_in_flight().then(|| now.saturating_add(deadline_secs)),
            error: match event {
                Event::Denied(_) | Event::Failed(_) | Event::DeadlinePassed => {
                    event.note().map(str::to_owned)
                }
                _ if to == Status::Error => self.error.clone(),
                _ => None,
            },
            history,
            retries: match event {
                Event::Retry => self.retries.saturating_add(1),
                _ => self.retries,
            },
        })
    }

    /// Where a retry takes a resource in `error`: back into the in-flight state its
    /// failure (or missed deadline) interrupted.
    ///
    /// # Errors
    /// [`NotNow`] when it is not in `error`.
    pub fn retried(&self) -> Result<Status, NotNow> {
        next(self.status, &Event::Retry)?;
        // INVARIANT: a resource in error got there by a move, and the history always
        // keeps its last move.
        let interrupted = self
            .history
            .last()
            .filter(|m| m.to == Status::Error)
            .map(|m| m.from);
        Ok(interrupted
            .filter(|s| s.is_in_flight())
            .unwrap_or(Status::Pending))
    }

    /// Whether a service admin approved it at some point (a retried allocation whose
    /// type needs approval does not wait for a second one).
    pub fn was_approved(&self) -> bool {
        self.history
            .iter()
            .any(|m| m.event == Event::Approved.name())
    }

    /// Whether the in-flight work is overdue at `now`.
    pub fn overdue(&self, now: i64) -> bool {
        self.status.is_in_flight() && self.deadline.is_some_and(|d| now > d)
    }
}

#[cfg(test)]
#[path = "lifecycle/tests.rs"]
mod tests;
