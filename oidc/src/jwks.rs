//! A tenant's JSON Web Key Set, from the file its `identity.oidc.jwks_file` names or its URL:
//! the public keys ID tokens may be signed with, each with the algorithms it may verify.
//!
//! Only asymmetric signature keys are kept: RSA (RS256/384/512, PS256/384/512), EC P-256
//! (ES256), EC P-384 (ES384) and Ed25519 (EdDSA). A key's own `alg` narrows that list;
//! symmetric (`oct`) keys, encryption keys (`use: enc`) and unknown key types are skipped
//! with a warning, so an HMAC token can never verify against a public key.
//!
//! Pure: text in, keys out. Not here: reading a JWKS file (`file`) or fetching a JWKS
//! URL (`remote`).

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// The largest JWKS file read.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// One usable key.
pub struct VerificationKey {
    /// The key id (`kid`), if the set gives one.
    pub kid: Option<String>,
    /// The key.
    pub key: DecodingKey,
    /// The algorithms it may verify.
    pub algorithms: Vec<Algorithm>,
}

/// The usable keys of one JWKS.
#[derive(Default)]
pub struct KeyRing {
    /// The keys, in file order.
    pub keys: Vec<VerificationKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self
            .keys
            .iter()
            .map(|k| k.kid.as_deref().unwrap_or("-"))
            .collect();
        f.debug_struct("KeyRing").field("kids", &kids).finish()
    }
}

const RSA: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

impl KeyRing {
    /// Parses JWKS text.
    ///
    /// # Errors
    /// Why the text is not a usable JWKS.
    pub fn parse(text: &str) -> Result<KeyRing, String> {
        if text.len() > MAX_JWKS_BYTES {
            return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
        }
        let set: JwkSet = serde_json::from_str(text).map_err(|e| {
            format!(
                "not a JSON Web Key Set (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let mut keys = Vec::new();
        for (i, jwk) in set.keys.iter().enumerate() {
            let kid = jwk.common.key_id.clone();
            let label = kid.clone().unwrap_or_else(|| format!("#{i}"));
            if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
                tracing::warn!(key = %label, "JWKS key for encryption skipped");
                continue;
            }
            let by_type: Vec<Algorithm> = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => RSA.to_vec(),
                AlgorithmParameters::EllipticCurve(p) => match p.curve {
                    EllipticCurve::P256 => vec![Algorithm::ES256],
                    EllipticCurve::P384 => vec![Algorithm::ES384],
                    _ => Vec::new(),
                },
                AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
                    vec![Algorithm::EdDSA]
                }
                _ => Vec::new(),
            };
            let algorithms: Vec<Algorithm> = match jwk.common.key_algorithm {
                None => by_type,
                Some(declared) => match key_algorithm(declared) {
                    Some(alg) if by_type.contains(&alg) => vec![alg],
                    _ => Vec::new(),
                },
            };
            if algorithms.is_empty() {
                tracing::warn!(key = %label, "JWKS key of an unsupported type or algorithm skipped");
                continue;
            }
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => keys.push(VerificationKey {
                    kid,
                    key,
                    algorithms,
                }),
                Err(err) => tracing::warn!(key = %label, error = %err, "JWKS key skipped"),
            }
        }
        if keys.is_empty() {
            return Err(String::from("no usable signature key"));
        }
        Ok(KeyRing { keys })
    }

    /// The keys that may verify a token with header `kid` and `alg`: with a `kid`, only
    /// the key of that id; without one, every key for the algorithm.
    pub fn candidates<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> impl Iterator<Item = &'a VerificationKey> + 'a {
        self.keys.iter().filter(move |k| {
            k.algorithms.contains(&alg) && (kid.is_none() || k.kid.as_deref() == kid)
        })
    }
}

/// The signature algorithm a JWK's `alg` names, if it is one this module verifies.
fn key_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    match alg {
        KeyAlgorithm::RS256 => Some(Algorithm::RS256),
        KeyAlgorithm::RS384 => Some(Algorithm::RS384),
        KeyAlgorithm::RS512 => Some(Algorithm::RS512),
        KeyAlgorithm::PS256 => Some(Algorithm::PS256),
        KeyAlgorithm::PS384 => Some(Algorithm::PS384),
        KeyAlgorithm::PS512 => Some(Algorithm::PS512),
        KeyAlgorithm::ES256 => Some(Algorithm::ES256),
        KeyAlgorithm::ES384 => Some(Algorithm::ES384),
        KeyAlgorithm::EdDSA => Some(Algorithm::EdDSA),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"ed"}"#;

    #[test]
    fn asymmetric_keys_are_kept_and_the_rest_skipped() {
        let text = format!(
            r#"{{"keys":[{ED},
              {{"kty":"oct","k":"c2VjcmV0","kid":"hmac"}},
              {{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc","kid":"enc"}},
              {{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"RS256","kid":"mislabelled"}}]}}"#
        );
        let ring = KeyRing::parse(&text).unwrap();
        assert_eq!(ring.keys.len(), 1);
        assert_eq!(format!("{ring:?}"), "KeyRing { kids: [\"ed\"] }");
        assert_eq!(ring.candidates(Some("ed"), Algorithm::EdDSA).count(), 1);
        assert_eq!(ring.candidates(None, Algorithm::EdDSA).count(), 1);
        assert_eq!(ring.candidates(Some("other"), Algorithm::EdDSA).count(), 0);
        assert_eq!(ring.candidates(Some("ed"), Algorithm::HS256).count(), 0);
    }

    #[test]
    fn files_without_usable_keys_are_refused() {
        assert!(KeyRing::parse("{\"keys\":[]}").is_err());
        assert!(KeyRing::parse("not json").is_err());
        let only_hmac = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#;
        assert!(KeyRing::parse(only_hmac).is_err());
    }
}
