//! What every handler shares: the policy (tenants, admin tags), the ID token verifiers
//! built from it, the callers' NATS connections and the subjects and budget of the NATS
//! calls. Built once by `serve`; read-only afterwards (the connection cache locks
//! inside).
//!
//! Holds no key, no creds and no connection of the portal's own: the portal has no
//! tenant power (see the crate docs).

use std::sync::Arc;
use std::time::Duration;

use crate::auth::session::WebAuth;
use crate::limit::IdentityLimiter;
use crate::sessions::Sessions;

/// The subjects the portal calls, in the caller's tenant account (through its imports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    /// The credential request subject (`creds.request`).
    pub request: String,
    /// The admin subject prefix (`creds.admin`).
    pub admin_prefix: String,
}

impl Subjects {
    /// The admin subject of an operation (`users.list` gives `creds.admin.users.list`).
    pub fn admin(&self, op: &str) -> String {
        format!("{}.{op}", self.admin_prefix)
    }
}

/// The shared state.
#[derive(Debug)]
pub struct Shared {
    /// The policy the provisioner runs (tenants, ID token issuers, admin tags).
    pub policy: policy::Policy,
    /// The ID token verifiers of every tenant with `identity.oidc`.
    pub verifiers: oidc::OidcVerifiers,
    /// The callers' NATS connections.
    pub sessions: Sessions,
    /// The subjects called.
    pub subjects: Subjects,
    /// Budget of one NATS call.
    pub nats_timeout: Duration,
    /// The NATS URL, for `/readyz`.
    pub nats_url: String,
    /// The request limit per identity; `None` when off.
    pub limiter: Option<IdentityLimiter>,
    /// The web pages' login and sessions; `None`: no pages (no `[login]`).
    pub web: Option<Arc<WebAuth>>,
    /// Where resources given without their site were last found, per tenant (see
    /// `crate::api::resource_site`).
    pub sites: agent::locate::SiteCache,
}

/// The state handlers get.
pub type AppState = Arc<Shared>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_subjects_hang_under_the_prefix() {
        let s = Subjects {
            request: String::from("creds.request"),
            admin_prefix: String::from("creds.admin"),
        };
        assert_eq!(s.admin("users.list"), "creds.admin.users.list");
    }
}
