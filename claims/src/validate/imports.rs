//! Import rules (Go `Import.Validate`, `Imports.Validate`): type, exporting account,
//! subject and `local_subject` renaming, the deprecated `to`, `share` and `allow_trace`,
//! overlapping service imports, and the activation token, which must decode (with its
//! signature) as an activation for this account, this type and a covering subject.
//!
//! Does not fetch anything: a token is the JWT itself, never a URL to resolve. Whether the
//! token's issuer is trusted by the exporter is the server's question, not this one.

use std::collections::BTreeMap;

use super::activation::check_activation_body;
use super::subject::{check_renaming, check_subject, is_contained_in, renaming_to_subject};
use super::{ValidationError, ValidationReport, ValidationWarning};
use crate::account::{ExportType, Import};
use crate::activation::ActivationClaims;

/// The JSON name of an optional export type, `unknown` when absent (as Go prints it).
pub(crate) fn type_name(kind: Option<ExportType>) -> &'static str {
    kind.map_or("unknown", ExportType::as_str)
}

/// Go's `Import.Validate` for an import of the account `account_key`.
fn check_import(import: &Import, account_key: &str, report: &mut ValidationReport) {
    let subject = || import.subject.clone();
    let errors = &mut report.errors;
    let is_service = import.import_type == Some(ExportType::Service);
    if import.import_type.is_none() {
        errors.push(ValidationError::InvalidImportType(subject()));
    }
    if is_service && import.allow_trace {
        errors.push(ValidationError::ImportTraceNotStream(subject()));
    }
    if import.account.is_empty() {
        errors.push(ValidationError::ImportAccountMissing(subject()));
    }
    if !import.to.is_empty() {
        report
            .warnings
            .push(ValidationWarning::DeprecatedTo(subject()));
    }
    let errors = &mut report.errors;
    check_subject(&import.subject, errors);
    if !import.local_subject.is_empty() {
        check_renaming(&import.local_subject, &import.subject, errors);
        if !import.to.is_empty() {
            errors.push(ValidationError::LocalSubjectReplacesTo(subject()));
        }
    }
    if import.share && !is_service {
        errors.push(ValidationError::ShareNotService(subject()));
    }
    if !import.token.is_empty() {
        check_token(import, account_key, errors);
    }
}

/// The activation token must be an activation issued by the exporter (or one of its
/// signing keys on its behalf) to this account, for the import's type and subject.
fn check_token(import: &Import, account_key: &str, errors: &mut Vec<ValidationError>) {
    let activation = match ActivationClaims::decode(&import.token) {
        Ok(activation) => activation,
        Err(reason) => {
            errors.push(ValidationError::InvalidActivationToken {
                subject: import.subject.clone(),
                reason,
            });
            return;
        }
    };
    if activation.iss != import.account && activation.nats.issuer_account != import.account {
        errors.push(ValidationError::ActivationIssuerMismatch(
            import.subject.clone(),
        ));
    }
    if activation.sub != account_key {
        errors.push(ValidationError::ActivationSubjectMismatch(
            import.subject.clone(),
        ));
    }
    if activation.nats.kind != import.import_type {
        errors.push(ValidationError::ActivationTypeMismatch {
            token_type: type_name(activation.nats.kind),
            import_type: type_name(import.import_type),
        });
    }
    check_activation_body(&activation, errors);
    let is_service = import.import_type == Some(ExportType::Service);
    let subject = if is_service && !import.to.is_empty() {
        &import.to
    } else {
        &import.subject
    };
    if !is_contained_in(subject, &activation.nats.subject) {
        errors.push(ValidationError::ActivationSubjectNotCovered {
            subject: import.subject.clone(),
            token_subject: activation.nats.subject.clone(),
        });
    }
}

