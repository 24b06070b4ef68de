//! Who is calling: `bearer` reads `Authorization: Bearer <ID token>` and verifies it with
//! the shared `oidc` crate against the policy's tenants (issuer, audience, algorithm
//! allow-list, times with leeway, `tenant_claim`), exactly as the provisioner does for
//! the same token. The API reads no cookie and no other header.

//!
//! The web pages: `login_flow` (OpenID Connect code flow with PKCE), `session` (the
//! sealed session cookie), `ui_caller` (the person behind a page, and forms with their
//! CSRF check). A page's caller is verified by the same `bearer::verify` as the API's.

pub mod bearer;
pub mod login_flow;
pub mod session;
pub mod ui_caller;

pub use bearer::{ApiCaller, Role};
pub use ui_caller::{PageForm, UiCaller};
