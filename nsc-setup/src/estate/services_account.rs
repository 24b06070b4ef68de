//! The SERVICES account in its two layouts, and what tenants import from it.
//!
//! - Without services (the generic layout, as before `--service`): the export `svc.>` and
//!   one `agent` user that may subscribe to every service's subjects and every inbox.
//! - With services (the isolated layout, `--service`): an export per service and per site
//!   ([`permissions::exports`]), one agent user per service and site and one service admin
//!   per service ([`permissions::agent`], [`permissions::admin`]), each tagged with its
//!   role, service and site. No generic `agent` user: its creds would undo the isolation.
//!
//! Every export of live requests is answered in `Stream` mode (a scattered `list` gets
//! every site's answer). Both layouts also export the queued requests, `svcq.*.>` with the
//! importer's account in the second token ([`queued_export`]): a tenant imports
//! `svcq.<its account>.>` as `svcq.>`, and the agents' streams keep its requests under
//! its key.

use claims::{AccountClaims, Export, ExportType, Import, UserClaims};
use nkeys::KeyPairType;

use super::claim_parts::{
    import_of, queued_export, service_export, unlimited_jetstream, user_with,
};
use super::entries::Estate;
use crate::error::EstateError;
use crate::keys::KeySource;
use crate::services::permissions::{self, Allow};
use crate::services::{self, check_services, ServiceSpec};
use crate::topology::{self as t, AGENT_USER, SERVICES_ACCOUNT};

impl Estate {
    /// Appends SERVICES in the generic layout (`services` empty) or the isolated one.
    pub(super) fn push_services_account(
        &mut self,
        services: &[ServiceSpec],
        jetstream: bool,
        keys: &mut impl KeySource,
        now: i64,
    ) -> Result<(), EstateError> {
        check_services(services)?;
        let key = keys.generate(KeyPairType::Account)?;
        let mut claims = AccountClaims::new_account(key.public_key());
        claims.nats.exports = if services.is_empty() {
            vec![stream_export(t::SERVICES_SUBJECT, t::SERVICES_EXPORT_NAME)]
        } else {
            permissions::exports(services)
                .iter()
                .map(|e| stream_export(&e.subject, &e.name))
                .collect()
        };
        claims.nats.exports.push(queued_export());
        if jetstream {
            claims.nats.limits.jetstream = unlimited_jetstream();
        }
        self.push_account(SERVICES_ACCOUNT, claims, key, Vec::new(), now)?;
        if services.is_empty() {
            let agent = user_with(&t::AGENT_PUB, &t::AGENT_SUB, true);
            return self.push_user(SERVICES_ACCOUNT, AGENT_USER, agent, keys, now);
        }
        for service in services {
            let name = &service.name;
            for site in &service.sites {
                let mut agent = allowed(&permissions::agent(name, site), true);
                agent.nats.tags = vec![
                    services::AGENT_ROLE_TAG.to_owned(),
                    format!("{}{name}", services::SERVICE_TAG_PREFIX),
                    format!("{}{site}", services::SITE_TAG_PREFIX),
                ];
                let user = services::agent_user(name, site);
                self.push_user(SERVICES_ACCOUNT, &user, agent, keys, now)?;
            }
            let mut admin = allowed(&permissions::admin(name), false);
            admin.nats.tags = vec![
                services::ADMIN_ROLE_TAG.to_owned(),
                format!("{}{name}", services::SERVICE_TAG_PREFIX),
            ];
            let user = services::admin_user(name);
            self.push_user(SERVICES_ACCOUNT, &user, admin, keys, now)?;
        }
        Ok(())
    }

    /// The imports of SERVICES of the tenant with account key `tenant`: one shared
    /// import of each service export, under the same subject, or, for the queued
    /// requests' export, of the tenant's own token ([`import_of`]); so a tenant reaches
    /// exactly what SERVICES offers (whichever layout, and for an estate read back from
    /// disk).
    ///
    /// # Errors
    /// [`EstateError::NoAccount`] when SERVICES is missing.
    pub(super) fn services_imports(&self, tenant: &str) -> Result<Vec<Import>, EstateError> {
        let services = self
            .account(SERVICES_ACCOUNT)
            .ok_or_else(|| EstateError::NoAccount {
                name: SERVICES_ACCOUNT.to_owned(),
            })?;
        Ok(services
            .claims
            .nats
            .exports
            .iter()
            .filter(|e| e.export_type == Some(ExportType::Service))
            .map(|e| import_of(e, services.public_key(), tenant))
            .collect())
    }
}

fn stream_export(subject: &str, name: &str) -> Export {
    let mut export = service_export(subject, name);
    export.response_type = t::SERVICES_RESPONSE_TYPE.to_owned();
    export
}

fn allowed(allow: &Allow, responder: bool) -> UserClaims {
    let publish: Vec<&str> = allow.publish.iter().map(String::as_str).collect();
    let subscribe: Vec<&str> = allow.subscribe.iter().map(String::as_str).collect();
    user_with(&publish, &subscribe, responder)
}

#[cfg(test)]
mod tests {
    use claims::Validate;

    use super::*;
    use crate::estate::{EstateSpec, TenantSpec};
    use crate::keys::SequentialKeys;

    const NOW: i64 = 1_800_000_000;

