//! What the identities of an isolated estate may do, and what SERVICES exports to tenants.
//!
//! - An agent of service `S` at site `X` (`agent-S-X`) subscribes only to its own
//!   subjects (`svc.S.X.>` in queue group `S.X`, `svc.S.allocate` in queue group `S`,
//!   `svc.S.list`, `svc.S.ping`, `svc.S.locate`, the admin subtree `svc.S.admin.>`) and
//!   its private inbox;
//!   it publishes only replies (one per request received), the JetStream API of its own
//!   KV bucket, `agent_S_X`, and that of its site's pull consumer `site-X` on the
//!   service's queued requests' stream `svcq_S` ([`queue_api`]). No agent may publish to any `svc.` subject: a request made
//!   inside SERVICES carries no server-set `Nats-Request-Info` (see `agent/README.md`).
//! - The service admin of `S` (`admin-S`) publishes only to `svc.S.admin.>` and reads
//!   replies on its private inbox.
//! - SERVICES exports, per service, `svc.S.*` (the service-wide operations: allocate at
//!   any site, list, ping, locate) and, per site, `svc.S.X.>`. The admin subtree `svc.S.admin.>`
//!   has at least four tokens, so `svc.S.*` never covers it, and no site is called `admin`
//!   (see [`super::ADMIN_TOKEN`]): tenants cannot reach it through their imports.
//!
//! Subject, queue and bucket names come from [`agent::subjects`], so they are the ones the
//! agent uses. Pure: no IO.

use agent::subjects::{self as s, SERVICES_PREFIX};
use claims::INBOX_PREFIX;

use crate::topology::QUEUED_PREFIX;

use super::{admin_user, agent_user, ServiceSpec, ADMIN_TOKEN};

/// Allow lists of a user (`subject` or, for subscriptions, `subject queue`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allow {
    /// Subjects it may publish to (besides replies, for responders).
    pub publish: Vec<String>,
    /// Subjects (with an optional queue group) it may subscribe to.
    pub subscribe: Vec<String>,
}

/// A service export of SERVICES: its subject and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceExport {
    /// The exported subject.
    pub subject: String,
    /// The export's (and the tenants' imports') name.
    pub name: String,
}

/// `svc.<service>.admin.>`: the service admin's requests to the service's agents.
pub fn admin_subtree(service: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{ADMIN_TOKEN}.>")
}

/// `svc.<service>.<site>.>`: every per-site operation (allocate, deallocate, …).
pub fn site_subtree(service: &str, site: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.{site}.>")
}

/// `svc.<service>.*`: the service-wide operations (allocate at any site, list, ping,
/// locate).
pub fn service_wide(service: &str) -> String {
    format!("{SERVICES_PREFIX}.{service}.*")
}

/// A user's private reply inboxes, `_INBOX.<user>.>` (the user connects with the inbox
/// prefix `_INBOX.<user>`, [`claims::creds_inbox_prefix`]).
pub fn private_inbox(user: &str) -> String {
    format!("{INBOX_PREFIX}.{user}.>")
}

/// The JetStream API a KV client needs for bucket `bucket` (stream `KV_<bucket>`) and
/// nothing of any other bucket: account info and stream creation (first use), stream
/// info, direct and stream message gets (reads), consumer creation (watches and key
/// listings), flow control replies of those consumers, and `$KV.<bucket>.>` (writes,
/// deletes, purges). Plus the stream names, which the agent reads to name the sites of
/// its service in a `list` answer: that shows the names (not the contents) of every
/// bucket in SERVICES.
pub fn bucket_api(bucket: &str) -> Vec<String> {
    let stream = format!("KV_{bucket}");
    vec![
        String::from("$JS.API.INFO"),
        String::from("$JS.API.STREAM.NAMES"),
        format!("$JS.API.STREAM.INFO.{stream}"),
        format!("$JS.API.STREAM.CREATE.{stream}"),
        format!("$JS.API.STREAM.MSG.GET.{stream}"),
        format!("$JS.API.DIRECT.GET.{stream}"),
        format!("$JS.API.DIRECT.GET.{stream}.>"),
        format!("$JS.API.CONSUMER.CREATE.{stream}"),
        format!("$JS.API.CONSUMER.CREATE.{stream}.>"),
        format!("$JS.FC.{stream}.>"),
        format!("$KV.{bucket}.>"),
    ]
}

