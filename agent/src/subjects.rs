//! The subjects, queue groups and KV bucket of a provisioning service, and the checks on
//! the names that go into them (service, site, tenant, resource id).
//!
//! A service `S` at site `X` (both single subject tokens) listens on:
//!
//! | subject | subscription | reaches |
//! |---|---|---|
//! | `svc.S.X.allocate` | queue group `S.X` | one replica of site `X` |
//! | `svc.S.allocate` | queue group `S` (every site joins it) | one replica of any site |
//! | `svc.S.X.update` | queue group `S.X` | one replica of site `X` |
//! | `svc.S.X.deallocate` | queue group `S.X` | one replica of site `X` |
//! | `svc.S.X.status` | queue group `S.X` | one replica of site `X` |
//! | `svc.S.X.retry` | queue group `S.X` | one replica of site `X` |
//! | `svc.S.list` | plain | every replica of every site (scatter-gather) |
//! | `svc.S.ping` | plain | every replica of every site |
//! | `svc.S.locate` | plain | every replica of every site (which one holds an id?) |
//!
//! Tenants reach them through their import of [`SERVICES_SUBJECT`] under the same names.
//! Pure: no IO. Not here: what the messages contain (see [`crate::contract`]).

use thiserror::Error;

/// What the SERVICES account exports and every tenant imports (with `share=true`).
pub const SERVICES_SUBJECT: &str = "svc.>";
/// The first token of every service subject.
pub const SERVICES_PREFIX: &str = "svc";
/// The operation token of allocation subjects.
pub const ALLOCATE: &str = "allocate";
/// The operation token of update subjects.
pub const UPDATE: &str = "update";
/// The operation token of deallocation subjects.
pub const DEALLOCATE: &str = "deallocate";
/// The operation token of the status subject.
pub const STATUS: &str = "status";
/// The operation token of the retry subject.
pub const RETRY: &str = "retry";
/// The operation token of the list subject.
pub const LIST: &str = "list";
/// The operation token of the ping subject.
pub const PING: &str = "ping";
/// The operation token of the locate subject (which site holds a resource).
pub const LOCATE: &str = "locate";
/// The prefix of every agent's KV bucket, `agent_<service>_<site>`.
pub const BUCKET_PREFIX: &str = "agent_";
/// The longest service, site, tenant or resource id.
pub const MAX_NAME_LEN: usize = 64;

/// A name that cannot be used in a subject, queue group or bucket.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {what} `{name}`: {reason}")]
#[non_exhaustive]
pub struct NameError {
    /// What the name names (`service`, `site`, `tenant`, `id`).
    pub what: &'static str,
    /// The name, as given (only shown when it is printable and short).
    pub name: String,
    /// Why it was refused.
    pub reason: &'static str,
}

