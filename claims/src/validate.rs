//! Go's `Validate(vr)` for every claim type, as typed errors and warnings.
//!
//! [`Validate::validate`] reports what Go's `vr.Errors()` would (blocking problems, as
//! [`ValidationError`]s) and what `vr.Warnings()` would (expiry, self-signed limits, the
//! deprecated `to`, as [`ValidationWarning`]s). Time checks compare against the `now`
//! argument; nothing here reads the clock, does IO or fetches token URLs.
//!
//! Layout: `error` (the error enum), `subject` (subject syntax, renaming, wildcards),
//! `permissions` (permissions, CIDRs, time windows, zones), `exports`, `imports`,
//! `activation`, `routing` (mappings, tracing, cluster traffic), `authorization` (auth
//! callout), `account` (limits, signing keys, rule order), `operator`, `go_url` (Go's URL
//! parsing). Not here: whether an account authorized a signer
//! ([`crate::AccountClaims::signer_authority`]), revocation, or template expansion.

mod account;
mod activation;
mod authorization;
mod error;
mod exports;
mod go_url;
mod imports;
mod operator;
mod permissions;
mod routing;
mod subject;

use crate::account::UserScope;
use crate::any::AnyClaims;
use crate::claims_data::Standard;
use crate::generic::GenericClaims;
use crate::nkey_check::is_public_key;
use crate::nkey_kind::KeyKind;
use crate::user::UserClaims;

pub use error::{TimeBound, ValidationError};
pub use exports::MAX_INFO_LENGTH;

/// A non-blocking finding: the claims are still valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationWarning {
    /// `exp` is before `now`.
    #[error("claim is expired (exp {exp}, now {now})")]
    Expired {
        /// The claim's expiry.
        exp: i64,
        /// The clock value checked against.
        now: i64,
    },
    /// `nbf` is after `now`.
    #[error("claim is not yet valid (nbf {nbf}, now {now})")]
    NotYetValid {
        /// The claim's not-before time.
        nbf: i64,
        /// The clock value checked against.
        now: i64,
    },
    /// An account signed by itself carries operator limits, which the server ignores.
    #[error("self-signed account JWTs should not contain operator limits")]
    SelfSignedWithLimits,
    /// An import uses the deprecated `to` field.
    #[error("import `{0}` uses the deprecated field to (use local_subject)")]
    DeprecatedTo(String),
}

/// Everything validation found: blocking errors and non-blocking warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// Blocking problems; any one makes the claims invalid.
    pub errors: Vec<ValidationError>,
    /// Non-blocking findings, including the time checks.
    pub warnings: Vec<ValidationWarning>,
}

