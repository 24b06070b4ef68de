//! `evaluate`: the pure decision for one credential request.
//!
//! Rules run in a fixed order and each records a [`Step`]; the first failure denies:
//! request shape → tenant → identity source (import, verified credential, renewal, invite) → proof → rate limits → name rules → name
//! uniqueness → requested tags → TTL → active-user quota → permissions and tags. No IO,
//! no clock (`now` is an argument), no panics: every input, however hostile, yields a
//! [`Decision`].

mod credential;
mod grant;
mod identify;

use claims::KeyKind;

use crate::decision::{Allow, Decision, Deny, DenyCode, Step, StepOutcome};
use crate::policy::Policy;
use crate::request::{Identity, Request};
use crate::validate::check_tag;

/// Stable rule ids, as they appear in [`Step::rule`].
pub mod rule {
    /// The request is well formed (public key, tags).
    pub const REQUEST: &str = "request";
    /// The tenant is resolved from the caller's account, the request or the invite.
    pub const TENANT: &str = "tenant";
    /// Legacy mode vouches for an anonymous plain-text request.
    pub const IDENTITY_LEGACY: &str = "identity.legacy";
    /// The tenant's import vouches for the caller (with required caller tags).
    pub const IDENTITY_IMPORT: &str = "identity.import";
    /// A redeemed invite vouches for the request.
    pub const IDENTITY_INVITE: &str = "identity.invite";
    /// The user itself renews the name its key holds.
    pub const IDENTITY_RENEWAL: &str = "identity.renewal";
    /// A credential the edge verified (callout user or token, ID token) vouches.
    pub const IDENTITY_CREDENTIAL: &str = "identity.credential";
    /// Some enabled identity source vouched.
    pub const IDENTITY: &str = "identity";
    /// Proof of key possession.
    pub const PROOF: &str = "identity.proof";
    /// Issuances per requester per window.
    pub const RATE_REQUESTER: &str = "rate_limits.per_requester";
    /// Issuances per tenant per window.
    pub const RATE_TENANT: &str = "rate_limits.per_tenant";
    /// Name length.
    pub const NAME_LENGTH: &str = "names.length";
    /// Name characters (and a single subject token).
    pub const NAME_CHARS: &str = "names.allowed_chars";
    /// Name glob.
    pub const NAME_PATTERN: &str = "names.pattern";
    /// Reserved names.
    pub const NAME_RESERVED: &str = "names.reserved";
    /// The invite's name pattern.
    pub const NAME_INVITE: &str = "names.invite_pattern";
    /// Name uniqueness within the tenant.
    pub const NAME_UNIQUE: &str = "names.unique";
    /// Requested tags are requestable.
    pub const TAGS_REQUESTED: &str = "tags.requestable";
    /// Lifetime.
    pub const TTL: &str = "ttl";
    /// Active users of the tenant.
    pub const QUOTA: &str = "quotas.max_active_users";
    /// Permission templates expanded.
    pub const PERMISSIONS: &str = "permissions";
    /// Tag templates expanded.
    pub const TAGS_STAMP: &str = "tags.stamp";
}

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
///     permissions.sub.allow = ["tenant.acme.{{name}}.>", "_INBOX.>"]
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
            allow.explanation = trail.steps;
            Decision::Allow(Box::new(allow))
        }
        Err(Refusal { code, reason }) => Decision::Deny(Deny {
            code,
            reason,
            explanation: trail.steps,
        }),
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
    grant::grant(tenant, source, request, identity, now, trail)
}

fn check_request(request: &Request, trail: &mut Trail) -> Result<(), Refusal> {
    if !claims::is_public_key(&request.public_key, KeyKind::User) {
        let reason = format!(
            "public key {} is not a user public key (`U…`)",
            quote(&request.public_key)
        );
        return Err(trail.fail(rule::REQUEST, "public key", DenyCode::BadRequest, reason));
    }
    for tag in &request.tags {
        if let Err(why) = check_tag(tag) {
            let reason = format!("requested tag {}: {why}", quote(tag));
            return Err(trail.fail(
                rule::REQUEST,
                "requested tags",
                DenyCode::BadRequest,
                reason,
            ));
        }
    }
    trail.pass(
        rule::REQUEST,
        "public key and requested tags are well formed",
    );
    Ok(())
}

/// A deny in the making.
#[derive(Debug)]
pub(crate) struct Refusal {
    code: DenyCode,
    reason: String,
}

/// The steps recorded so far.
#[derive(Debug, Default)]
pub(crate) struct Trail {
    steps: Vec<Step>,
}

impl Trail {
    fn record(&mut self, rule: &'static str, outcome: StepOutcome, note: impl Into<String>) {
        self.steps.push(Step {
            rule,
            outcome,
            note: note.into(),
        });
    }

    pub(crate) fn pass(&mut self, rule: &'static str, note: impl Into<String>) {
        self.record(rule, StepOutcome::Passed, note);
    }

    pub(crate) fn skip(&mut self, rule: &'static str, note: impl Into<String>) {
        self.record(rule, StepOutcome::Skipped, note);
    }

    /// Records a failed step and returns the refusal to deny with. The note names the
    /// policy place; the reason is for the caller.
    pub(crate) fn fail(
        &mut self,
        rule: &'static str,
        note: impl Into<String>,
        code: DenyCode,
        reason: String,
    ) -> Refusal {
        let note = format!("{}: {reason}", note.into());
        self.record(rule, StepOutcome::Failed, note);
        Refusal { code, reason }
    }

    /// The steps, for callers that deny before `evaluate` runs.
    pub(crate) fn into_steps(self) -> Vec<Step> {
        self.steps
    }
}

impl Refusal {
    pub(crate) fn into_deny(self, explanation: Vec<Step>) -> Deny {
        Deny {
            code: self.code,
            reason: self.reason,
            explanation,
        }
    }
}

/// The longest piece of caller input echoed in a reason.
pub const MAX_ECHO_CHARS: usize = 64;

/// Caller input for messages: in backticks, escaped, cut to [`MAX_ECHO_CHARS`].
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::from("`");
    let mut chars = text.chars();
    for c in chars.by_ref().take(MAX_ECHO_CHARS) {
        if c.is_control() || (c.is_whitespace() && c != ' ') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_and_cut() {
        assert_eq!(quote("alice"), "`alice`");
        assert_eq!(quote("a\nb"), "`a\\nb`");
        let long = "x".repeat(MAX_ECHO_CHARS + 5);
        let quoted = quote(&long);
        assert!(quoted.ends_with("…`"));
        assert_eq!(quoted.chars().filter(|c| *c == 'x').count(), MAX_ECHO_CHARS);
    }
}
