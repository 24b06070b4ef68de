//! Encoding and signing, step for step as Go's `ClaimsData.doEncode`: check the subject
//! and issuer kinds, set `iss` and `iat`, compute `jti`, set type and version, serialize
//! Go-style, sign `header.payload` with ed25519.

use data_encoding::BASE64URL_NOPAD;
use nkeys::KeyPair;

use crate::claim_body::ClaimBody;
use crate::claims_data::Claims;
use crate::error::ClaimsError;
use crate::generic::GenericClaims;
use crate::go_json::to_go_json;
use crate::nkey_check::is_public_key;
use crate::nkey_kind::KeyKind;

/// The header every token this library writes carries, `{"typ":"JWT","alg":"ed25519-nkey"}`,
/// base64url-encoded.
pub const HEADER_B64: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ";

impl<N: ClaimBody> Claims<N> {
    /// Signs the claims with `signer` as of `iat` (unix seconds) and returns the token.
    ///
    /// Like Go's `Encode`, this updates the claims: `iss` becomes the signer's public key,
    /// `iat` the given time, `jti` the computed id, and the body's type and version are
    /// set (account imports and exports are sorted by subject).
    ///
    /// # Errors
    /// [`ClaimsError::SubjectKind`] if the subject is not a public key of the kind this claim
    /// type needs, [`ClaimsError::IssuerKind`] if `signer` may not sign it,
    /// [`ClaimsError::Sign`] if `signer` holds no seed.
    ///
    /// # Examples
    /// ```
    /// use claims::{UserClaims, KeyPair};
    /// let account = KeyPair::new_account();
    /// let user = KeyPair::new_user();
    /// let mut claims = UserClaims::new_user(user.public_key());
    /// claims.name = "alice".into();
    /// let token = claims.encode(&account, 1_800_000_000).unwrap();
    /// let back = UserClaims::decode(&token).unwrap();
    /// assert_eq!(back, claims);
    /// assert_eq!(back.iss, account.public_key());
    /// ```
    pub fn encode(&mut self, signer: &KeyPair, iat: i64) -> Result<String, ClaimsError> {
        if self.sub.is_empty() {
            return Err(ClaimsError::Encode {
                reason: String::from("subject is not set"),
            });
        }
        if let Some(kind) = N::SUBJECT {
            if !is_public_key(&self.sub, kind) {
                return Err(ClaimsError::SubjectKind { expected: kind });
            }
        }
        let issuer = signer.public_key();
        check_issuer(&issuer, N::ISSUERS)?;
        self.iss = issuer;
        self.iat = iat;
        self.jti = String::new();
        self.jti = self.standard().compute_jti()?;
        self.nats.prepare_for_encoding();
        sign(&to_go_json(self)?, signer)
    }
}

impl GenericClaims {
    /// Signs generic claims as Go's `GenericClaims.Encode` does; any key kind may sign.
    ///
    /// # Errors
    /// [`ClaimsError::Encode`] when the subject is empty, [`ClaimsError::Sign`] when
    /// `signer` holds no seed.
    pub fn encode(&mut self, signer: &KeyPair, iat: i64) -> Result<String, ClaimsError> {
        if self.sub.is_empty() {
            return Err(ClaimsError::Encode {
                reason: String::from("subject is not set"),
            });
        }
        self.iss = signer.public_key();
        self.iat = iat;
        self.jti = String::new();
        self.jti = self.standard().compute_jti()?;
        self.prepare_for_encoding();
        sign(&self.to_go_json()?, signer)
    }
}

pub(crate) fn check_issuer(issuer: &str, allowed: &[KeyKind]) -> Result<(), ClaimsError> {
    if allowed.iter().any(|kind| is_public_key(issuer, *kind)) {
        Ok(())
    } else {
        Err(ClaimsError::IssuerKind {
            expected: allowed.to_vec(),
        })
    }
}

fn sign(payload_json: &str, signer: &KeyPair) -> Result<String, ClaimsError> {
    let payload = BASE64URL_NOPAD.encode(payload_json.as_bytes());
    let mut token = String::with_capacity(HEADER_B64.len() + payload.len() + 88);
    token.push_str(HEADER_B64);
    token.push('.');
    token.push_str(&payload);
    let signature = signer
        .sign(token.as_bytes())
        .map_err(|err| ClaimsError::Sign {
            reason: err.to_string(),
        })?;
    token.push('.');
    token.push_str(&BASE64URL_NOPAD.encode(&signature));
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountClaims;
    use crate::user::UserClaims;

    #[test]
    fn header_constant_is_the_go_header() {
        let decoded = BASE64URL_NOPAD.decode(HEADER_B64.as_bytes()).unwrap();
        assert_eq!(decoded, br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    }

    #[test]
    fn refuses_wrong_subject_and_issuer_kinds() {
        let operator = KeyPair::new_operator();
        let account = KeyPair::new_account();
        let mut user = UserClaims::new_user(KeyPair::new_user().public_key());
        assert!(matches!(
            user.encode(&operator, 1),
            Err(ClaimsError::IssuerKind { .. })
        ));
        let mut bad_subject = UserClaims::new_user(account.public_key());
        assert!(matches!(
            bad_subject.encode(&account, 1),
            Err(ClaimsError::SubjectKind {
                expected: KeyKind::User
            })
        ));
        let mut acct = AccountClaims::new_account(account.public_key());
        assert!(acct.encode(&operator, 1).is_ok());
    }

    #[test]
    fn a_public_only_key_cannot_sign() {
        let account = KeyPair::new_account();
        let public_only = KeyPair::from_public_key(&account.public_key()).unwrap();
        let mut user = UserClaims::new_user(KeyPair::new_user().public_key());
        assert!(matches!(
            user.encode(&public_only, 1),
            Err(ClaimsError::Sign { .. })
        ));
    }
}
