//! The JWT envelope every claim type shares: the standard fields (`aud` … `sub`) and the
//! type-specific `nats` body, plus the `jti` recipe.
//!
//! The trait that ties a body to its claim type, [`crate::ClaimBody`], is in `claim_body.rs`
//! above the bodies; the envelope does not need it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512_256};

use crate::error::ClaimsError;
use crate::go_json::to_go_json;
use crate::omit;

/// The claims library version written into `nats.version`.
pub const LIB_VERSION: i64 = 2;

/// A decoded or to-be-encoded JWT: the standard fields and the type-specific body.
///
/// The fields are in Go's `ClaimsData` order; `nats` comes last.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Claims<N> {
    /// Audience.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub aud: String,
    /// Expiry, unix seconds; 0 means none.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub exp: i64,
    /// Claims id; set by encoding.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jti: String,
    /// Issue time, unix seconds; set by encoding.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub iat: i64,
    /// Public key of the signer; set by encoding.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub iss: String,
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Not valid before, unix seconds; 0 means none.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub nbf: i64,
    /// Subject: the public key the claims are about.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sub: String,
    /// The type-specific body.
    #[serde(default)]
    pub nats: N,
}

/// The standard fields alone, as Go hashes them for the `jti`.
#[derive(Serialize)]
struct StandardFields<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    aud: &'a str,
    #[serde(skip_serializing_if = "omit::zero_i64")]
    exp: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    jti: &'a str,
    #[serde(skip_serializing_if = "omit::zero_i64")]
    iat: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    iss: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "omit::zero_i64")]
    nbf: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    sub: &'a str,
}

/// The standard fields of any claims, by reference.
#[derive(Debug, Clone, Copy)]
pub struct Standard<'a> {
    /// Audience.
    pub aud: &'a str,
    /// Expiry.
    pub exp: i64,
    /// Claims id.
    pub jti: &'a str,
    /// Issue time.
    pub iat: i64,
    /// Issuer.
    pub iss: &'a str,
    /// Name.
    pub name: &'a str,
    /// Not before.
    pub nbf: i64,
    /// Subject.
    pub sub: &'a str,
}

impl Standard<'_> {
    /// The serialized standard fields, as Go's `json.Marshal(ClaimsData)` writes them.
    pub(crate) fn to_go_json(self) -> Result<String, ClaimsError> {
        to_go_json(&StandardFields {
            aud: self.aud,
            exp: self.exp,
            jti: self.jti,
            iat: self.iat,
            iss: self.iss,
            name: self.name,
            nbf: self.nbf,
            sub: self.sub,
        })
    }

    /// The `jti` Go computes: base32 (standard alphabet, no padding) of SHA-512/256 over
    /// the standard fields with `jti` empty.
    pub(crate) fn compute_jti(self) -> Result<String, ClaimsError> {
        let json = Standard { jti: "", ..self }.to_go_json()?;
        let digest = Sha512_256::digest(json.as_bytes());
        Ok(data_encoding::BASE32_NOPAD.encode(&digest))
    }

    /// Checks `exp` and `nbf` against `now` (unix seconds).
    ///
    /// # Errors
    /// [`ClaimsError::Expired`] when `now` is past a set `exp`; [`ClaimsError::NotYetValid`]
    /// when a set `nbf` is after `now`.
    pub fn check_times(self, now: i64) -> Result<(), ClaimsError> {
        if self.exp > 0 && now > self.exp {
            return Err(ClaimsError::Expired { exp: self.exp, now });
        }
        if self.nbf > 0 && self.nbf > now {
            return Err(ClaimsError::NotYetValid { nbf: self.nbf, now });
        }
        Ok(())
    }
}

impl<N> Claims<N> {
    /// The standard fields by reference.
    pub fn standard(&self) -> Standard<'_> {
        Standard {
            aud: &self.aud,
            exp: self.exp,
            jti: &self.jti,
            iat: self.iat,
            iss: &self.iss,
            name: &self.name,
            nbf: self.nbf,
            sub: &self.sub,
        }
    }

    /// Checks `exp` and `nbf` against `now` (unix seconds); see [`Standard::check_times`].
    ///
    /// # Errors
    /// [`ClaimsError::Expired`] or [`ClaimsError::NotYetValid`].
    pub fn check_times(&self, now: i64) -> Result<(), ClaimsError> {
        self.standard().check_times(now)
    }

    /// Claims about `subject` with the given body and no other standard field set.
    pub fn with_body(subject: impl Into<String>, nats: N) -> Self {
        Claims {
            aud: String::new(),
            exp: 0,
            jti: String::new(),
            iat: 0,
            iss: String::new(),
            name: String::new(),
            nbf: 0,
            sub: subject.into(),
            nats,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_checks_use_the_given_clock() {
        let s = Standard {
            aud: "",
            exp: 100,
            jti: "",
            iat: 0,
            iss: "",
            name: "",
            nbf: 50,
            sub: "",
        };
        assert!(s.check_times(75).is_ok());
        assert!(s.check_times(100).is_ok());
        assert!(matches!(
            s.check_times(101),
            Err(ClaimsError::Expired { .. })
        ));
        assert!(matches!(
            s.check_times(49),
            Err(ClaimsError::NotYetValid { .. })
        ));
    }

    #[test]
    fn jti_is_sha512_256_base32_of_the_standard_fields() {
        let s = Standard {
            aud: "",
            exp: 0,
            jti: "ignored",
            iat: 1,
            iss: "A",
            name: "",
            nbf: 0,
            sub: "U",
        };
        let jti = s.compute_jti().unwrap();
        assert_eq!(jti.len(), 52);
        let expected = data_encoding::BASE32_NOPAD
            .encode(&Sha512_256::digest(br#"{"iat":1,"iss":"A","sub":"U"}"#));
        assert_eq!(jti, expected);
    }
}
