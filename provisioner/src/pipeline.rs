//! The one issuance pipeline every door goes through (design §3 and §8):
//!
//! ```text
//!   door: parse ─> identify ─┐                                  ┌─> reply (door)
//!                            v                                  │
//!   pipeline::issue:   decide ─> reserve ─> mint ─> record(audit)┘
//! ```
//!
//! A door (the NATS credential request in `handler`, the auth callout in `callout`)
//! supplies only what differs: how the request is read, how the caller's identity is
//! established (proof of key possession, `Nats-Request-Info`, CONNECT credentials, an
//! ID token) and how the answer is encoded. Deciding (`policy::evaluate`), reserving in
//! the registry (names, quotas, rate limits, invites), minting and filling the audit
//! event happen here, once, so reason codes and audit events are the same from every
//! door; `record` publishes the event and counts the request with the door as a label.
//!
//! Layout: `ask` (what goes in and out), `door` ([`Door`]), `decide` (Decision → Allow or
//! rejection), `invite` (reading a token's invite), `registered` (decide → reserve →
//! mint against the registry, retried on a lost compare-and-set), `record` (audit event
//! and metrics), `steps` (the time each step takes, as a metric).

pub mod ask;
pub mod decide;
pub mod door;
pub mod invite;
pub mod record;
pub mod registered;
pub mod steps;

pub use ask::{Ask, Issued};
pub use door::Door;
pub use steps::Step;

use registry::Registry;

use crate::audit::AuditEvent;
use crate::config::runtime::Runtime;
use crate::mint::mint_as;
use crate::rejection::Rejection;

/// Decides, reserves (with a registry), mints and fills the audit event for a request a
/// door has read and identified.
///
/// Without a registry nothing is reserved, and an invite token cannot be redeemed.
///
/// # Errors
/// The rejection every door answers with: the policy's Deny, the registry's refusal
/// (invite, quota, revoked name, contention) or an internal error.
pub async fn issue(
    runtime: &Runtime,
    registry: Option<&Registry>,
    ask: Ask<'_>,
    audit: &mut AuditEvent,
) -> Result<Issued, Rejection> {
    let issued = match registry {
        Some(registry) => registered::issue_with_registry(registry, runtime, ask, audit).await?,
        None => {
            if ask.token.is_some() {
                return Err(Rejection::denied(
                    "invite_not_configured",
                    "invite tokens need the registry, which this provisioner does not run",
                ));
            }
            // The tenant goes on record before deciding, so a denial names it whichever
            // door the request came in by (with a registry, `registered` does this once
            // the invite is read); deciding resolves it again and refuses what cannot be.
            if let Ok(tenant) = runtime.policy.resolve_tenant(&ask.request, ask.identity) {
                audit.tenant = Some(tenant.name().to_owned());
                audit.account = Some(tenant.account().to_owned());
            }
            let decision = Step::Decide
                .time(|| policy::evaluate(&runtime.policy, &ask.request, ask.identity, ask.now));
            let allow = decide::allowed(decision, audit)?;
            let minted =
                Step::Mint.time(|| mint_as(runtime, &allow, ask.sign_with, ask.now, audit))?;
            Issued { allow, minted }
        }
    };
    audit.jti = Some(issued.minted.jti.clone());
    audit.expires = Some(issued.allow.expires_at);
    Ok(issued)
}
