//! [`ApiCaller`]: the extractor that establishes the caller from `Authorization: Bearer`,
//! or refuses with `401` and `WWW-Authenticate: Bearer error=…`.
//!
//! The token is verified here so that a bad token costs no NATS connection; the
//! provisioner verifies it again when the portal connects with it (auth callout) and on
//! every request the portal sends for the caller (`id_token`), and those verifications
//! are the ones that grant anything. The role shown is what the
//! token says under the policy (its tags hold the tenant's admin tag and the tenant lets
//! its issuer grant it); the provisioner enforces it on every admin call.
//!
//! A verified caller then counts against the portal's request limit per identity
//! (`limit`): over it, `429 rate_limited` before any NATS call.
//!
//! Not here: the connection (`sessions`). The token never reaches a log line or an
//! error: [`BearerToken`]'s `Debug` prints nothing of it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// A bearer token. Secret: `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    /// The token, for the NATS CONNECT and the `id_token` of the caller's requests only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for BearerToken {
    /// A token from a session cookie (the pages), verified like a header's.
    fn from(token: String) -> Self {
        BearerToken(token)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// What the caller may do in its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A tenant user: its own credentials.
    User,
    /// A tenant admin: also the tenant's users, invites and quota.
    Admin,
}

/// The verified caller.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// The ID token, to connect with.
    pub token: BearerToken,
    /// The tenant whose policy accepted the token.
    pub tenant: String,
    /// The user name the token vouches for.
    pub name: String,
    /// The token's tags (`tags_claim`).
    pub tags: Vec<String>,
    /// The token's `exp`, unix seconds.
    pub expires_at: i64,
    /// The role.
    pub role: Role,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The token of an `Authorization` header value.
///
/// # Errors
/// A `401`: `invalid_request` without a header, `invalid_token` for another scheme or an
/// empty token.
pub fn token_of(header: Option<&str>) -> Result<BearerToken, ApiError> {
    let Some(value) = header else {
        return Err(ApiError::Unauthorized {
            bearer_error: "invalid_request",
            code: "token_missing",
            reason: String::from("send an OpenID Connect ID token as `Authorization: Bearer`"),
        });
    };
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::invalid_token(
            "the Authorization header is not `Bearer <token>`",
        ));
    }
    Ok(BearerToken(token.to_owned()))
}

/// The caller `token` stands for under `state`'s policy at `now`.
///
/// # Errors
/// A `401` with the `oidc` crate's reason (which never holds the token).
pub fn verify(state: &AppState, token: BearerToken, now: i64) -> Result<ApiCaller, ApiError> {
    let credential = state
        .verifiers
        .verify(token.expose(), now)
        .map_err(|e| ApiError::invalid_token(e.to_string()))?;
    let expires_at = credential.not_after.unwrap_or(now);
    let role = match state.policy.tenant(&credential.tenant) {
        Some(tenant) if grants_admin(tenant, &credential.tags) => Role::Admin,
        _ => Role::User,
    };
    Ok(ApiCaller {
        token,
        tenant: credential.tenant,
        name: credential.name,
        tags: credential.tags,
        expires_at,
        role,
    })
}

/// Whether `tags` make their holder an admin of `tenant`: one is the admin tag, and the
/// tenant lets its ID token issuer grant it (else the callout refuses the token).
fn grants_admin(tenant: &policy::Tenant, tags: &[String]) -> bool {
    let trusted = tenant
        .config()
        .identity
        .oidc
        .as_ref()
        .is_some_and(|o| o.admin_from_tags_claim);
    trusted
        && tags
            .iter()
            .any(|t| policy::tags::same_tag(t, tenant.admin_tag()))
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header =
            match parts.headers.get(AUTHORIZATION) {
                None => None,
                Some(value) => Some(value.to_str().map_err(|_| {
                    ApiError::invalid_token("the Authorization header is not text")
                })?),
            };
        let token = token_of(header)?;
        let caller = verify(state, token, unix_now())?;
        if let Some(limiter) = &state.limiter {
            // A verified token always has a payload; without one it is its own identity.
            let key = crate::limit::identity_key(caller.token.expose())
                .unwrap_or_else(|| crate::limit::key_of(&caller.tenant, &caller.name));
            limiter.admit(&key)?;
        }
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_must_be_a_bearer_token() {
        let code = |h: Option<&str>| token_of(h).unwrap_err().code().to_owned();
        assert_eq!(code(None), "token_missing");
        assert_eq!(code(Some("Basic abc")), "token_invalid");
        assert_eq!(code(Some("Bearer ")), "token_invalid");
        assert_eq!(code(Some("Bearer")), "token_invalid");
        assert_eq!(
            token_of(Some("bearer eyJ.a.b")).unwrap().expose(),
            "eyJ.a.b"
        );
        let token = token_of(Some("Bearer secret-token")).unwrap();
        assert!(!format!("{token:?}").contains("secret"));
    }

    #[test]
    fn the_admin_tag_counts_only_where_the_issuer_may_grant_it() {
        let policy = |trusted: bool| {
            policy::Policy::from_toml_str(&format!(
                "version = 1\n[[tenants]]\nname = \"acme\"\n\
                 account = \"AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y\"\n\
                 namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n\
                 identity.oidc = {{ issuer = \"https://idp\", audience = \"a\", \
                 jwks_file = \"j\", tags_claim = \"groups\", admin_from_tags_claim = {trusted} }}\n\
                 permissions.pub.allow = [\"tenant.acme.x\"]\n\
                 permissions.sub.allow = [\"tenant.acme.x\"]\n"
            ))
            .unwrap()
        };
        let admin = vec![String::from("Role:Admin")];
        let trusted = policy(true);
        let tenant = trusted.tenant("acme").unwrap();
        assert!(grants_admin(tenant, &admin));
        assert!(!grants_admin(tenant, &[String::from("role:user")]));
        let untrusted = policy(false);
        assert!(!grants_admin(untrusted.tenant("acme").unwrap(), &admin));
    }
}
