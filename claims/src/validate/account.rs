//! Account rules (Go `Account.Validate` and `AccountClaims.Validate`): the operator's
//! limits (tiers, import and export counts, wildcard exports), signing keys and the
//! self-signed warning, and the order in which every other account rule runs (imports,
//! exports, default permissions, routing, auth callout settings and info live in their
//! own modules).
//!
//! Does not decide whether a signing key may sign a given user (see
//! [`crate::AccountClaims::signer_authority`] and [`super::validate_scoped_signer`]), and
//! does not normalize a trace sampling of 0 to 100 as Go's `Validate` does in place.

use super::authorization::check_authorization;
use super::exports::{check_exports, check_info};
use super::imports::check_imports;
use super::permissions::check_permissions;
use super::routing::{check_cluster_traffic, check_mappings, check_trace};
use super::subject::has_wildcards;
use super::{check_times, Validate, ValidationError, ValidationReport, ValidationWarning};
use crate::account::{Account, AccountClaims, JetStreamLimits, OperatorLimits, SigningKeys};
use crate::nkey_check::is_public_key;
use crate::nkey_kind::KeyKind;
use crate::permissions::NO_LIMIT;

/// Go's `OperatorLimits.Validate`: tiers exclude flat JetStream limits and need names.
fn check_limits(limits: &OperatorLimits, errors: &mut Vec<ValidationError>) {
    if limits.tiered_limits.is_empty() {
        return;
    }
    if limits.jetstream != JetStreamLimits::default() {
        errors.push(ValidationError::TieredAndFlatJetStream);
    }
    if limits.tiered_limits.contains_key("") {
        errors.push(ValidationError::BlankTierName);
    }
}

/// Go's `OperatorLimits` checks of `Account.Validate`; Go counts imports twice over.
fn check_counts(account: &Account, errors: &mut Vec<ValidationError>) {
    let limits = &account.limits;
    let imports = account.imports.len();
    let exports = account.exports.len();
    let exceeds = |count: usize, max: i64| i64::try_from(count).map_or(true, |c| c > max);
    if !limits.is_empty() && limits.imports >= 0 && exceeds(imports, limits.imports) {
        errors.push(ValidationError::TooManyImports {
            count: imports,
            max: limits.imports,
        });
    }
    if limits.imports != NO_LIMIT && exceeds(imports, limits.imports) {
        errors.push(ValidationError::TooManyImports {
            count: imports,
            max: limits.imports,
        });
    }
    if limits.exports != NO_LIMIT {
        if exceeds(exports, limits.exports) {
            errors.push(ValidationError::TooManyExports {
                count: exports,
                max: limits.exports,
            });
        }
        if !limits.wildcards {
            for export in account.exports.iter().filter(|e| has_wildcards(&e.subject)) {
                errors.push(ValidationError::WildcardExportNotAllowed(
                    export.subject.clone(),
                ));
            }
        }
    }
}

/// Go's `SigningKeys.Validate`: every key, plain or scoped, is an account key.
fn check_signing_keys(keys: &SigningKeys, errors: &mut Vec<ValidationError>) {
    for (key, scope) in &keys.0 {
        match scope {
            Some(scope) if !is_public_key(&scope.key, KeyKind::Account) => {
                errors.push(ValidationError::InvalidScopedSigningKey(scope.key.clone()));
            }
            None if !is_public_key(key, KeyKind::Account) => {
                errors.push(ValidationError::InvalidSigningKey(key.clone()));
            }
            _ => {}
        }
    }
}

