//! An OpenID Connect issuer for the portal's tests and the local demo
//! (`scripts/run-local.sh`): one Ed25519 key, its JWKS, ID tokens signed with it, and the
//! `nsc-setup init --portal` settings that make an estate's tenants trust it for the
//! portal's callers. Not a real identity provider: it signs whatever it is asked to.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use nsc_setup::portal::{Jwks, OidcIssuer, PortalSettings};
use serde_json::{json, Value};

use crate::estate::unix_now;

/// The demo issuer's `iss`.
pub const ISSUER: &str = "https://idp.portal.test";
/// The audience (client id) the tenants accept.
pub const AUDIENCE: &str = "portal";

/// An issuer key and its JWK.
pub struct Issuer {
    der: Vec<u8>,
    /// The public key as a JWK.
    pub jwk: Value,
    /// Its key id.
    pub kid: String,
}

impl Issuer {
    /// A new throwaway key.
    ///
    /// # Panics
    /// Never: a fresh nkey always has a seed.
    pub fn new(kid: &str) -> Self {
        let key = claims::KeyPair::new_user();
        #[allow(clippy::expect_used, reason = "a fresh nkey always has a seed")]
        let seed = key.seed().expect("a fresh key's seed");
        #[allow(clippy::expect_used, reason = "the seed was just made")]
        Issuer::from_seed(&seed, kid).expect("a fresh seed decodes")
    }

    /// The issuer of an nkey user seed (`SU…`), as the demo keeps it on disk.
    ///
    /// # Errors
    /// When `seed` is not an nkey seed.
    pub fn from_seed(seed: &str, kid: &str) -> anyhow::Result<Self> {
        let (_, raw) = nkeys::decode_seed(seed)?;
        let key = claims::KeyPair::from_seed(seed)?;
        let (_, public) = nkeys::from_public_key(&key.public_key())?;
        // PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410).
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&raw);
        let x = data_encoding::BASE64URL_NOPAD.encode(&public);
        Ok(Issuer {
            der,
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig"}),
            kid: kid.to_owned(),
        })
    }

    /// The JWKS document holding this key.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// Signs `claims` with this key.
    ///
    /// # Errors
    /// When the key cannot sign (never for a key made here).
    pub fn try_sign(&self, claims: &Value) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_ed_der(&self.der),
        )?)
    }

    /// Signs `claims` with this key (tests).
    ///
    /// # Panics
    /// When signing fails.
    pub fn sign(&self, claims: &Value) -> String {
        #[allow(clippy::expect_used, reason = "test helper")]
        self.try_sign(claims).expect("signing a token")
    }
}

/// The claims of a token for `name` in `tenant` with `groups` (tags), valid for
/// `ttl_secs`.
pub fn claims(name: &str, tenant: &str, groups: &[&str], ttl_secs: i64) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": name, "tenant": tenant,
           "exp": unix_now() + ttl_secs, "iat": unix_now(), "groups": groups})
}

/// Where the issuer's JWKS lives in an estate, relative to it (as `jwks_file`).
pub const JWKS_FILE: &str = "jwks.json";

/// The portal wiring of an `nsc-setup init --callout --portal` estate whose tenants trust
/// this issuer: its JWKS in [`JWKS_FILE`], the tenant in the `tenant` claim, tags (the
/// admin tag among them) in `groups`. The command line's equivalent is
/// `--oidc-issuer https://idp.portal.test --oidc-audience portal --oidc-jwks-file jwks.json
/// --oidc-tenant-claim tenant --oidc-tags-claim groups`.
pub fn portal_settings() -> PortalSettings {
    PortalSettings {
        oidc: Some(OidcIssuer {
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            jwks: Jwks::File(JWKS_FILE.to_owned()),
            tenant_claim: Some(String::from("tenant")),
            tags_claim: Some(String::from("groups")),
        }),
        pages: None,
    }
}
