//! `evaluate`: the pure decision for one credential request.
//!
//! Rules run in a fixed order and each records a [`Step`](crate::Step); the first
//! failure denies: request shape → tenant → identity source (import, verified
//! credential, renewal, invite) → proof → rate limits → name rules → name uniqueness →
//! requested tags → TTL → active-user quota → permissions and tags → the grants of the
//! user's tags. No IO, no clock
//! (`now` is an argument), no panics: every input, however hostile, yields a
//! [`Decision`].
//!
//! The rules live in `identify` (tenant, identity source, proof; verified credentials in
//! `credential`), `grant` (limits, names, TTL, quota, permissions; tags in
//! `user_tags`) and `entitle` (conditional grants by tag); each records its steps in a `trail` under a [`rule`] id and quotes
//! caller input through `echo`.

mod credential;
mod echo;
mod entitle;
mod grant;
mod identify;
pub mod rule;
mod trail;
mod user_tags;

use claims::KeyKind;

use crate::decision::{Allow, Decision, DenyCode};
use crate::policy::Policy;
use crate::request::{Identity, Request};
use crate::tags::check_user_tag;
use echo::quote;
pub use echo::MAX_ECHO_CHARS;
use trail::{Refusal, Trail};

/// Decides `request` from `identity` under `policy` at unix time `now` (seconds).
///
/// Pure and total: never panics, reads nothing but its arguments. The edge then
/// reserves the name and quotas (compare-and-set), mints `Allow::user_claims()` with the
/// tenant's signing key, and replies; a Deny's `code` and `reason` go to the caller.
///
/// # Examples
/// ```
/// use policy::{evaluate, DenyCode, Identity, Policy, Request};
/// let account = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y";
/// let policy = Policy::from_toml_str(&format!(r#"
///     version = 1
///     [[tenants]]
///     name = "acme"
///     account = "{account}"
///     namespace = "tenant.acme"
///     signing_key.path = "/keys/acme.nk"
///     identity.import = {{ enabled = true, require_caller_tags = ["role:enroller"] }}
///     names.reserved = ["admin"]
///     permissions.pub.allow = ["tenant.acme.{{name}}.>"]
///     permissions.sub.allow = ["tenant.acme.{{name}}.>", "_INBOX.{{name}}.>"]
/// "#)).unwrap();
/// let user = "UCV7CR7AQFTIDLTGDYEZPGP66OGVFAWZLRIRZGDNDTTD4UG5MPVTALTI";
/// let mut request = Request::new("alice", user);
/// request.proof_verified = true;
/// let caller = Identity::through_import(account, ["role:enroller"]);
///
/// let decision = evaluate(&policy, &request, &caller, 1_700_000_000);
/// let allow = decision.allow().unwrap();
/// assert_eq!(allow.permissions.publish.allow, ["tenant.acme.alice.>"]);
/// assert_eq!(allow.expires_at, 1_700_000_000 + 3600);
///
/// request.name = "admin".into();
/// let decision = evaluate(&policy, &request, &caller, 1_700_000_000);
/// assert_eq!(decision.deny_code(), Some(DenyCode::NameReserved));
/// println!("{decision}"); // what `policy explain` prints
/// ```
pub fn evaluate(policy: &Policy, request: &Request, identity: &Identity, now: i64) -> Decision {
    let mut trail = Trail::default();
    match decide(policy, request, identity, now, &mut trail) {
        Ok(mut allow) => {
            allow.explanation = trail.into_steps();
            Decision::Allow(Box::new(allow))
        }
        Err(refusal) => Decision::Deny(refusal.into_deny(trail.into_steps())),
    }
}

fn decide(
    policy: &Policy,
    request: &Request,
    identity: &Identity,
    now: i64,
    trail: &mut Trail,
) -> Result<Allow, Refusal> {
    check_request(request, trail)?;
    let tenant = identify::resolve_tenant(policy, request, identity, trail)?;
    let source = identify::identify(tenant, request, identity, trail)?;
    identify::proof(tenant, request, trail)?;
    let mut allow = grant::grant(tenant, source, request, identity, now, trail)?;
    entitle::entitle(tenant, request, identity, &mut allow, trail)?;
    Ok(allow)
}

fn check_request(request: &Request, trail: &mut Trail) -> Result<(), Refusal> {
    if !claims::is_public_key(&request.public_key, KeyKind::User) {
        // Not echoed: a key of the wrong kind may be a seed sent by mistake.
        let reason = String::from("the public key is not a user public key (`U…`)");
        return Err(trail.fail(rule::REQUEST, "public key", DenyCode::BadRequest, reason));
    }
    for tag in &request.tags {
        if let Err(why) = check_user_tag(tag) {
            let reason = format!("requested tag {}: {why}", quote(tag));
            let code = if why.is_unsafe_value() {
                DenyCode::SubjectUnsafe
            } else {
                DenyCode::BadRequest
            };
            return Err(trail.fail(rule::REQUEST, "requested tags", code, reason));
        }
    }
    trail.pass(
        rule::REQUEST,
        "public key and requested tags are well formed",
    );
    Ok(())
}
