//! Who is calling: `bearer` reads `Authorization: Bearer <ID token>` and verifies it with
//! the shared `oidc` crate against the policy's tenants (issuer, audience, algorithm
//! allow-list, times with leeway, `tenant_claim`), exactly as the provisioner does for
//! the same token. The API reads no cookie and no other header.

pub mod bearer;

pub use bearer::{ApiCaller, Role};
