//! Auth callout rules: an account's callout settings (Go `ExternalAuthorization.Validate`:
//! auth users, allowed accounts, xkey) and the request and response claims
//! (Go `AuthorizationRequestClaims.Validate`, `AuthorizationResponseClaims.Validate`).
//!
//! Does not check that a response answers a given request (subject = `user_nkey`,
//! audience = server id); the callout service compares those itself.

use super::{check_times, Validate, ValidationError, ValidationReport};
use crate::account::ExternalAuthorization;
use crate::authorization::{AuthorizationRequestClaims, AuthorizationResponseClaims};
use crate::nkey_check::is_public_key;
use crate::nkey_kind::KeyKind;

/// The allowed-accounts entry that lets the callout place users in any account.
const ANY_ACCOUNT: &str = "*";

/// Go's `ExternalAuthorization.Validate`.
pub(crate) fn check_authorization(auth: &ExternalAuthorization, errors: &mut Vec<ValidationError>) {
    if !auth.allowed_accounts.is_empty() && auth.auth_users.is_empty() {
        errors.push(ValidationError::AllowedAccountsWithoutUsers);
    }
    for user in &auth.auth_users {
        if !is_public_key(user, KeyKind::User) {
            errors.push(ValidationError::InvalidAuthUser(user.clone()));
        }
    }
    for account in &auth.allowed_accounts {
        if account == ANY_ACCOUNT {
            if auth.allowed_accounts.len() > 1 {
                errors.push(ValidationError::AnyAccountNotAlone);
            }
        } else if !is_public_key(account, KeyKind::Account) {
            errors.push(ValidationError::InvalidAllowedAccount(account.clone()));
        }
    }
    if !auth.xkey.is_empty() && !is_public_key(&auth.xkey, KeyKind::Curve) {
        errors.push(ValidationError::InvalidXkey(auth.xkey.clone()));
    }
}

impl Validate for AuthorizationRequestClaims {
    /// Go's `AuthorizationRequestClaims.Validate`: a user nkey, then time checks.
    fn validate(&self, now: i64) -> ValidationReport {
        let mut report = ValidationReport::default();
        let user = &self.nats.user_nkey;
        if user.is_empty() {
            report.errors.push(ValidationError::MissingUserNkey);
        } else if !is_public_key(user, KeyKind::User) {
            report
                .errors
                .push(ValidationError::InvalidUserNkey(user.clone()));
        }
        check_times(self.standard(), now, &mut report);
        report
    }
}

