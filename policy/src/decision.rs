//! The outcome of `evaluate`: Allow with the concrete user content, or Deny with a
//! stable code; both with the explanation of which rules passed and which failed.
//!
//! Deny reasons are written to be shown to the caller: they name the rule and echo
//! only what the caller sent or public facts, never secrets. Rendering
//! (`Display`) is what `provisioner policy explain` prints.

use std::fmt;

pub use crate::deny_code::DenyCode;
use crate::policy::SigningKeyRef;

/// Which identity source vouched for an allowed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentitySource {
    /// The tenant's import (`Nats-Request-Info.acc`).
    Import,
    /// A redeemed invite token.
    Invite,
    /// The seed's anonymous legacy mode.
    Legacy,
    /// The user itself, renewing the name it holds (`identity.renewal`).
    Renewal,
    /// A user or token from the tenant's callout credentials (`identity.callout`).
    Callout,
    /// An OpenID Connect ID token (`identity.oidc`), in a request or through callout.
    Oidc,
}

impl IdentitySource {
    /// `import`, `invite`, `legacy`, `renewal`, `callout` or `oidc`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentitySource::Import => "import",
            IdentitySource::Invite => "invite",
            IdentitySource::Legacy => "legacy",
            IdentitySource::Renewal => "renewal",
            IdentitySource::Callout => "callout",
            IdentitySource::Oidc => "oidc",
        }
    }
}

/// Whether a rule passed, failed or did not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepOutcome {
    /// The rule held.
    Passed,
    /// The rule failed; the decision is Deny.
    Failed,
    /// The rule does not apply to this request or tenant.
    Skipped,
}

impl StepOutcome {
    /// `pass`, `FAIL` or `skip`, for aligned output.
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Passed => "pass",
            StepOutcome::Failed => "FAIL",
            StepOutcome::Skipped => "skip",
        }
    }
}

/// One rule's verdict, for audit and `policy explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Stable rule id, such as `names.reserved`.
    pub rule: &'static str,
    /// Passed, failed or skipped.
    pub outcome: StepOutcome,
    /// What was checked, naming the policy place (`tenants[0].names.max_len`).
    pub note: String,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:<25} {}",
            self.outcome.as_str(),
            self.rule,
            self.note
        )
    }
}

/// What an allowed request gets: ready for `claims::UserClaims`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    /// The tenant's name.
    pub tenant: String,
    /// The tenant account's public key (`issuer_account`).
    pub account: String,
    /// The key to sign with.
    pub signing_key: SigningKeyRef,
    /// Whether that key is scoped (then `permissions` is empty).
    pub scoped: bool,
    /// The user name (`name`).
    pub name: String,
    /// The user's public key (`sub`).
    pub user_public_key: String,
    /// Permissions and limits, subjects filled in; empty for a scoped key.
    pub permissions: claims::UserPermissionLimits,
    /// Tags to stamp on the user.
    pub tags: Vec<String>,
    /// Lifetime granted, seconds.
    pub ttl_secs: u64,
    /// `now + ttl_secs` (`exp`).
    pub expires_at: i64,
    /// Whether the JWT is a bearer token.
    pub bearer: bool,
    /// Which identity source vouched.
    pub identity_source: IdentitySource,
    /// The rules that were checked.
    pub explanation: Vec<Step>,
}

impl Allow {
    /// Unsigned user claims for this grant: `sub`, `name`, `exp`, `issuer_account`,
    /// permissions and tags. The edge signs them with the signing key.
    pub fn user_claims(&self) -> claims::UserClaims {
        let mut user = claims::UserClaims::new_user(self.user_public_key.clone());
        user.name = self.name.clone();
        user.exp = self.expires_at;
        user.nats.permissions = self.permissions.clone();
        user.nats.issuer_account = self.account.clone();
        user.nats.tags = self.tags.clone();
        user
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deny {
    /// Stable code.
    pub code: DenyCode,
    /// One line, safe to show the caller.
    pub reason: String,
    /// The rules that were checked, the failed one last.
    pub explanation: Vec<Step>,
}

/// The decision of [`crate::evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Mint these credentials.
    Allow(Box<Allow>),
    /// Refuse.
    Deny(Deny),
}

impl Decision {
    /// Whether this is an Allow.
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The Allow, if any.
    pub fn allow(&self) -> Option<&Allow> {
        match self {
            Decision::Allow(allow) => Some(allow),
            Decision::Deny(_) => None,
        }
    }

    /// The Deny, if any.
    pub fn deny(&self) -> Option<&Deny> {
        match self {
            Decision::Allow(_) => None,
            Decision::Deny(deny) => Some(deny),
        }
    }

    /// The deny code, if denied.
    pub fn deny_code(&self) -> Option<DenyCode> {
        self.deny().map(|d| d.code)
    }

    /// The rules checked, in order.
    pub fn explanation(&self) -> &[Step] {
        match self {
            Decision::Allow(allow) => &allow.explanation,
            Decision::Deny(deny) => &deny.explanation,
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        String::from("-")
    } else {
        items.join(", ")
    }
}

/// Multi-line rendering for `policy explain`: the verdict, what is granted, then every
/// rule checked.
impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow(a) => {
                writeln!(
                    f,
                    "ALLOW `{}` in tenant `{}` (account {})",
                    a.name, a.tenant, a.account
                )?;
                writeln!(f, "  identified by: {}", a.identity_source.as_str())?;
                writeln!(f, "  signing key:   {}", a.signing_key)?;
                writeln!(
                    f,
                    "  ttl:           {}s (expires at {})",
                    a.ttl_secs, a.expires_at
                )?;
                writeln!(f, "  tags:          {}", list(&a.tags))?;
                if a.scoped {
                    writeln!(f, "  permissions:   from the signing key's scope")?;
                } else {
                    let p = &a.permissions;
                    writeln!(f, "  pub allow:     {}", list(&p.publish.allow))?;
                    writeln!(f, "  pub deny:      {}", list(&p.publish.deny))?;
                    writeln!(f, "  sub allow:     {}", list(&p.subscribe.allow))?;
                    writeln!(f, "  sub deny:      {}", list(&p.subscribe.deny))?;
                    if let Some(resp) = &p.resp {
                        writeln!(f, "  resp:          max {} ttl {}ns", resp.max, resp.ttl)?;
                    }
                    writeln!(
                        f,
                        "  limits:        subs {} data {} payload {}",
                        p.subs, p.data, p.payload
                    )?;
                    writeln!(f, "  bearer:        {}", a.bearer)?;
                }
            }
            Decision::Deny(d) => {
                writeln!(
                    f,
                    "DENY {} ({}): {}",
                    d.code,
                    d.code.service_error_code(),
                    d.reason
                )?;
            }
        }
        write!(f, "rules:")?;
        for step in self.explanation() {
            write!(f, "\n  {step}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_renders_code_reason_and_rules() {
        let d = Decision::Deny(Deny {
            code: DenyCode::NameTaken,
            reason: "name `bob` is held by another public key".into(),
            explanation: vec![Step {
                rule: "names.unique",
                outcome: StepOutcome::Failed,
                note: "tenants[0].names.unique".into(),
            }],
        });
        assert_eq!(
            d.to_string(),
            "DENY name_taken (409): name `bob` is held by another public key\nrules:\n  \
             FAIL names.unique              tenants[0].names.unique"
        );
        assert_eq!(d.deny_code(), Some(DenyCode::NameTaken));
        assert!(!d.is_allow() && d.allow().is_none());
    }
}
