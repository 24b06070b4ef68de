//! The decide step's mapping from a policy [`Decision`] to what every door answers: the
//! Allow, or a [`Rejection`] carrying the Deny's code, reason and status. One mapping, so
//! a denial reads the same whichever door the request came in by.

use policy::Decision;

use crate::audit::AuditEvent;
use crate::rejection::{Rejection, Status};

/// The Allow of `decision`, or the rejection its Deny maps to; the deciding rule and the
/// tenant go into the audit event.
///
/// # Errors
/// The rejection of a Deny.
pub fn allowed(decision: Decision, audit: &mut AuditEvent) -> Result<policy::Allow, Rejection> {
    audit.rule = decision
        .explanation()
        .last()
        .map(|step| step.rule.to_owned());
    match decision {
        Decision::Allow(allow) => {
            audit.tenant = Some(allow.tenant.clone());
            audit.account = Some(allow.account.clone());
            Ok(*allow)
        }
        Decision::Deny(deny) => Err(deny_rejection(deny)),
    }
}

/// The rejection for a policy Deny: its code, reason and status.
pub fn deny_rejection(deny: policy::Deny) -> Rejection {
    let status = match deny.code.service_error_code() {
        400 => Status::BadRequest,
        409 => Status::Conflict,
        429 => Status::TooMany,
        _ => Status::Denied,
    };
    Rejection::new(status, deny.code.as_str(), deny.reason)
}