/// `svcq_<service>`: the work-queue stream keeping the service's queued requests.
pub fn queue_stream(service: &str) -> String {
    format!("{QUEUED_PREFIX}_{service}")
}

/// `site-<site>`: the durable pull consumer through which a site takes its queued
/// requests.
pub fn queue_consumer(site: &str) -> String {
    format!("site-{site}")
}

/// `svcq.*.<service>.<site>.*`: the queued requests of one site, any tenant, any
/// operation (the site's consumer's filter).
pub fn queue_filter(service: &str, site: &str) -> String {
    format!("{QUEUED_PREFIX}.*.{service}.{site}.*")
}

/// The JetStream API a pull consumer of `site` on stream `svcq_<service>` needs, as
/// async-nats 0.51 sends it (checked against nats-server 2.15.1), and nothing of another
/// service's stream or another site's consumer:
///
/// - `get_or_create_stream`: `STREAM.INFO`, then `STREAM.CREATE`; `STREAM.UPDATE` for
///   `create_or_update_stream`;
/// - `get_raw_message`: `STREAM.MSG.GET`; `direct_get…`: `DIRECT.GET` (`.>` by subject);
/// - `get_or_create_consumer` / `create_consumer` with the durable name `site-<site>`
///   and the one filter [`queue_filter`]: `CONSUMER.INFO.<stream>.site-<site>`, then
///   `CONSUMER.CREATE.<stream>.site-<site>.<filter>` (the filter is in the subject, so
///   the server refuses any other filter; with `filter_subjects` the subject has none and
///   is refused);
/// - `messages()` / `fetch()`: `CONSUMER.MSG.NEXT.<stream>.site-<site>` (and
///   `CONSUMER.INFO` after a reconnect); `ack()` and the other acknowledgements: the
///   message's reply subject `$JS.ACK.<stream>.site-<site>.…`.
pub fn queue_api(service: &str, site: &str) -> Vec<String> {
    let stream = queue_stream(service);
    let consumer = queue_consumer(site);
    let filter = queue_filter(service, site);
    vec![
        format!("$JS.API.STREAM.INFO.{stream}"),
        format!("$JS.API.STREAM.CREATE.{stream}"),
        format!("$JS.API.STREAM.UPDATE.{stream}"),
        format!("$JS.API.STREAM.MSG.GET.{stream}"),
        format!("$JS.API.DIRECT.GET.{stream}"),
        format!("$JS.API.DIRECT.GET.{stream}.>"),
        format!("$JS.API.CONSUMER.CREATE.{stream}.{consumer}.{filter}"),
        format!("$JS.API.CONSUMER.INFO.{stream}.{consumer}"),
        format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"),
        format!("$JS.ACK.{stream}.{consumer}.>"),
    ]
}

/// What the agent of `service` at `site` may do (it also gets one reply per request):
/// its KV bucket and its site's queued requests.
pub fn agent(service: &str, site: &str) -> Allow {
    let queued = |subject: String, queue: String| format!("{subject} {queue}");
    let mut publish = bucket_api(&s::bucket(service, site));
    publish.extend(queue_api(service, site));
    Allow {
        publish,
        subscribe: vec![
            queued(site_subtree(service, site), s::site_queue(service, site)),
            queued(s::allocate_any(service), s::any_site_queue(service)),
            s::list(service),
            s::ping(service),
            s::locate(service),
            admin_subtree(service),
            private_inbox(&agent_user(service, site)),
        ],
    }
}

/// What the service admin of `service` may do.
pub fn admin(service: &str) -> Allow {
    Allow {
        publish: vec![admin_subtree(service)],
        subscribe: vec![private_inbox(&admin_user(service))],
    }
}