/// Go's `Imports.Validate`: service imports from one account must not overlap in the
/// local subject space; then each import.
pub(crate) fn check_imports(imports: &[Import], account_key: &str, report: &mut ValidationReport) {
    let mut seen: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for import in imports {
        if import.import_type == Some(ExportType::Service) {
            let local = if !import.to.is_empty() {
                import.to.clone()
            } else if !import.local_subject.is_empty() {
                renaming_to_subject(&import.local_subject)
            } else {
                import.subject.clone()
            };
            let earlier = seen.entry(&import.account).or_default();
            for other in earlier.iter() {
                if is_contained_in(&local, other) || is_contained_in(other, &local) {
                    report.errors.push(ValidationError::OverlappingImports {
                        subject: local.clone(),
                        other: other.clone(),
                        account: import.account.clone(),
                    });
                }
            }
            if !earlier.contains(&local) {
                earlier.push(local);
            }
        }
        check_import(import, account_key, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::nkey_kind::KeyKind;
    use crate::KeyPair;

    const ME: &str = "ACCOUNT-UNDER-TEST";

    fn import(subject: &str, kind: Option<ExportType>) -> Import {
        Import {
            subject: subject.into(),
            account: "AEXPORTER".into(),
            import_type: kind,
            ..Default::default()
        }
    }

    fn report_of(imports: &[Import], me: &str) -> ValidationReport {
        let mut report = ValidationReport::default();
        check_imports(imports, me, &mut report);
        report
    }

    fn errors_of(imports: &[Import]) -> Vec<ValidationError> {
        report_of(imports, ME).errors
    }

    /// An activation for `subject`, issued by a fresh test account to a fresh importer.
    fn activation(subject: &str, kind: Option<ExportType>) -> (String, String, String) {
        let exporter = KeyPair::new_account();
        let importer = KeyPair::new_account().public_key();
        let mut claims = ActivationClaims::with_body(
            importer.clone(),
            Activation {
                subject: subject.into(),
                kind,
                ..Default::default()
            },
        );
        let token = claims.encode(&exporter, 1_700_000_000).unwrap();
        (token, exporter.public_key(), importer)
    }

    #[test]
    fn good_imports_pass() {
        let mut svc = import("svc.a", Some(ExportType::Service));
        svc.share = true;
        let mut st = import("st.*", Some(ExportType::Stream));
        st.local_subject = "mine.$1".into();
        st.allow_trace = true;
        let report = report_of(&[svc, st], ME);
        assert_eq!(report.errors, vec![]);
        assert_eq!(report.warnings, vec![]);
    }

    #[test]
    fn invalid_import_type() {
        assert!(matches!(
            errors_of(&[import("a", None)]).as_slice(),
            [ValidationError::InvalidImportType(_)]
        ));
    }

    #[test]
    fn allow_trace_on_a_service_import() {
        let mut svc = import("a", Some(ExportType::Service));
        svc.allow_trace = true;
        assert!(matches!(
            errors_of(&[svc]).as_slice(),
            [ValidationError::ImportTraceNotStream(_)]
        ));
    }

    #[test]
    fn missing_account() {
        let mut st = import("a", Some(ExportType::Stream));
        st.account.clear();
        assert!(matches!(
            errors_of(&[st]).as_slice(),
            [ValidationError::ImportAccountMissing(_)]
        ));
    }

    #[test]
    fn to_is_deprecated_and_replaced_by_local_subject() {
        let mut st = import("a", Some(ExportType::Stream));
        st.to = "b".into();
        let report = report_of(&[st.clone()], ME);
        assert_eq!(report.errors, vec![]);
        assert!(matches!(
            report.warnings.as_slice(),
            [ValidationWarning::DeprecatedTo(_)]
        ));
        st.local_subject = "c".into();
        assert!(matches!(
            errors_of(&[st]).as_slice(),
            [ValidationError::LocalSubjectReplacesTo(_)]
        ));
    }

    #[test]
    fn share_on_a_stream_import() {
        let mut st = import("a", Some(ExportType::Stream));
        st.share = true;
        assert!(matches!(
            errors_of(&[st]).as_slice(),
            [ValidationError::ShareNotService(_)]
        ));
    }

    #[test]
    fn overlapping_service_imports_from_one_account() {
        let a = import("ov.>", Some(ExportType::Service));
        let b = import("ov.a", Some(ExportType::Service));
        let mut other_account = b.clone();
        other_account.account = "AOTHER".into();
        assert!(matches!(
            errors_of(&[a.clone(), b]).as_slice(),
            [ValidationError::OverlappingImports { .. }]
        ));
        assert_eq!(errors_of(&[a, other_account]), vec![]);
    }

    #[test]
    fn activation_token_that_does_not_decode() {
        let mut st = import("a", Some(ExportType::Stream));
        st.token = "not.a.token".into();
        assert!(matches!(
            errors_of(&[st]).as_slice(),
            [ValidationError::InvalidActivationToken { .. }]
        ));
    }

    #[test]
    fn matching_activation_token_passes() {
        let (token, exporter, importer) = activation("st.>", Some(ExportType::Stream));
        assert!(KeyKind::of_public_key(&exporter) == Some(KeyKind::Account));
        let mut st = import("st.a", Some(ExportType::Stream));
        st.account = exporter;
        st.token = token;
        assert_eq!(report_of(&[st], &importer).errors, vec![]);
    }

    #[test]
    fn activation_token_for_someone_else() {
        let (token, _exporter, _importer) = activation("x.>", Some(ExportType::Service));
        let mut st = import("st.a", Some(ExportType::Stream));
        st.token = token;
        assert!(matches!(
            errors_of(&[st]).as_slice(),
            [
                ValidationError::ActivationIssuerMismatch(_),
                ValidationError::ActivationSubjectMismatch(_),
                ValidationError::ActivationTypeMismatch {
                    token_type: "service",
                    import_type: "stream"
                },
                ValidationError::ActivationSubjectNotCovered { .. }
            ]
        ));
    }

    #[test]
    fn display_texts_are_pinned() {
        let a = || String::from("a.b");
        let cases = [
            (
                ValidationError::InvalidImportType(a()),
                "import `a.b` must be a stream or a service",
            ),
            (
                ValidationError::ImportTraceNotStream(a()),
                "allow_trace is only valid on stream imports (import `a.b`)",
            ),
            (
                ValidationError::ImportAccountMissing(a()),
                "import `a.b` does not name the account to import from",
            ),
            (
                ValidationError::LocalSubjectReplacesTo(a()),
                "import `a.b` sets both local_subject and to (local_subject replaces to)",
            ),
            (
                ValidationError::ShareNotService(a()),
                "share is only valid on service imports (import `a.b`)",
            ),
            (
                ValidationError::InvalidActivationToken {
                    subject: a(),
                    reason: crate::ClaimsError::Chunks,
                },
                "import `a.b` carries an invalid activation token: expected 3 chunks",
            ),
            (
                ValidationError::ActivationIssuerMismatch(a()),
                "activation token of import `a.b` was not issued by the exporting account",
            ),
            (
                ValidationError::ActivationSubjectMismatch(a()),
                "activation token of import `a.b` was issued to another account",
            ),
            (
                ValidationError::ActivationTypeMismatch {
                    token_type: "unknown",
                    import_type: "stream",
                },
                "activation token type `unknown` differs from import type `stream`",
            ),
            (
                ValidationError::ActivationSubjectNotCovered {
                    subject: a(),
                    token_subject: "x".into(),
                },
                "activation token subject `x` does not cover import `a.b`",
            ),
            (
                ValidationError::OverlappingImports {
                    subject: "a.b".into(),
                    other: "a.>".into(),
                    account: "AX".into(),
                },
                "service imports `a.b` and `a.>` from account `AX` overlap",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
