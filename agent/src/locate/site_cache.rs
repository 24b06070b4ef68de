//! Where resources were last found: a bounded map from (tenant, service, id) to site,
//! shared by clones (the portal keeps one for every caller). When full, the entry used
//! least recently goes.
//!
//! The lock is a plain mutex held only to read or change the map, never across an
//! await, so the cache can be used from any task. An entry is only a hint: an operation
//! at the remembered site that answers "not here" drops it (see
//! [`super::by_id::at_site_of`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// How many entries a cache holds unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 4096;

/// Which resource an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceKey {
    /// Whose resource: the tenant, in a cache shared by callers of several tenants (the
    /// portal), so that one tenant's lookups never steer another's; empty in a cache
    /// of a single caller.
    pub tenant: String,
    /// The service.
    pub service: String,
    /// The resource id.
    pub id: String,
}

impl ResourceKey {
    /// Resource `id` of `service`, for a single caller's cache.
    pub fn new(service: &str, id: &str) -> Self {
        ResourceKey {
            tenant: String::new(),
            service: service.to_owned(),
            id: id.to_owned(),
        }
    }

    /// The same resource, kept apart per `tenant` in a shared cache.
    #[must_use]
    pub fn of_tenant(mut self, tenant: &str) -> Self {
        tenant.clone_into(&mut self.tenant);
        self
    }
}

#[derive(Debug, Default)]
struct Entries {
    sites: HashMap<ResourceKey, (String, u64)>,
    /// Counts uses; an entry's number says when it was last used.
    clock: u64,
}

/// Where resources were last found. Clones share the entries.
#[derive(Debug, Clone)]
pub struct SiteCache {
    entries: Arc<Mutex<Entries>>,
    capacity: usize,
}

impl Default for SiteCache {
    fn default() -> Self {
        SiteCache::new(DEFAULT_CAPACITY)
    }
}

impl SiteCache {
    /// An empty cache of at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        SiteCache {
            entries: Arc::new(Mutex::new(Entries::default())),
            capacity: capacity.max(1),
        }
    }

    /// Runs `f` on the entries. A panic elsewhere while they were held leaves them
    /// consistent (every change is one map operation), so a poisoned lock is used as is.
    fn with<T>(&self, f: impl FnOnce(&mut Entries) -> T) -> T {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut entries)
    }

    /// The site `key` was last found at.
    pub fn get(&self, key: &ResourceKey) -> Option<String> {
        self.with(|e| {
            e.clock += 1;
            let now = e.clock;
            e.sites.get_mut(key).map(|(site, used)| {
                *used = now;
                site.clone()
            })
        })
    }

    /// Remembers that `key` is at `site`; when full, forgets the entry used least
    /// recently.
    pub fn put(&self, key: ResourceKey, site: &str) {
        let capacity = self.capacity;
        self.with(|e| {
            e.clock += 1;
            let now = e.clock;
            if !e.sites.contains_key(&key) && e.sites.len() >= capacity {
                let oldest = e
                    .sites
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    e.sites.remove(&oldest);
                }
            }
            e.sites.insert(key, (site.to_owned(), now));
        });
    }

    /// Forgets where `key` is.
    pub fn forget(&self, key: &ResourceKey) {
        self.with(|e| e.sites.remove(key));
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.with(|e| e.sites.len())
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_what_was_found_and_forgotten() {
        let cache = SiteCache::default();
        let shared = cache.clone();
        let key = ResourceKey::new("storage", "q1");
        assert_eq!(cache.get(&key), None);
        shared.put(key.clone(), "sto1");
        assert_eq!(cache.get(&key).as_deref(), Some("sto1"));
        shared.put(key.clone(), "osl1");
        assert_eq!(cache.get(&key).as_deref(), Some("osl1"));
        cache.forget(&key);
        assert_eq!(shared.get(&key), None);
        assert!(shared.is_empty());
    }

    #[test]
    fn tenants_and_services_are_kept_apart() {
        let cache = SiteCache::default();
        let acme = ResourceKey::new("storage", "q1").of_tenant("acme");
        cache.put(acme.clone(), "sto1");
        assert_eq!(
            cache.get(&ResourceKey::new("storage", "q1").of_tenant("globex")),
            None
        );
        assert_eq!(cache.get(&ResourceKey::new("compute", "q1")), None);
        assert_eq!(cache.get(&acme).as_deref(), Some("sto1"));
    }

    #[test]
    fn a_full_cache_forgets_the_entry_used_least_recently() {
        let cache = SiteCache::new(2);
        let (a, b, c) = (
            ResourceKey::new("s", "a"),
            ResourceKey::new("s", "b"),
            ResourceKey::new("s", "c"),
        );
        cache.put(a.clone(), "x");
        cache.put(b.clone(), "x");
        assert!(cache.get(&a).is_some(), "a is now the more recent");
        cache.put(c.clone(), "x");
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&b).is_none(), "b was used least recently");
        assert!(cache.get(&a).is_some() && cache.get(&c).is_some());
        cache.put(c.clone(), "y");
        assert_eq!(cache.len(), 2, "replacing an entry makes no room");
    }
}