fn check(
    what: &'static str,
    name: &str,
    allowed: impl Fn(char) -> bool,
    reason: &'static str,
) -> Result<(), NameError> {
    let refuse = |reason| {
        let shown = if name.len() <= MAX_NAME_LEN && name.chars().all(|c| !c.is_control()) {
            name.to_owned()
        } else {
            String::from("…")
        };
        Err(NameError {
            what,
            name: shown,
            reason,
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return refuse("it is longer than 64 characters");
    }
    if !name.chars().all(allowed) {
        return refuse(reason);
    }
    Ok(())
}

/// Checks a service name: 1–64 of `A-Za-z0-9-` (no `_`, so that the bucket name
/// `agent_<service>_<site>` splits back unambiguously).
///
/// # Errors
/// [`NameError`].
pub fn check_service(name: &str) -> Result<(), NameError> {
    check(
        "service",
        name,
        |c| c.is_ascii_alphanumeric() || c == '-',
        "only letters, digits and `-` are allowed",
    )
}

/// Checks a site, tenant or other token: 1–64 of `A-Za-z0-9_-`.
///
/// # Errors
/// [`NameError`].
pub fn check_token(what: &'static str, name: &str) -> Result<(), NameError> {
    check(
        what,
        name,
        |c| c.is_ascii_alphanumeric() || c == '_' || c == '-',
        "only letters, digits, `_` and `-` are allowed",
    )
}

/// Checks a resource id: 1–64 of `A-Za-z0-9` (what the agent makes; anything else
/// cannot name a resource).
///
/// # Errors
/// [`NameError`].
pub fn check_id(id: &str) -> Result<(), NameError> {
    check(
        "id",
        id,
        |c| c.is_ascii_alphanumeric(),
        "only letters and digits are allowed",
    )
}

/// `svc.<service>.allocate`: any site (queue group [`any_site_queue`]).
pub fn allocate_any(service: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{ALLOCATE}")
}

/// `svc.<service>.<site>.allocate`: this site (queue group [`site_queue`]).
pub fn allocate_at(service: &str, site: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{site}.{ALLOCATE}")
}

/// `svc.<service>.<site>.update` (queue group [`site_queue`]).
pub fn update_at(service: &str, site: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{site}.{UPDATE}")
}

/// `svc.<service>.<site>.deallocate` (queue group [`site_queue`]).
/// Where a service admin handles approvals at one site (the admin subtree, which no
/// tenant import reaches in an `nsc-setup --service` estate).
pub fn approvals_at(service: &str, site: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.admin.{site}.approvals")
}

/// Where a site answers where one of its resources is.
pub fn status_at(service: &str, site: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{site}.{STATUS}")
}

/// `svc.<service>.<site>.retry`: retry a resource in `error` (queue group
/// [`site_queue`]).
pub fn retry_at(service: &str, site: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{site}.{RETRY}")
}

/// The deallocation subject of one site.
pub fn deallocate_at(service: &str, site: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{site}.{DEALLOCATE}")
}

/// `svc.<service>.list`: every site answers (plain subscription).
pub fn list(service: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{LIST}")
}

/// `svc.<service>.ping`: every site answers (plain subscription).
pub fn ping(service: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{PING}")
}

/// `svc.<service>.locate`: every site answers whether it holds a resource (plain
/// subscription).
pub fn locate(service: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{LOCATE}")
}

/// The queue group every site of `service` joins on [`allocate_any`].
pub fn any_site_queue(service: &str) -> String {
    service.to_owned()
}

/// The queue group of one site's replicas, `<service>.<site>`.
pub fn site_queue(service: &str, site: &str) -> String {
    format!("{service}.{site}")
}

/// The KV bucket of one site, `agent_<service>_<site>`.
pub fn bucket(service: &str, site: &str) -> String {
    format!("{BUCKET_PREFIX}{service}_{site}")
}

/// The site of `service` whose bucket is `bucket`, if it is one.
pub fn site_of_bucket<'a>(service: &str, bucket: &'a str) -> Option<&'a str> {
    let site = bucket
        .strip_prefix(BUCKET_PREFIX)?
        .strip_prefix(service)?
        .strip_prefix('_')?;
    check_token("site", site).ok().map(|()| site)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_groups() {
        assert_eq!(allocate_any("storage"), "svc.storage.allocate");
        assert_eq!(allocate_at("storage", "sto1"), "svc.storage.sto1.allocate");
        assert_eq!(update_at("storage", "sto1"), "svc.storage.sto1.update");
        assert_eq!(
            deallocate_at("storage", "sto1"),
            "svc.storage.sto1.deallocate"
        );
        assert_eq!(list("storage"), "svc.storage.list");
        assert_eq!(ping("storage"), "svc.storage.ping");
        assert_eq!(locate("storage"), "svc.storage.locate");
        assert_eq!(any_site_queue("storage"), "storage");
        assert_eq!(site_queue("storage", "sto1"), "storage.sto1");
        assert_eq!(bucket("storage", "sto_1"), "agent_storage_sto_1");
    }

    #[test]
    fn buckets_split_back_into_sites() {
        assert_eq!(
            site_of_bucket("storage", "agent_storage_sto_1"),
            Some("sto_1")
        );
        assert_eq!(site_of_bucket("storage", "agent_storagex_sto1"), None);
        assert_eq!(site_of_bucket("storage", "agent_storage_"), None);
        assert_eq!(site_of_bucket("storage", "KV_agent_storage_a"), None);
    }

    #[test]
    fn names_are_single_literal_tokens() {
        assert!(check_service("block-storage").is_ok());
        assert!(check_token("site", "sto_1").is_ok());
        for bad in ["", "a.b", "a b", "*", ">", "a\n", &"x".repeat(65)] {
            assert!(check_service(bad).is_err(), "{bad:?}");
            assert!(check_token("site", bad).is_err(), "{bad:?}");
        }
        assert!(check_service("a_b").is_err());
        assert!(check_id("ABCdef123").is_ok());
        assert!(check_id("a-b").is_err());
    }

    #[test]
    fn name_error_display() {
        let err = check_token("site", "a.b").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid site `a.b`: only letters, digits, `_` and `-` are allowed"
        );
        let err = check_token("site", "a\u{1}").unwrap_err();
        assert_eq!(err.name, "…");
    }
}
