//! Who may sign the account JWTs the agent reads: the operator the NATS servers trust.
//!
//! An account JWT tagged `tenant:<name>` makes its account a tenant, so a file in the
//! agent's account JWT directory is as powerful as a `--tenant` flag. The agent believes
//! one only when its issuer is a key of the operator, learnt in either way:
//!
//! - `--operator-jwt FILE`: the operator JWT, the same file the servers' `operator`
//!   setting names (`nsc-setup` writes it to `nsc/stores/<operator>/<operator>.jwt`). It
//!   must verify and be signed by the operator itself. Its identity key and its signing
//!   keys are trusted; with `strict_signing_key_usage` only its signing keys, as the
//!   servers do.
//! - `--operator-key KEY` (repeatable): operator public keys (`O…`) trusted as issuers,
//!   exactly these keys: the identity key alone does not vouch for accounts that a
//!   signing key signed.
//!
//! Pure: reading the file is the caller's job.

use std::collections::BTreeSet;

use claims::{KeyKind, OperatorClaims};
use thiserror::Error;

/// An operator that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The operator JWT does not decode or verify, or is not the operator's own.
    #[error("operator JWT `{source_name}` is not valid: {reason}")]
    OperatorJwt {
        /// Where it came from (a file name).
        source_name: String,
        /// Why.
        reason: String,
    },
    /// Not an operator public key.
    #[error("`{key}` is not an operator public key (it must start with `O`)")]
    Key {
        /// The key given.
        key: String,
    },
}

/// The operator keys account JWTs may be signed by; empty trusts nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorTrust {
    keys: BTreeSet<String>,
}

impl OperatorTrust {
    /// Trusts nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts the keys of the operator JWT `jwt` (read from `source_name`).
    ///
    /// # Errors
    /// [`TrustError::OperatorJwt`] when it does not decode or verify, or when a key other
    /// than the operator's own signed it.
    ///
    /// # Examples
    /// ```
    /// let operator = claims::KeyPair::new_operator();
    /// let signing = claims::KeyPair::new_operator();
    /// let mut claims = claims::OperatorClaims::with_body(operator.public_key(), Default::default());
    /// claims.nats.signing_keys = vec![signing.public_key()];
    /// let jwt = claims.encode(&operator, 1).unwrap();
    /// let mut trust = agent::OperatorTrust::new();
    /// trust.add_operator_jwt("OP.jwt", &jwt).unwrap();
    /// assert!(trust.trusts(&signing.public_key()));
    /// assert!(!trust.trusts(&claims::KeyPair::new_operator().public_key()));
    /// ```
    pub fn add_operator_jwt(&mut self, source_name: &str, jwt: &str) -> Result<(), TrustError> {
        let bad = |reason: String| TrustError::OperatorJwt {
            source_name: source_name.to_owned(),
            reason,
        };
        let operator = OperatorClaims::decode(jwt.trim()).map_err(|e| bad(e.to_string()))?;
        if !operator.is_operator_key(&operator.iss) {
            return Err(bad(format!(
                "it is signed by `{}`, not by operator `{}` or one of its signing keys",
                operator.iss, operator.sub
            )));
        }
        if !operator.nats.strict_signing_key_usage {
            self.keys.insert(operator.sub.clone());
        }
        self.keys.extend(operator.nats.signing_keys.iter().cloned());
        Ok(())
    }

    /// Trusts the operator public key `key`.
    ///
    /// # Errors
    /// [`TrustError::Key`] when `key` is not an operator public key.
    pub fn add_key(&mut self, key: &str) -> Result<(), TrustError> {
        let key = key.trim();
        claims::check_public_key(key, KeyKind::Operator).map_err(|_| TrustError::Key {
            key: key.to_owned(),
        })?;
        self.keys.insert(key.to_owned());
        Ok(())
    }

    /// Whether an account JWT issued by `issuer` is believed.
    pub fn trusts(&self, issuer: &str) -> bool {
        self.keys.contains(issuer)
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::{KeyPair, Operator};

    fn operator_jwt(strict: bool) -> (String, KeyPair, KeyPair) {
        let operator = KeyPair::new_operator();
        let signing = KeyPair::new_operator();
        let mut claims = OperatorClaims::with_body(operator.public_key(), Operator::default());
        claims.nats.signing_keys = vec![signing.public_key()];
        claims.nats.strict_signing_key_usage = strict;
        (claims.encode(&operator, 1).unwrap(), operator, signing)
    }

    #[test]
    fn an_operator_jwt_trusts_its_identity_and_signing_keys() {
        let (jwt, operator, signing) = operator_jwt(false);
        let mut trust = OperatorTrust::new();
        assert!(trust.is_empty());
        trust
            .add_operator_jwt("OP.jwt", &format!("{jwt}\n"))
            .unwrap();
        assert!(trust.trusts(&operator.public_key()));
        assert!(trust.trusts(&signing.public_key()));
        assert!(!trust.trusts(&KeyPair::new_operator().public_key()));
    }

    #[test]
    fn strict_signing_key_usage_leaves_the_identity_key_out() {
        let (jwt, operator, signing) = operator_jwt(true);
        let mut trust = OperatorTrust::new();
        trust.add_operator_jwt("OP.jwt", &jwt).unwrap();
        assert!(!trust.trusts(&operator.public_key()));
        assert!(trust.trusts(&signing.public_key()));
    }

    #[test]
    fn an_operator_jwt_signed_by_someone_else_is_refused() {
        let operator = KeyPair::new_operator();
        let mut claims = OperatorClaims::with_body(operator.public_key(), Operator::default());
        let jwt = claims.encode(&KeyPair::new_operator(), 1).unwrap();
        let err = OperatorTrust::new()
            .add_operator_jwt("OP.jwt", &jwt)
            .unwrap_err();
        assert!(err.to_string().contains("is signed by"), "{err}");
        let account = KeyPair::new_account();
        let mut claims = claims::AccountClaims::new_account(account.public_key());
        let jwt = claims.encode(&operator, 1).unwrap();
        assert!(matches!(
            OperatorTrust::new().add_operator_jwt("A.jwt", &jwt),
            Err(TrustError::OperatorJwt { .. })
        ));
    }

    #[test]
    fn keys_are_operator_public_keys_only() {
        let mut trust = OperatorTrust::new();
        let key = KeyPair::new_operator().public_key();
        trust.add_key(&format!(" {key} ")).unwrap();
        assert!(trust.trusts(&key));
        for bad in [KeyPair::new_account().public_key(), "Onope".to_owned()] {
            assert_eq!(
                trust.add_key(&bad),
                Err(TrustError::Key { key: bad.clone() })
            );
        }
    }
}
