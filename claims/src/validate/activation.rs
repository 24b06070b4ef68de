//! Activation rules (Go `Activation.Validate` and `ActivationClaims.Validate`): a stream
//! or service type, a valid subject, and an `issuer_account` that is an account key.
//!
//! Does not check that the activation matches an import; `imports.rs` does that when an
//! account carries the token.

use super::subject::check_subject;
use super::{check_times, Validate, ValidationError, ValidationReport};
use crate::activation::ActivationClaims;
use crate::nkey_check::is_public_key;
use crate::nkey_kind::KeyKind;

/// The activation rules without the time checks (Go `validateWithTimeChecks(vr, false)`),
/// as applied to a token embedded in an import.
pub(crate) fn check_activation_body(claims: &ActivationClaims, errors: &mut Vec<ValidationError>) {
    let body = &claims.nats;
    if body.kind.is_none() {
        errors.push(ValidationError::InvalidImportType(body.subject.clone()));
    }
    check_subject(&body.subject, errors);
    if !body.issuer_account.is_empty() && !is_public_key(&body.issuer_account, KeyKind::Account) {
        errors.push(ValidationError::IssuerAccountNotAccount(
            body.issuer_account.clone(),
        ));
    }
}

impl Validate for ActivationClaims {
    /// Go's `ActivationClaims.Validate`: time checks, type, subject, `issuer_account`.
    fn validate(&self, now: i64) -> ValidationReport {
        let mut report = ValidationReport::default();
        check_times(self.standard(), now, &mut report);
        check_activation_body(self, &mut report.errors);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::ExportType;
    use crate::activation::Activation;
    use crate::validate::ValidationWarning;
    use crate::KeyPair;

    const NOW: i64 = 1_800_000_000;

    fn activation(f: impl FnOnce(&mut Activation)) -> ActivationClaims {
        let mut body = Activation {
            subject: "svc.>".into(),
            kind: Some(ExportType::Service),
            ..Default::default()
        };
        f(&mut body);
        ActivationClaims::with_body(KeyPair::new_account().public_key(), body)
    }

    #[test]
    fn good_activation_passes() {
        let account = KeyPair::new_account().public_key();
        let report = activation(|a| a.issuer_account = account).validate(NOW);
        assert!(report.is_valid(), "{report:?}");
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn activation_without_type() {
        let report = activation(|a| a.kind = None).validate(NOW);
        assert!(matches!(
            report.errors.as_slice(),
            [ValidationError::InvalidImportType(_)]
        ));
    }

    #[test]
    fn activation_with_bad_subject_and_issuer_account() {
        let report = activation(|a| {
            a.subject = String::new();
            a.issuer_account = "UNOTANACCOUNT".into();
        })
        .validate(NOW);
        assert!(matches!(
            report.errors.as_slice(),
            [
                ValidationError::EmptySubject,
                ValidationError::IssuerAccountNotAccount(_)
            ]
        ));
    }

    #[test]
    fn expired_activation_is_a_warning() {
        let mut claims = activation(|_| {});
        claims.exp = NOW - 1;
        let report = claims.validate(NOW);
        assert!(report.is_valid());
        assert!(matches!(
            report.warnings.as_slice(),
            [ValidationWarning::Expired { .. }]
        ));
    }

    #[test]
    fn display_texts_are_pinned() {
        assert_eq!(
            ValidationError::IssuerAccountNotAccount("U1".into()).to_string(),
            "issuer account `U1` is not an account public key"
        );
    }
}
