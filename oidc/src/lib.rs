//! OpenID Connect ID tokens as an identity source (`identity.oidc` in the policy), for
//! whichever front door carries one: the credential request's `id_token`, the auth
//! callout's CONNECT token or password, and later the HTTP API and the portal.
//!
//! Owns: checking an ID token against the tenants that trust its issuer (signature by a
//! key of the tenant's JWKS, issuer, audience, the algorithm allow-list the keys give,
//! `exp` and `nbf` with the tenant's leeway, `tenant_claim`) and mapping it to a
//! [`policy::VerifiedCredential`]; loading JWKS from files and URLs, with background
//! refresh, rotation on unknown key ids, and an extra CA bundle for issuers behind a
//! private CA.
//!
//! May not: talk NATS, decide (the `policy` crate turns the credential into a user),
//! or shape replies: callers map an [`OidcError`] to their own refusal. Tokens never
//! appear in logs or errors.
//!
//! Layout, pure core first:
//! - `error`: [`OidcError`], why a token identifies nobody;
//! - `jwks`: JWKS text into verification keys (pure);
//! - `token`: one token against one tenant's config and keys at a given time (pure);
//! - `verifiers`: every tenant's verifier, routing by issuer, exactly one tenant accepts;
//!   its `verify` does no IO, its `load` uses the edge below;
//! - `file`: the edge that reads JWKS files;
//! - `remote`: the edge that fetches JWKS URLs and keeps them fresh in the background,
//!   and the HTTP client (system CAs plus an optional private CA bundle).

pub mod error;
pub mod file;
pub mod jwks;
pub mod remote;
pub mod token;
pub mod verifiers;

pub use error::OidcError;
pub use verifiers::{OidcVerifiers, MAX_ID_TOKEN_BYTES};
