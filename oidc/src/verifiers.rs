//! Every tenant's ID token verifier, and which tenant a token stands for.
//!
//! A token is routed by its (unverified) `iss` to the tenants whose `identity.oidc.issuer`
//! it names, then verified for each of them (`token`: signature by a key of the tenant's
//! JWKS, issuer, audience, expiry with the tenant's leeway, `tenant_claim`); exactly one
//! tenant must accept it. The outcome is a [`VerifiedCredential`] with the token's name,
//! tags and `exp`, which the policy turns into a user that never outlives the token.
//!
//! [`OidcVerifiers::load`] is where the edge is used: JWKS files are read (`file`) at
//! start and on SIGHUP, JWKS URLs are registered with the cache (`remote`) that fetches
//! them. [`OidcVerifiers::verify`] does no IO: it reads the latest key sets in memory and
//! at most asks the refresher to look again. Tokens never appear in logs or errors.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use policy::schema::OidcConfig;
use policy::{CredentialKind, VerifiedCredential};
use serde_json::{Map, Value};

use crate::error::OidcError;
use crate::jwks::KeyRing;
use crate::remote::{JwksCache, RemoteKeys};
use crate::token;

/// The largest ID token accepted.
pub const MAX_ID_TOKEN_BYTES: usize = 64 * 1024;

/// One tenant's verifier.
#[derive(Debug)]
struct TenantVerifier {
    tenant: String,
    config: OidcConfig,
    keys: KeySource,
}

/// Where a tenant's keys come from.
#[derive(Debug)]
enum KeySource {
    /// `jwks_file`, read at load.
    File(Arc<KeyRing>),
    /// `jwks_url`, kept fresh by the refresher.
    Url(Arc<RemoteKeys>),
}

impl KeySource {
    fn current(&self) -> Arc<KeyRing> {
        match self {
            KeySource::File(ring) => Arc::clone(ring),
            KeySource::Url(remote) => remote.current(),
        }
    }
}

/// The ID token verifiers of every tenant with `identity.oidc`.
#[derive(Debug, Default)]
pub struct OidcVerifiers {
    tenants: Vec<TenantVerifier>,
}

impl OidcVerifiers {
    /// Loads the JWKS of every tenant with `identity.oidc`: files now (relative paths are
    /// relative to `base`, the policy file's folder), URLs through `remote`, which fetches
    /// them in the background.
    ///
    /// # Errors
    /// [`OidcError::Jwks`] for a JWKS file that cannot be read or holds no usable key.
    pub fn load(
        policy: &policy::Policy,
        base: &Path,
        remote: &JwksCache,
    ) -> Result<Self, OidcError> {
        let mut tenants = Vec::new();
        for tenant in policy.tenants() {
            let Some(config) = &tenant.config().identity.oidc else {
                continue;
            };
            let keys = if config.jwks_url.is_empty() {
                let ring = KeyRing::load(&base.join(&config.jwks_file)).map_err(|reason| {
                    OidcError::Jwks {
                        tenant: tenant.name().to_owned(),
                        reason,
                    }
                })?;
                KeySource::File(Arc::new(ring))
            } else {
                KeySource::Url(remote.keys(&config.jwks_url))
            };
            tenants.push(TenantVerifier {
                tenant: tenant.name().to_owned(),
                config: config.clone(),
                keys,
            });
        }
        Ok(OidcVerifiers { tenants })
    }

