//! Operator rules (Go `Operator.Validate`): the account server URL, operator service URLs
//! (`nats`, `tls`, `ws` or `wss`, no credentials, no path), operator signing keys, the
//! system account and the asserted server version.
//!
//! Does not check that the system account exists or that the URLs answer: pure checks.

use super::go_url;
use super::subject::go_atoi;
use super::{check_times, Validate, ValidationError, ValidationReport};
use crate::nkey_check::is_public_key;
use crate::nkey_kind::KeyKind;
use crate::operator::{Operator, OperatorClaims};

/// Schemes an operator service URL may use.
const SERVICE_URL_SCHEMES: [&str; 4] = ["nats", "tls", "ws", "wss"];

/// Go's `ParseServerVersion`: empty, or `major.minor.patch` of non-negative integers.
fn check_server_version(version: &str) -> Result<(), String> {
    if version.is_empty() {
        return Ok(());
    }
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3 {
        return Err(String::from("must be of the form <major>.<minor>.<patch>"));
    }
    for part in parts {
        match go_atoi(part) {
            None => return Err(format!("cannot parse `{part}` as an integer")),
            Some(n) if n < 0 => return Err(String::from("cannot contain negative values")),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Go's `ValidateOperatorServiceURL` for a non-empty URL.
fn check_service_url(url: &str, errors: &mut Vec<ValidationError>) {
    let parsed = match go_url::parse(url) {
        Ok(parsed) => parsed,
        Err(reason) => {
            errors.push(ValidationError::InvalidServiceUrl {
                url: url.to_owned(),
                reason,
            });
            return;
        }
    };
    if parsed.has_user {
        errors.push(ValidationError::ServiceUrlCredentials(url.to_owned()));
    } else if parsed.has_path {
        errors.push(ValidationError::ServiceUrlPath(url.to_owned()));
    } else if !SERVICE_URL_SCHEMES.contains(&parsed.scheme.as_str()) {
        errors.push(ValidationError::ServiceUrlScheme(url.to_owned()));
    }
}

/// Go's `Operator.Validate`.
fn check_operator(operator: &Operator, errors: &mut Vec<ValidationError>) {
    let server_url = &operator.account_server_url;
    if !server_url.is_empty() {
        let problem = match go_url::parse(server_url) {
            Ok(url) if url.scheme.is_empty() => Some(String::from("a scheme is required")),
            Ok(_) => None,
            Err(reason) => Some(reason),
        };
        if let Some(reason) = problem {
            errors.push(ValidationError::InvalidAccountServerUrl {
                url: server_url.clone(),
                reason,
            });
        }
    }
    for url in operator
        .operator_service_urls
        .iter()
        .filter(|u| !u.is_empty())
    {
        check_service_url(url, errors);
    }
    for key in &operator.signing_keys {
        if !is_public_key(key, KeyKind::Operator) {
            errors.push(ValidationError::InvalidOperatorSigningKey(key.clone()));
        }
    }
    let system = &operator.system_account;
    if !system.is_empty() && !is_public_key(system, KeyKind::Account) {
        errors.push(ValidationError::InvalidSystemAccount(system.clone()));
    }
    if let Err(reason) = check_server_version(&operator.assert_server_version) {
        errors.push(ValidationError::InvalidServerVersion {
            version: operator.assert_server_version.clone(),
            reason,
        });
    }
}

impl Validate for OperatorClaims {
    /// Go's `OperatorClaims.Validate`: time checks, then the operator rules.
    fn validate(&self, now: i64) -> ValidationReport {
        let mut report = ValidationReport::default();
        check_times(self.standard(), now, &mut report);
        check_operator(&self.nats, &mut report.errors);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyPair;

    const NOW: i64 = 1_800_000_000;

    fn errors(f: impl FnOnce(&mut Operator)) -> Vec<ValidationError> {
        let key = KeyPair::new_operator().public_key();
        let mut claims = OperatorClaims::with_body(key, Operator::default());
        f(&mut claims.nats);
        claims.validate(NOW).errors
    }

    #[test]
    fn good_operator_passes() {
        let errors = errors(|o| {
            o.signing_keys = vec![KeyPair::new_operator().public_key()];
            o.system_account = KeyPair::new_account().public_key();
            o.account_server_url = "https://accounts.example.com/jwt/v1".into();
            o.operator_service_urls = vec![
                "nats://a:4222".into(),
                "TLS://b:4222".into(),
                "ws://c".into(),
                "wss://d:443".into(),
                "".into(),
            ];
            o.assert_server_version = "2.10.0".into();
        });
        assert_eq!(errors, vec![]);
    }

    #[test]
    fn account_server_url_needs_a_scheme() {
        for url in ["accounts.example.com", "://bad"] {
            assert!(matches!(
                errors(|o| o.account_server_url = url.into()).as_slice(),
                [ValidationError::InvalidAccountServerUrl { .. }]
            ));
        }
    }

    #[test]
    fn service_url_rules() {
        let check = |url: &str| errors(|o| o.operator_service_urls = vec![url.into()]);
        assert!(matches!(
            check("://bad").as_slice(),
            [ValidationError::InvalidServiceUrl { .. }]
        ));
        assert!(matches!(
            check("nats://u:p@host:4222").as_slice(),
            [ValidationError::ServiceUrlCredentials(_)]
        ));
        assert!(matches!(
            check("nats://host:4222/path").as_slice(),
            [ValidationError::ServiceUrlPath(_)]
        ));
        assert!(matches!(
            check("http://x.example.com:80").as_slice(),
            [ValidationError::ServiceUrlScheme(_)]
        ));
    }

    #[test]
    fn keys_must_be_of_the_right_kind() {
        let account = KeyPair::new_account().public_key();
        let user = KeyPair::new_user().public_key();
        assert!(matches!(
            errors(|o| {
                o.signing_keys = vec![account];
                o.system_account = user;
            })
            .as_slice(),
            [
                ValidationError::InvalidOperatorSigningKey(_),
                ValidationError::InvalidSystemAccount(_)
            ]
        ));
    }

    #[test]
    fn server_version_must_parse() {
        assert_eq!(check_server_version("+2.10.0"), Ok(()));
        for bad in ["2.x.0", "2.10", "2.10.0.1", "-1.0.0", "2..0"] {
            assert!(check_server_version(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            errors(|o| o.assert_server_version = "2.x.0".into()).as_slice(),
            [ValidationError::InvalidServerVersion { .. }]
        ));
    }

    #[test]
    fn display_texts_are_pinned() {
        let u = || String::from("http://h");
        let cases = [
            (
                ValidationError::InvalidOperatorSigningKey("A1".into()),
                "operator signing key `A1` is not an operator public key",
            ),
            (
                ValidationError::InvalidSystemAccount("U1".into()),
                "system account `U1` is not an account public key",
            ),
            (
                ValidationError::InvalidServerVersion {
                    version: "2.x.0".into(),
                    reason: "cannot parse `x` as an integer".into(),
                },
                "asserted server version `2.x.0` is invalid: cannot parse `x` as an integer",
            ),
            (
                ValidationError::InvalidAccountServerUrl {
                    url: "x".into(),
                    reason: "a scheme is required".into(),
                },
                "invalid account server url `x`: a scheme is required",
            ),
            (
                ValidationError::InvalidServiceUrl {
                    url: "://bad".into(),
                    reason: "missing protocol scheme".into(),
                },
                "invalid operator service url `://bad`: missing protocol scheme",
            ),
            (
                ValidationError::ServiceUrlCredentials(u()),
                "operator service url `http://h` cannot carry credentials",
            ),
            (
                ValidationError::ServiceUrlPath(u()),
                "operator service url `http://h` cannot have a path",
            ),
            (
                ValidationError::ServiceUrlScheme(u()),
                "operator service url `http://h` must use nats, tls, ws or wss",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