impl Validate for AccountClaims {
    /// Go's `AccountClaims.Validate`, in Go's order.
    fn validate(&self, now: i64) -> ValidationReport {
        let mut report = ValidationReport::default();
        check_times(self.standard(), now, &mut report);
        let account = &self.nats;
        check_imports(&account.imports, &self.sub, &mut report);
        let errors = &mut report.errors;
        check_exports(&account.exports, errors);
        check_limits(&account.limits, errors);
        let defaults = &account.default_permissions;
        check_permissions(&defaults.publish, &defaults.subscribe, errors);
        check_mappings(&account.mappings, errors);
        check_authorization(&account.authorization, errors);
        if let Some(trace) = &account.trace {
            check_trace(trace, errors);
        }
        check_counts(account, errors);
        check_signing_keys(&account.signing_keys, errors);
        check_info(&account.description, &account.info_url, errors);
        check_cluster_traffic(&account.cluster_traffic, errors);
        if is_public_key(&self.iss, KeyKind::Account) && !account.limits.is_empty() {
            report
                .warnings
                .push(ValidationWarning::SelfSignedWithLimits);
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{Export, ExportType, Import, UserScope};
    use crate::KeyPair;

    const NOW: i64 = 1_800_000_000;

    fn account(f: impl FnOnce(&mut Account)) -> AccountClaims {
        let mut claims = AccountClaims::new_account(KeyPair::new_account().public_key());
        claims.iss = KeyPair::new_operator().public_key();
        f(&mut claims.nats);
        claims
    }

    fn errors(f: impl FnOnce(&mut Account)) -> Vec<ValidationError> {
        account(f).validate(NOW).errors
    }

    fn export(subject: &str) -> Export {
        Export {
            subject: subject.into(),
            export_type: Some(ExportType::Stream),
            ..Default::default()
        }
    }

    fn import(subject: &str) -> Import {
        Import {
            subject: subject.into(),
            account: KeyPair::new_account().public_key(),
            import_type: Some(ExportType::Stream),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_account_passes() {
        let report = account(|_| {}).validate(NOW);
        assert!(report.is_valid(), "{report:?}");
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn self_signed_account_with_limits_is_a_warning() {
        let mut claims = account(|_| {});
        claims.iss = claims.sub.clone();
        let report = claims.validate(NOW);
        assert!(report.is_valid());
        assert_eq!(
            report.warnings,
            vec![ValidationWarning::SelfSignedWithLimits]
        );
        claims.nats.limits = OperatorLimits::default();
        assert!(claims.validate(NOW).warnings.is_empty());
    }

    #[test]
    fn tiered_limits_rules() {
        let tier = JetStreamLimits {
            disk_storage: 1,
            ..Default::default()
        };
        let errors = errors(|a| {
            a.limits.jetstream.mem_storage = 1;
            a.limits.tiered_limits.insert(String::new(), tier);
        });
        assert!(matches!(
            errors.as_slice(),
            [
                ValidationError::TieredAndFlatJetStream,
                ValidationError::BlankTierName
            ]
        ));
    }

    #[test]
    fn too_many_imports_is_reported_twice_as_in_go() {
        let errors = errors(|a| {
            a.limits.imports = 1;
            a.imports = vec![import("a"), import("b")];
        });
        assert!(matches!(
            errors.as_slice(),
            [
                ValidationError::TooManyImports { count: 2, max: 1 },
                ValidationError::TooManyImports { count: 2, max: 1 }
            ]
        ));
    }

    #[test]
    fn too_many_exports_and_wildcards() {
        let errors = errors(|a| {
            a.limits.exports = 1;
            a.limits.wildcards = false;
            a.exports = vec![export("a.*"), export("b")];
        });
        assert!(matches!(
            errors.as_slice(),
            [
                ValidationError::TooManyExports { count: 2, max: 1 },
                ValidationError::WildcardExportNotAllowed(_)
            ]
        ));
    }

    #[test]
    fn signing_keys_must_be_account_keys() {
        let errors = errors(|a| {
            a.signing_keys.add(KeyPair::new_account().public_key());
            a.signing_keys.add("not-a-key");
            a.signing_keys
                .add_scoped(UserScope::new(KeyPair::new_account().public_key()));
            a.signing_keys.add_scoped(UserScope::new("bad-scoped-key"));
        });
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors
            .iter()
            .any(|e| matches!(e, ValidationError::InvalidSigningKey(k) if k == "not-a-key")));
        assert!(errors
            .iter()
            .any(|e| matches!(e, ValidationError::InvalidScopedSigningKey(_))));
    }

    #[test]
    fn default_permissions_are_checked() {
        let errors = errors(|a| a.default_permissions.publish.allow = vec!["a q".into()]);
        assert!(matches!(
            errors.as_slice(),
            [ValidationError::QueueNotAllowed(_)]
        ));
    }

    #[test]
    fn display_texts_are_pinned() {
        let k = || String::from("K");
        let cases = [
            (
                ValidationError::TieredAndFlatJetStream,
                "flat and tiered JetStream limits are mutually exclusive",
            ),
            (
                ValidationError::BlankTierName,
                "tiered JetStream limits cannot contain a blank tier name",
            ),
            (
                ValidationError::TooManyImports { count: 3, max: 2 },
                "the account has 3 imports, more than the operator allows (2)",
            ),
            (
                ValidationError::TooManyExports { count: 3, max: 2 },
                "the account has 3 exports, more than the operator allows (2)",
            ),
            (
                ValidationError::WildcardExportNotAllowed("a.>".into()),
                "wildcard export `a.>` is not allowed by the operator",
            ),
            (
                ValidationError::InvalidSigningKey(k()),
                "signing key `K` is not an account public key",
            ),
            (
                ValidationError::InvalidScopedSigningKey(k()),
                "scoped signing key `K` is not an account public key",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