    /// Whether any tenant accepts ID tokens.
    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty()
    }

    /// The credential `token` stands for at time `now` (`via_callout` false; the callout
    /// sets it).
    ///
    /// # Errors
    /// [`OidcError`]: the reason of the tenant that came closest when none accepts it.
    pub fn verify(&self, token: &str, now: i64) -> Result<VerifiedCredential, OidcError> {
        if token.len() > MAX_ID_TOKEN_BYTES {
            return Err(OidcError::Malformed);
        }
        // Routing only: nothing is trusted before the signature verifies.
        let unverified: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode(token)
            .map(|data| data.claims)
            .map_err(|_| OidcError::Malformed)?;
        let issuer = unverified.get("iss").and_then(Value::as_str).unwrap_or("");
        let mut error = OidcError::UnknownIssuer;
        let mut accepted = Vec::new();
        for tenant in self.tenants.iter().filter(|t| t.config.issuer == issuer) {
            let keys = tenant.keys.current();
            match token::verify(token, &tenant.tenant, &tenant.config, &keys, now) {
                Ok(verified) => accepted.push((tenant, verified)),
                Err(err) => {
                    if let (OidcError::UnknownKey, KeySource::Url(remote)) = (&err, &tenant.keys) {
                        // The issuer may have rotated: look again, for the next attempt.
                        remote.want_refresh(Instant::now());
                    }
                    error = err;
                }
            }
        }
        let mut accepted = accepted.into_iter();
        match (accepted.next(), accepted.next()) {
            (Some((tenant, verified)), None) => Ok(VerifiedCredential {
                kind: CredentialKind::IdToken,
                via_callout: false,
                tenant: tenant.tenant.clone(),
                name: verified.name,
                tags: verified.tags,
                not_after: Some(verified.expires_at),
            }),
            (Some(_), Some(_)) => Err(OidcError::Ambiguous),
            (None, _) => Err(error),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    use super::*;

    pub(crate) const NOW: i64 = 1_800_000_000;
    const ACCOUNT: &str = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y";

    /// A throwaway Ed25519 signing key (test only) and its JWK.
    pub(crate) struct TestIssuer {
        der: Vec<u8>,
        pub(crate) jwk: Value,
        kid: String,
    }

    impl TestIssuer {
        pub(crate) fn new(kid: &str) -> Self {
            let key = claims::KeyPair::new_user();
            let (_, seed) = nkeys::decode_seed(&key.seed().unwrap()).unwrap();
            let (_, public) = nkeys::from_public_key(&key.public_key()).unwrap();
            // PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410).
            let mut der = vec![
                0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
                0x04, 0x20,
            ];
            der.extend_from_slice(&seed);
            let x = data_encoding::BASE64URL_NOPAD.encode(&public);
            let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig"});
            TestIssuer {
                der,
                jwk,
                kid: kid.to_owned(),
            }
        }

        pub(crate) fn sign(&self, claims: &Value) -> String {
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = Some(self.kid.clone());
            jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.der)).unwrap()
        }
    }

    fn jwks(issuers: &[&TestIssuer]) -> String {
        json!({"keys": issuers.iter().map(|i| i.jwk.clone()).collect::<Vec<_>>()}).to_string()
    }

    fn verifiers(extra: &str, keys: &str) -> (tempfile::TempDir, OidcVerifiers) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("jwks.json"), keys).unwrap();
        let policy = policy::Policy::from_toml_str(&format!(
            "version = 1\n[[tenants]]\nname = \"acme\"\naccount = \"{ACCOUNT}\"\n\
             namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n\
             identity.oidc = {{ issuer = \"https://idp.test\", audience = \"nats\", \
             jwks_file = \"jwks.json\", tags_claim = \"groups\"{extra} }}\n\
             permissions.pub.allow = [\"tenant.acme.x\"]\n\
             permissions.sub.allow = [\"tenant.acme.x\"]\n"
        ))
        .unwrap();
        let (cache, _refresher) = JwksCache::new();
        let v = OidcVerifiers::load(&policy, dir.path(), &cache).unwrap();
        (dir, v)
    }

    fn claims(exp: i64) -> Value {
        json!({"iss": "https://idp.test", "aud": "nats", "sub": "alice", "exp": exp,
               "iat": NOW, "groups": ["dev", "ops"], "tenant": "acme"})
    }

    #[test]
    fn a_token_signed_by_a_jwks_key_verifies_and_maps() {
        let issuer = TestIssuer::new("k1");
        let (_dir, v) = verifiers("", &jwks(&[&issuer]));
        let credential = v.verify(&issuer.sign(&claims(NOW + 300)), NOW).unwrap();
        assert_eq!(credential.tenant, "acme");
        assert_eq!(credential.name, "alice");
        assert_eq!(credential.tags, ["dev", "ops"]);
        assert_eq!(credential.not_after, Some(NOW + 300));
        assert_eq!(credential.kind, CredentialKind::IdToken);
    }

    #[test]
    fn bad_tokens_are_refused_with_their_reason() {
        let issuer = TestIssuer::new("k1");
        let stranger = TestIssuer::new("k1");
        let (_dir, v) = verifiers(", tenant_claim = \"tenant\"", &jwks(&[&issuer]));
        let check = |token: String| v.verify(&token, NOW).unwrap_err();
        assert_eq!(check(issuer.sign(&claims(NOW - 61))), OidcError::Expired);
        // Within the leeway.
        assert!(v.verify(&issuer.sign(&claims(NOW - 59)), NOW).is_ok());
        let mut c = claims(NOW + 300);
        c["aud"] = json!("other");
        assert_eq!(check(issuer.sign(&c)), OidcError::Audience);
        let mut c = claims(NOW + 300);
        c["iss"] = json!("https://elsewhere.test");
        assert_eq!(check(issuer.sign(&c)), OidcError::UnknownIssuer);
        let mut c = claims(NOW + 300);
        c["nbf"] = json!(NOW + 3600);
        assert_eq!(check(issuer.sign(&c)), OidcError::NotYetValid);
        let mut c = claims(NOW + 300);
        c["tenant"] = json!("globex");
        assert_eq!(check(issuer.sign(&c)), OidcError::Tenant);
        let mut c = claims(NOW + 300);
        c.as_object_mut().unwrap().remove("exp");
        assert!(matches!(
            check(issuer.sign(&c)),
            OidcError::MissingClaim { .. }
        ));
        // Same kid, another key: the signature fails; an unknown kid has no key.
        assert_eq!(
            check(stranger.sign(&claims(NOW + 300))),
            OidcError::Signature
        );
        let other_kid = TestIssuer::new("k2");
        assert_eq!(
            check(other_kid.sign(&claims(NOW + 300))),
            OidcError::UnknownKey
        );
        assert_eq!(check(String::from("eyJ.x.y")), OidcError::Malformed);
        let token = issuer.sign(&claims(NOW + 300));
        assert!(!OidcError::Signature.to_string().contains(&token));
    }

    #[test]
    fn an_hmac_token_never_verifies_against_public_keys() {
        let issuer = TestIssuer::new("k1");
        let (_dir, v) = verifiers("", &jwks(&[&issuer]));
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(String::from("k1"));
        let x = issuer.jwk["x"].as_str().unwrap().as_bytes();
        let forged =
            jsonwebtoken::encode(&header, &claims(NOW + 300), &EncodingKey::from_secret(x))
                .unwrap();
        assert_eq!(v.verify(&forged, NOW).unwrap_err(), OidcError::UnknownKey);
    }
}
