//! The subjects, stream and consumer of queued requests, and reading a kept request's
//! subject. Pure.
//!
//! A tenant publishes `svcq.<service>.<site>.<op>`; its import (an export whose second
//! token is the importer's account key) delivers it to the services account as
//! `svcq.<account>.<service>.<site>.<op>`, which the stream `svcq_<service>` keeps. The
//! account in that subject was put there by the server: it is the tenant.

use crate::operation::Operation;

/// The first token of queued request subjects.
pub const QUEUED_PREFIX: &str = "svcq";
/// The prefix of a resource id given to a queued allocation: `q<stream sequence>`.
pub const QUEUED_ID_PREFIX: &str = "q";

/// The stream keeping `service`'s queued requests.
pub fn stream_name(service: &str) -> String {
    format!("{QUEUED_PREFIX}_{service}")
}

/// The subjects the stream keeps: every tenant's, every site's.
pub fn stream_subjects(service: &str) -> String {
    format!("{QUEUED_PREFIX}.*.{service}.>")
}

/// The durable consumer of `site`.
pub fn consumer_name(site: &str) -> String {
    format!("site-{site}")
}

/// What the consumer of `site` takes: every tenant's requests for this site.
pub fn consumer_filter(service: &str, site: &str) -> String {
    format!("{QUEUED_PREFIX}.*.{service}.{site}.*")
}

/// Where a tenant sends a queued `operation` (in its own account's subject space).
pub fn request_subject(service: &str, site: &str, operation: Operation) -> String {
    format!("{QUEUED_PREFIX}.{service}.{site}.{}", operation.name())
}

/// The id of the resource a queued allocation kept at `sequence` makes.
pub fn queued_id(sequence: u64) -> String {
    format!("{QUEUED_ID_PREFIX}{sequence}")
}

/// A kept request's subject, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The tenant's account public key (the server's token).
    pub account: String,
    /// What it asks.
    pub operation: Operation,
}

/// Reads `subject` as kept for `service` at `site`; `None` for anything else (another
/// site's, an unknown operation, a malformed subject).
pub fn parse_kept(subject: &str, service: &str, site: &str) -> Option<Kept> {
    let mut tokens = subject.split('.');
    let (prefix, account, svc, at, op) = (
        tokens.next()?,
        tokens.next()?,
        tokens.next()?,
        tokens.next()?,
        tokens.next()?,
    );
    if tokens.next().is_some() || prefix != QUEUED_PREFIX || svc != service || at != site {
        return None;
    }
    let operation = match op {
        "allocate" => Operation::Allocate,
        "update" => Operation::Update,
        "deallocate" => Operation::Deallocate,
        "retry" => Operation::Retry,
        _ => return None,
    };
    (account.len() == 56 && account.starts_with('A')).then(|| Kept {
        account: account.to_owned(),
        operation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACME: &str = "ACNHQP5JLVEHVBTURMG53WACP4CY4HWXYTOIEQB2W4R7MLXIP7CSZWSJ";

    #[test]
    fn names_of_the_stream_consumer_and_subjects() {
        assert_eq!(stream_name("storage"), "svcq_storage");
        assert_eq!(stream_subjects("storage"), "svcq.*.storage.>");
        assert_eq!(consumer_name("sto1"), "site-sto1");
        assert_eq!(consumer_filter("storage", "sto1"), "svcq.*.storage.sto1.*");
        assert_eq!(
            request_subject("storage", "sto1", Operation::Update),
            "svcq.storage.sto1.update"
        );
        assert_eq!(queued_id(42), "q42");
    }

    #[test]
    fn a_kept_subject_names_its_tenant_account_and_operation() {
        let kept = parse_kept(
            &format!("svcq.{ACME}.storage.sto1.allocate"),
            "storage",
            "sto1",
        );
        assert_eq!(
            kept,
            Some(Kept {
                account: ACME.to_owned(),
                operation: Operation::Allocate
            })
        );
        let retry = parse_kept(
            &format!("svcq.{ACME}.storage.sto1.retry"),
            "storage",
            "sto1",
        );
        assert_eq!(retry.map(|k| k.operation), Some(Operation::Retry));
        for other in [
            format!("svcq.{ACME}.storage.osl1.allocate"),
            format!("svcq.{ACME}.compute.sto1.allocate"),
            format!("svcq.{ACME}.storage.sto1.list"),
            format!("svcq.{ACME}.storage.sto1.allocate.x"),
            String::from("svcq.acme.storage.sto1.allocate"),
            format!("svc.{ACME}.storage.sto1.allocate"),
        ] {
            assert_eq!(parse_kept(&other, "storage", "sto1"), None, "{other}");
        }
    }
}
