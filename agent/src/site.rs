//! One site's state, which every request and every queued request reads: the service
//! and site names, who the tenants are, the quotas, the resource store, the handlers, the
//! lifecycle records and how queued requests are taken. Built once by the binary.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream;

use crate::exec::Handlers;
use crate::handler::resources::Resources;
use crate::queued::book::Book;
use crate::queued::settings::Queue;
use crate::store::ResourceStore;
use crate::tenants::TenantMap;

/// Budget of one request, on top of the longest handler timeout (see
/// [`Agent::request_budget`]).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Per-tenant quotas: a default and overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    /// Resources per tenant at this site unless overridden.
    pub default: u64,
    /// Overrides by tenant name.
    pub per_tenant: BTreeMap<String, u64>,
}

impl Quotas {
    /// The quota of `tenant`.
    pub fn of(&self, tenant: &str) -> u64 {
        self.per_tenant.get(tenant).copied().unwrap_or(self.default)
    }
}

/// Everything a request needs.
#[derive(Debug)]
pub struct Agent {
    /// The service name.
    pub service: String,
    /// This agent's site.
    pub site: String,
    /// The account the agent runs in (see [`crate::caller`]).
    pub own_account: String,
    /// Which accounts are which tenants.
    pub tenants: TenantMap,
    /// Quotas.
    pub quotas: Quotas,
    /// The site's resources.
    pub store: ResourceStore,
    /// For listing the known sites.
    pub js: jetstream::Context,
    /// The handlers by resource type; `None`: no program runs, only records are kept.
    pub handlers: Option<Handlers>,
    /// The resources' lifecycle records (queued requests).
    pub book: Book,
    /// How queued requests are taken.
    pub queue: Queue,
}

impl Agent {
    /// The resource types this site has handlers for (`approval`: only those that wait
    /// for a service admin), sorted.
    pub fn types(&self, approval: bool) -> Vec<String> {
        let Some(handlers) = &self.handlers else {
            return Vec::new();
        };
        let mut types: Vec<String> = handlers
            .types()
            .into_iter()
            .filter(|t| {
                !approval
                    || handlers
                        .get(t)
                        .is_some_and(|h| h.config().requires_approval)
            })
            .map(str::to_owned)
            .collect();
        types.sort();
        types
    }

    /// How long one request may take: [`REQUEST_TIMEOUT`] plus the longest handler
    /// timeout, so that a handler is stopped by its own timeout (and answered as such),
    /// not by the request's. A live request's lifecycle record is due within it.
    pub fn request_budget(&self) -> Duration {
        let handlers = self.handlers.as_ref().map(|h| h.longest_timeout());
        REQUEST_TIMEOUT.saturating_add(handlers.unwrap_or_default())
    }

    /// The tenant resource operations of this site.
    pub fn resources(&self) -> Resources<'_> {
        Resources {
            site: &self.site,
            store: &self.store,
            book: &self.book,
            handlers: self.handlers.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_default_and_override() {
        let quotas = Quotas {
            default: 3,
            per_tenant: BTreeMap::from([("acme".to_owned(), 1)]),
        };
        assert_eq!(quotas.of("acme"), 1);
        assert_eq!(quotas.of("globex"), 3);
    }
}