impl ValidationReport {
    /// Whether there is no blocking problem (warnings do not count).
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Go's `Claims.Validate(vr)`, with the clock passed in.
///
/// # Examples
/// ```
/// use claims::{KeyPair, UserClaims, Validate, ValidationError};
/// let mut user = UserClaims::new_user(KeyPair::new_user().public_key());
/// user.nats.permissions.publish.allow.push("orders.>".into());
/// assert!(user.validate(1_800_000_000).is_valid());
///
/// user.nats.permissions.publish.allow.push("orders..new".into());
/// let report = user.validate(1_800_000_000);
/// assert!(matches!(
///     report.errors.as_slice(),
///     [ValidationError::SubjectConsecutiveDots(_)]
/// ));
/// ```
pub trait Validate {
    /// Checks the claims as of `now` (unix seconds) and reports every problem found.
    fn validate(&self, now: i64) -> ValidationReport;
}

/// Go's `ClaimsData.Validate`: expiry and not-before, as warnings.
pub(crate) fn check_times(standard: Standard<'_>, now: i64, report: &mut ValidationReport) {
    if standard.exp > 0 && now > standard.exp {
        report.warnings.push(ValidationWarning::Expired {
            exp: standard.exp,
            now,
        });
    }
    if standard.nbf > 0 && standard.nbf > now {
        report.warnings.push(ValidationWarning::NotYetValid {
            nbf: standard.nbf,
            now,
        });
    }
}

impl Validate for UserClaims {
    /// Go's `UserClaims.Validate`: time checks, permissions and limits, `issuer_account`.
    fn validate(&self, now: i64) -> ValidationReport {
        let mut report = ValidationReport::default();
        check_times(self.standard(), now, &mut report);
        permissions::check_user_permission_limits(&self.nats.permissions, &mut report.errors);
        let issuer_account = &self.nats.issuer_account;
        if !issuer_account.is_empty() && !is_public_key(issuer_account, KeyKind::Account) {
            report.errors.push(ValidationError::IssuerAccountNotAccount(
                issuer_account.clone(),
            ));
        }
        report
    }
}

impl Validate for GenericClaims {
    /// Go's `GenericClaims.Validate`: time checks only.
    fn validate(&self, now: i64) -> ValidationReport {
        let mut report = ValidationReport::default();
        check_times(self.standard(), now, &mut report);
        report
    }
}

impl Validate for AnyClaims {
    /// Validates whatever claim type the token carried.
    fn validate(&self, now: i64) -> ValidationReport {
        match self {
            AnyClaims::Operator(c) => c.validate(now),
            AnyClaims::Account(c) => c.validate(now),
            AnyClaims::User(c) => c.validate(now),
            AnyClaims::Activation(c) => c.validate(now),
            AnyClaims::AuthorizationRequest(c) => c.validate(now),
            AnyClaims::AuthorizationResponse(c) => c.validate(now),
            AnyClaims::Generic(c) => c.validate(now),
        }
    }
}

/// Validates decoded claims of any type as of `now` (unix seconds).
///
/// # Examples
/// ```
/// use claims::{decode, validate_any, KeyPair, UserClaims};
/// let account = KeyPair::new_account();
/// let mut user = UserClaims::new_user(KeyPair::new_user().public_key());
/// user.exp = 1_700_000_000;
/// let token = user.encode(&account, 1_600_000_000).unwrap();
/// let report = validate_any(&decode(&token).unwrap(), 1_800_000_000);
/// assert!(report.is_valid()); // expiry is a warning, as in Go
/// assert_eq!(report.warnings.len(), 1);
/// ```
pub fn validate_any(claims: &AnyClaims, now: i64) -> ValidationReport {
    claims.validate(now)
}

/// Go's `UserScope.ValidateScopedSigner`: the user must be signed by the scope's key and
/// carry no permissions or limits of its own (the server applies the scope's template).
///
/// # Errors
/// [`ValidationError::NotScopedSigner`] when the user's issuer is not the scope's key,
/// [`ValidationError::ScopedUserHasPermissions`] when the user carries permissions or
/// limits ([`crate::UserPermissionLimits::is_empty`] is false).
///
/// # Examples
/// ```
/// use claims::{validate_scoped_signer, KeyPair, UserClaims, UserScope};
/// let scoped_key = KeyPair::new_account();
/// let scope = UserScope::new(scoped_key.public_key());
/// let mut user = UserClaims::new_user(KeyPair::new_user().public_key());
/// user.nats.permissions = Default::default(); // what Go's `SetScoped(true)` does
/// user.encode(&scoped_key, 1_800_000_000).unwrap();
/// assert!(validate_scoped_signer(&user, &scope).is_ok());
/// ```
pub fn validate_scoped_signer(user: &UserClaims, scope: &UserScope) -> Result<(), ValidationError> {
    if user.iss != scope.key {
        return Err(ValidationError::NotScopedSigner {
            issuer: user.iss.clone(),
            key: scope.key.clone(),
        });
    }
    if !user.nats.permissions.is_empty() {
        return Err(ValidationError::ScopedUserHasPermissions);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::{CidrList, TimeRange};
    use crate::KeyPair;

    const NOW: i64 = 1_800_000_000;

    fn user() -> UserClaims {
        let mut user = UserClaims::new_user(KeyPair::new_user().public_key());
        user.iss = KeyPair::new_account().public_key();
        user
    }

    #[test]
    fn time_checks_are_warnings_against_the_given_clock() {
        let mut claims = user();
        claims.exp = NOW - 1;
        claims.nbf = NOW + 1;
        let report = claims.validate(NOW);
        assert!(report.is_valid());
        assert_eq!(
            report.warnings,
            vec![
                ValidationWarning::Expired {
                    exp: NOW - 1,
                    now: NOW
                },
                ValidationWarning::NotYetValid {
                    nbf: NOW + 1,
                    now: NOW
                }
            ]
        );
        claims.exp = NOW;
        claims.nbf = NOW;
        assert!(claims.validate(NOW).warnings.is_empty());
    }

    #[test]
    fn user_rules_run_in_go_order() {
        let mut claims = user();
        let limits = &mut claims.nats.permissions;
        limits.publish.allow = vec!["foo q".into()];
        limits.subscribe.allow = vec![".bad".into()];
        limits.src = CidrList(vec!["not-a-cidr".into()]);
        limits.times = vec![TimeRange {
            start: "8:00:00".into(),
            end: "12:00:00.5".into(),
        }];
        limits.times_location = "Europe/Berlin".into();
        claims.nats.issuer_account = "not-an-account".into();
        let report = claims.validate(NOW);
        assert!(matches!(
            report.errors.as_slice(),
            [
                ValidationError::SubjectEdgeDot(_),
                ValidationError::QueueNotAllowed(_),
                ValidationError::InvalidCidr(_),
                ValidationError::IssuerAccountNotAccount(_)
            ]
        ));
    }

    #[test]
    fn generic_claims_only_have_time_checks() {
        let claims = GenericClaims {
            exp: NOW - 5,
            ..Default::default()
        };
        let report = validate_any(&AnyClaims::Generic(claims), NOW);
        assert!(report.is_valid());
        assert_eq!(report.warnings.len(), 1);
    }

    #[test]
    fn scoped_signer_rules() {
        let key = KeyPair::new_account();
        let scope = UserScope::new(key.public_key());
        let mut claims = user();
        claims.nats.permissions = Default::default();
        assert!(matches!(
            validate_scoped_signer(&claims, &scope),
            Err(ValidationError::NotScopedSigner { .. })
        ));
        claims.iss = key.public_key();
        assert_eq!(validate_scoped_signer(&claims, &scope), Ok(()));
        claims.nats.permissions.proxy_required = true;
        assert_eq!(validate_scoped_signer(&claims, &scope), Ok(()));
        claims.nats.permissions.subs = -1;
        assert!(matches!(
            validate_scoped_signer(&claims, &scope),
            Err(ValidationError::ScopedUserHasPermissions)
        ));
    }

    #[test]
    fn display_texts_are_pinned() {
        let cases = [
            (
                ValidationError::NotScopedSigner {
                    issuer: "AX".into(),
                    key: "AY".into(),
                },
                "user issuer `AX` is not the scoped signing key `AY`",
            ),
            (
                ValidationError::ScopedUserHasPermissions,
                "users of a scoped signing key cannot carry permissions or limits",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
        let warnings = [
            (
                ValidationWarning::Expired { exp: 1, now: 2 },
                "claim is expired (exp 1, now 2)",
            ),
            (
                ValidationWarning::NotYetValid { nbf: 3, now: 2 },
                "claim is not yet valid (nbf 3, now 2)",
            ),
            (
                ValidationWarning::SelfSignedWithLimits,
                "self-signed account JWTs should not contain operator limits",
            ),
            (
                ValidationWarning::DeprecatedTo("a".into()),
                "import `a` uses the deprecated field to (use local_subject)",
            ),
        ];
        for (warning, text) in warnings {
            assert_eq!(warning.to_string(), text);
        }
    }
}