    fn build(services: &[&str]) -> Result<Estate, EstateError> {
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![TenantSpec {
                name: "acme".into(),
                scoped: false,
            }],
            jetstream: true,
        };
        let services: Vec<ServiceSpec> = services
            .iter()
            .map(|s| ServiceSpec::parse(s).unwrap())
            .collect();
        Estate::build_with_services(&spec, &services, &mut SequentialKeys::new(40), NOW)
    }

    fn import_subjects(estate: &Estate, tenant: &str) -> Vec<String> {
        let services = estate.account(SERVICES_ACCOUNT).unwrap().public_key();
        estate
            .account(tenant)
            .unwrap()
            .claims
            .nats
            .imports
            .iter()
            .filter(|i| i.account == services && i.name != t::QUEUED_EXPORT_NAME)
            .inspect(|i| assert!(i.share && i.local_subject == i.subject))
            .map(|i| i.subject.clone())
            .collect()
    }

    /// The tenant's import of the queued requests: its own token only, as `svcq.>`.
    fn assert_queued_import(estate: &Estate, tenant: &str) {
        let services = estate.account(SERVICES_ACCOUNT).unwrap();
        let account = estate.account(tenant).unwrap();
        let queued: Vec<&Import> = account
            .claims
            .nats
            .imports
            .iter()
            .filter(|i| i.name == t::QUEUED_EXPORT_NAME)
            .collect();
        assert_eq!(queued.len(), 1, "{tenant}");
        let import = queued[0];
        assert_eq!(
            import.subject,
            format!("svcq.{}.>", account.public_key()),
            "{tenant}"
        );
        assert_eq!(import.local_subject, "svcq.>");
        assert_eq!(import.account, services.public_key());
        assert_eq!(import.import_type, Some(ExportType::Service));
        assert!(import.share);
        assert!(import.token.is_empty());
    }

    /// SERVICES's export of the queued requests, in either layout.
    fn assert_queued_export(estate: &Estate) {
        let services = estate.account(SERVICES_ACCOUNT).unwrap();
        let queued: Vec<&Export> = services
            .claims
            .nats
            .exports
            .iter()
            .filter(|e| e.name == "queued provisioning requests")
            .collect();
        assert_eq!(queued.len(), 1);
        let export = queued[0];
        assert_eq!(export.subject, "svcq.*.>");
        assert_eq!(export.account_token_position, 2);
        assert_eq!(export.response_type, "Singleton");
        assert_eq!(export.export_type, Some(ExportType::Service));
        assert!(!export.token_req);
    }

    #[test]
    fn the_generic_layout_is_unchanged() {
        let estate = build(&[]).unwrap();
        let services = estate.account(SERVICES_ACCOUNT).unwrap();
        let names: Vec<&str> = services.users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["agent"]);
        let agent = &services.users[0].claims.nats.permissions;
        assert_eq!(agent.subscribe.allow, t::AGENT_SUB);
        assert_eq!(agent.publish.allow, t::AGENT_PUB);
        assert_eq!(services.claims.nats.exports.len(), 2);
        assert_eq!(services.claims.nats.exports[0].response_type, "Stream");
        assert_eq!(import_subjects(&estate, "acme"), ["svc.>"]);
        assert_queued_export(&estate);
        assert_queued_import(&estate, "acme");
        assert!(agent.publish.allow.contains(&String::from("$JS.ACK.>")));
        let report = services.claims.validate(NOW);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let report = estate.account("acme").unwrap().claims.validate(NOW);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }

    #[test]
    fn the_isolated_layout_has_one_identity_per_service_and_site() {
        let estate = build(&["storage:sto1,osl1", "compute:sto1"]).unwrap();
        let services = estate.account(SERVICES_ACCOUNT).unwrap();
        let names: Vec<&str> = services.users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "agent-storage-sto1",
                "agent-storage-osl1",
                "admin-storage",
                "agent-compute-sto1",
                "admin-compute",
            ]
        );
        let agent = services.user("agent-storage-osl1").unwrap();
        let p = &agent.claims.nats.permissions;
        assert_eq!(
            p.subscribe.allow,
            permissions::agent("storage", "osl1").subscribe
        );
        assert_eq!(
            p.publish.allow,
            permissions::agent("storage", "osl1").publish
        );
        assert_eq!(p.resp.as_ref().map(|r| r.max), Some(1));
        assert_eq!(
            agent.claims.nats.tags,
            ["role:service-agent", "service:storage", "site:osl1"]
        );
        let admin = services.user("admin-compute").unwrap();
        let p = &admin.claims.nats.permissions;
        assert_eq!(p.publish.allow, ["svc.compute.admin.>"]);
        assert_eq!(p.subscribe.allow, ["_INBOX.admin-compute.>"]);
        assert!(p.resp.is_none());
        assert!(services.user("agent").is_none());
        let exported: Vec<&str> = services
            .claims
            .nats
            .exports
            .iter()
            .filter(|e| e.name != t::QUEUED_EXPORT_NAME)
            .inspect(|e| assert_eq!(e.response_type, "Stream"))
            .map(|e| e.subject.as_str())
            .collect();
        assert_eq!(import_subjects(&estate, "acme"), exported);
        assert_queued_export(&estate);
        assert_queued_import(&estate, "acme");
        assert!(!exported
            .iter()
            .any(|s| s.contains('>') && !s.ends_with(".>")));
        super::super::entries::assert_every_jwt_valid(&estate, NOW);
    }

    #[test]
    fn a_tenant_added_later_imports_what_services_exports() {
        let mut estate = build(&["storage:sto1"]).unwrap();
        let tenant = TenantSpec {
            name: "initech".into(),
            scoped: true,
        };
        estate
            .add_tenant(&tenant, &mut SequentialKeys::new(41), NOW)
            .unwrap();
        assert_eq!(
            import_subjects(&estate, "initech"),
            ["svc.storage.*", "svc.storage.sto1.>"]
        );
        assert_queued_import(&estate, "initech");
        assert_queued_import(&estate, "acme");
    }

    #[test]
    fn refuses_bad_service_lists() {
        assert!(matches!(
            build(&["a-b:c", "a:b-c"]),
            Err(EstateError::Options { .. })
        ));
    }
}