impl Validate for AuthorizationResponseClaims {
    /// Go's `AuthorizationResponseClaims.Validate`: a user subject, a server audience,
    /// exactly one of JWT and error, an account `issuer_account`; then time checks.
    fn validate(&self, now: i64) -> ValidationReport {
        let mut report = ValidationReport::default();
        let errors = &mut report.errors;
        if !is_public_key(&self.sub, KeyKind::User) {
            errors.push(ValidationError::ResponseSubjectNotUser(self.sub.clone()));
        }
        if !is_public_key(&self.aud, KeyKind::Server) {
            errors.push(ValidationError::ResponseAudienceNotServer(self.aud.clone()));
        }
        let body = &self.nats;
        match (body.jwt.is_empty(), body.error.is_empty()) {
            (true, true) => errors.push(ValidationError::ResponseEmpty),
            (false, false) => errors.push(ValidationError::ResponseJwtAndError),
            _ => {}
        }
        if !body.issuer_account.is_empty() && !is_public_key(&body.issuer_account, KeyKind::Account)
        {
            errors.push(ValidationError::IssuerAccountNotAccount(
                body.issuer_account.clone(),
            ));
        }
        check_times(self.standard(), now, &mut report);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization::{AuthorizationRequest, AuthorizationResponse};
    use crate::validate::ValidationWarning;
    use crate::KeyPair;

    const NOW: i64 = 1_800_000_000;

    fn settings(f: impl FnOnce(&mut ExternalAuthorization)) -> Vec<ValidationError> {
        let mut auth = ExternalAuthorization::default();
        f(&mut auth);
        let mut errors = Vec::new();
        check_authorization(&auth, &mut errors);
        errors
    }

    fn request(user_nkey: &str) -> AuthorizationRequestClaims {
        AuthorizationRequestClaims::with_body(
            KeyPair::new_account().public_key(),
            AuthorizationRequest {
                user_nkey: user_nkey.into(),
                ..Default::default()
            },
        )
    }

    fn response(f: impl FnOnce(&mut AuthorizationResponseClaims)) -> ValidationReport {
        let mut claims = AuthorizationResponseClaims::with_body(
            KeyPair::new_user().public_key(),
            AuthorizationResponse {
                error: "denied".into(),
                ..Default::default()
            },
        );
        claims.aud = KeyPair::new_server().public_key();
        f(&mut claims);
        claims.validate(NOW)
    }

    #[test]
    fn good_settings_pass() {
        let errors = settings(|a| {
            a.auth_users = vec![KeyPair::new_user().public_key()];
            a.allowed_accounts = vec![KeyPair::new_account().public_key()];
            a.xkey = nkeys::XKey::new().public_key();
        });
        assert_eq!(errors, vec![]);
    }

    #[test]
    fn auth_callout_settings() {
        let errors = settings(|a| {
            a.allowed_accounts = vec!["*".into(), "not-an-account".into()];
            a.xkey = "not-an-xkey".into();
        });
        assert!(matches!(
            errors.as_slice(),
            [
                ValidationError::AllowedAccountsWithoutUsers,
                ValidationError::AnyAccountNotAlone,
                ValidationError::InvalidAllowedAccount(_),
                ValidationError::InvalidXkey(_)
            ]
        ));
        let errors = settings(|a| {
            a.auth_users = vec![KeyPair::new_account().public_key()];
            a.allowed_accounts = vec!["*".into()];
        });
        assert!(matches!(
            errors.as_slice(),
            [ValidationError::InvalidAuthUser(_)]
        ));
    }

    #[test]
    fn request_needs_a_user_nkey() {
        assert!(request(&KeyPair::new_user().public_key())
            .validate(NOW)
            .is_valid());
        assert!(matches!(
            request("").validate(NOW).errors.as_slice(),
            [ValidationError::MissingUserNkey]
        ));
        let account = KeyPair::new_account().public_key();
        assert!(matches!(
            request(&account).validate(NOW).errors.as_slice(),
            [ValidationError::InvalidUserNkey(_)]
        ));
        let mut expired = request(&KeyPair::new_user().public_key());
        expired.exp = NOW - 10;
        let report = expired.validate(NOW);
        assert!(report.is_valid());
        assert!(matches!(
            report.warnings.as_slice(),
            [ValidationWarning::Expired { .. }]
        ));
    }

    #[test]
    fn response_rules() {
        assert!(response(|_| {}).is_valid());
        assert!(matches!(
            response(|c| {
                c.sub = KeyPair::new_account().public_key();
                c.aud = "nats-authorization-request".into();
            })
            .errors
            .as_slice(),
            [
                ValidationError::ResponseSubjectNotUser(_),
                ValidationError::ResponseAudienceNotServer(_)
            ]
        ));
        assert!(matches!(
            response(|c| c.nats.error.clear()).errors.as_slice(),
            [ValidationError::ResponseEmpty]
        ));
        assert!(matches!(
            response(|c| c.nats.jwt = "a.b.c".into()).errors.as_slice(),
            [ValidationError::ResponseJwtAndError]
        ));
        assert!(matches!(
            response(|c| c.nats.issuer_account = "x".into())
                .errors
                .as_slice(),
            [ValidationError::IssuerAccountNotAccount(_)]
        ));
    }

    #[test]
    fn display_texts_are_pinned() {
        let k = || String::from("K");
        let cases = [
            (
                ValidationError::AllowedAccountsWithoutUsers,
                "auth callout allowed accounts need auth users",
            ),
            (
                ValidationError::InvalidAuthUser(k()),
                "auth user `K` is not a user public key",
            ),
            (
                ValidationError::AnyAccountNotAlone,
                "allowed accounts must be `*` alone or a list of account public keys",
            ),
            (
                ValidationError::InvalidAllowedAccount(k()),
                "allowed account `K` is not an account public key",
            ),
            (
                ValidationError::InvalidXkey(k()),
                "xkey `K` is not a curve public key",
            ),
            (
                ValidationError::MissingUserNkey,
                "authorization request has no user nkey",
            ),
            (
                ValidationError::InvalidUserNkey(k()),
                "user nkey `K` is not a user public key",
            ),
            (
                ValidationError::ResponseSubjectNotUser(k()),
                "authorization response subject `K` is not a user public key",
            ),
            (
                ValidationError::ResponseAudienceNotServer(k()),
                "authorization response audience `K` is not a server public key",
            ),
            (
                ValidationError::ResponseEmpty,
                "authorization response needs a jwt or an error",
            ),
            (
                ValidationError::ResponseJwtAndError,
                "authorization response cannot carry both a jwt and an error",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
