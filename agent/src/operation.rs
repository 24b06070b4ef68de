//! What a request asks, by the subject it arrived on (live, `svc.…`) or was kept under
//! (queued, `svcq.…`). Pure.

/// What a request asks, from the subject it arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `svc.<service>.<site>.allocate` or `svc.<service>.allocate`.
    Allocate,
    /// `svc.<service>.<site>.update`.
    Update,
    /// `svc.<service>.<site>.deallocate`.
    Deallocate,
    /// `svc.<service>.list`.
    List,
    /// `svc.<service>.ping`.
    Ping,
    /// `svc.<service>.<site>.status`: where a resource is.
    Status,
    /// `svc.<service>.admin.<site>.approvals`: a service admin's approvals.
    Approvals,
    /// `svc.<service>.<site>.retry`: retry a resource in `error` (queued too).
    Retry,
    /// `svc.<service>.locate`: does this site hold a resource?
    Locate,
}

impl Operation {
    /// Its name in logs.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Allocate => "allocate",
            Operation::Update => "update",
            Operation::Deallocate => "deallocate",
            Operation::List => "list",
            Operation::Ping => "ping",
            Operation::Status => "status",
            Operation::Approvals => "approvals",
            Operation::Retry => "retry",
            Operation::Locate => "locate",
        }
    }
}