/// What SERVICES exports (and every tenant imports) for `services`: per service its
/// service-wide operations, per site its subtree.
pub fn exports(services: &[ServiceSpec]) -> Vec<ServiceExport> {
    let mut out = Vec::new();
    for service in services {
        out.push(ServiceExport {
            subject: service_wide(&service.name),
            name: format!("provisioning service {}", service.name),
        });
        for site in &service.sites {
            out.push(ServiceExport {
                subject: site_subtree(&service.name, site),
                name: format!("provisioning service {} at {site}", service.name),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NATS subject matching (`*` one token, `>` one or more), for checking allow lists.
    fn matches(pattern: &str, subject: &str) -> bool {
        let mut p = pattern.split('.');
        let mut t = subject.split('.');
        loop {
            match (p.next(), t.next()) {
                (Some(">"), Some(_)) => return true,
                (Some("*"), Some(_)) => {}
                (Some(a), Some(b)) if a == b => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }

    fn allowed(list: &[String], subject: &str) -> bool {
        list.iter()
            .any(|entry| matches(entry.split(' ').next().unwrap_or(""), subject))
    }

    fn services() -> Vec<ServiceSpec> {
        ["storage:sto1,osl1", "compute:sto1"]
            .map(|t| ServiceSpec::parse(t).unwrap())
            .to_vec()
    }

    #[test]
    fn an_agent_subscribes_to_its_own_service_and_site_only() {
        let allow = agent("storage", "sto1");
        assert_eq!(
            allow.subscribe,
            [
                "svc.storage.sto1.> storage.sto1",
                "svc.storage.allocate storage",
                "svc.storage.list",
                "svc.storage.ping",
                "svc.storage.locate",
                "svc.storage.admin.>",
                "_INBOX.agent-storage-sto1.>",
            ]
        );
        for own in [
            "svc.storage.sto1.allocate",
            "svc.storage.sto1.deallocate",
            "svc.storage.allocate",
            "svc.storage.list",
            "svc.storage.ping",
            "svc.storage.locate",
            "svc.storage.admin.approve",
        ] {
            assert!(allowed(&allow.subscribe, own), "{own}");
        }
        for other in [
            "svc.compute.sto1.allocate",
            "svc.compute.allocate",
            "svc.compute.list",
            "svc.compute.admin.approve",
            "svc.storage.osl1.allocate",
            "_INBOX.agent-compute-sto1.x",
            "_INBOX.admin-storage.x",
            "_INBOX.x",
        ] {
            assert!(!allowed(&allow.subscribe, other), "{other}");
        }
    }

    #[test]
    fn an_agent_publishes_only_its_own_bucket() {
        let allow = agent("storage", "sto1");
        for own in [
            "$KV.agent_storage_sto1.acme.x",
            "$JS.API.STREAM.INFO.KV_agent_storage_sto1",
            "$JS.API.STREAM.CREATE.KV_agent_storage_sto1",
            "$JS.API.DIRECT.GET.KV_agent_storage_sto1.$KV.agent_storage_sto1.acme",
            "$JS.API.STREAM.MSG.GET.KV_agent_storage_sto1",
            "$JS.API.CONSUMER.CREATE.KV_agent_storage_sto1",
            "$JS.API.INFO",
        ] {
            assert!(allowed(&allow.publish, own), "{own}");
        }
        for other in [
            "$KV.agent_compute_sto1.acme.x",
            "$KV.agent_storage_osl1.acme.x",
            "$JS.API.STREAM.INFO.KV_agent_compute_sto1",
            "$JS.API.DIRECT.GET.KV_agent_compute_sto1",
            "$JS.API.STREAM.DELETE.KV_agent_storage_sto1",
            "$JS.API.STREAM.PURGE.KV_agent_storage_sto1",
            "svc.storage.sto1.allocate",
            "svc.compute.sto1.allocate",
            "svc.storage.admin.approve",
            "$SRV.PING",
            "_INBOX.x",
        ] {
            assert!(!allowed(&allow.publish, other), "{other}");
        }
        assert!(allow.publish.iter().all(|p| !p.starts_with("svc.")));
    }

    #[test]
    fn an_agent_consumes_only_its_own_sites_queue() {
        assert_eq!(queue_stream("storage"), "svcq_storage");
        assert_eq!(queue_consumer("sto1"), "site-sto1");
        assert_eq!(queue_filter("storage", "sto1"), "svcq.*.storage.sto1.*");
        assert_eq!(
            queue_api("storage", "sto1"),
            [
                "$JS.API.STREAM.INFO.svcq_storage",
                "$JS.API.STREAM.CREATE.svcq_storage",
                "$JS.API.STREAM.UPDATE.svcq_storage",
                "$JS.API.STREAM.MSG.GET.svcq_storage",
                "$JS.API.DIRECT.GET.svcq_storage",
                "$JS.API.DIRECT.GET.svcq_storage.>",
                "$JS.API.CONSUMER.CREATE.svcq_storage.site-sto1.svcq.*.storage.sto1.*",
                "$JS.API.CONSUMER.INFO.svcq_storage.site-sto1",
                "$JS.API.CONSUMER.MSG.NEXT.svcq_storage.site-sto1",
                "$JS.ACK.svcq_storage.site-sto1.>",
            ]
        );
        let allow = agent("storage", "sto1");
        for own in queue_api("storage", "sto1") {
            assert!(allow.publish.contains(&own), "{own}");
        }
        for own in [
            "$JS.ACK.svcq_storage.site-sto1.1.3.1.1700000000000000000.0",
            "$JS.API.DIRECT.GET.svcq_storage.svcq.ACME.storage.sto1.allocate",
        ] {
            assert!(allowed(&allow.publish, own), "{own}");
        }
        for other in [
            "$JS.API.STREAM.INFO.svcq_compute",
            "$JS.API.STREAM.CREATE.svcq_compute",
            "$JS.API.STREAM.DELETE.svcq_storage",
            "$JS.API.STREAM.PURGE.svcq_storage",
            "$JS.API.CONSUMER.CREATE.svcq_compute.site-sto1.svcq.*.compute.sto1.*",
            "$JS.API.CONSUMER.CREATE.svcq_storage",
            "$JS.API.CONSUMER.CREATE.svcq_storage.site-sto1",
            "$JS.API.CONSUMER.CREATE.svcq_storage.site-sto1.svcq.*.storage.>",
            "$JS.API.CONSUMER.CREATE.svcq_storage.site-osl1.svcq.*.storage.osl1.*",
            "$JS.API.CONSUMER.CREATE.svcq_storage.x.svcq.*.storage.osl1.*",
            "$JS.API.CONSUMER.DURABLE.CREATE.svcq_storage.site-sto1",
            "$JS.API.CONSUMER.DELETE.svcq_storage.site-sto1",
            "$JS.API.CONSUMER.INFO.svcq_storage.site-osl1",
            "$JS.API.CONSUMER.MSG.NEXT.svcq_storage.site-osl1",
            "$JS.API.CONSUMER.MSG.NEXT.svcq_compute.site-sto1",
            "$JS.ACK.svcq_storage.site-osl1.1.3.1.1.0",
            "$JS.ACK.svcq_compute.site-sto1.1.3.1.1.0",
            "svcq.storage.sto1.allocate",
        ] {
            assert!(!allowed(&allow.publish, other), "{other}");
        }
    }

    #[test]
    fn an_admin_reaches_its_own_admin_subtree_only() {
        let allow = admin("storage");
        assert_eq!(allow.publish, ["svc.storage.admin.>"]);
        assert_eq!(allow.subscribe, ["_INBOX.admin-storage.>"]);
        for refused in [
            "svc.storage.sto1.allocate",
            "svc.storage.list",
            "svc.compute.admin.approve",
        ] {
            assert!(!allowed(&allow.publish, refused), "{refused}");
            assert!(!allowed(&allow.subscribe, refused), "{refused}");
        }
    }

    #[test]
    fn tenants_reach_every_operation_but_no_admin_subtree() {
        let exports: Vec<String> = exports(&services())
            .into_iter()
            .map(|e| e.subject)
            .collect();
        assert_eq!(
            exports,
            [
                "svc.storage.*",
                "svc.storage.sto1.>",
                "svc.storage.osl1.>",
                "svc.compute.*",
                "svc.compute.sto1.>",
            ]
        );
        for reachable in [
            s::allocate_any("storage"),
            s::allocate_at("storage", "osl1"),
            s::update_at("storage", "sto1"),
            s::deallocate_at("compute", "sto1"),
            s::list("compute"),
            s::ping("storage"),
            s::locate("storage"),
        ] {
            assert!(allowed(&exports, &reachable), "{reachable}");
        }
        for admin in [
            "svc.storage.admin.approve",
            "svc.storage.admin.allocate",
            "svc.compute.admin.deny.x",
            "svc.storage.osl2.allocate",
            "svc.other.ping",
        ] {
            assert!(!allowed(&exports, admin), "{admin}");
        }
    }

    #[test]
    fn the_matcher_is_nats_matching() {
        assert!(matches("a.*.c", "a.b.c"));
        assert!(matches("a.>", "a.b.c"));
        assert!(!matches("a.>", "a"));
        assert!(!matches("a.*", "a.b.c"));
        assert!(!matches("a.b", "a.b.c"));
    }
}
