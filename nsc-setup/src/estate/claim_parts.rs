//! The claim pieces the design topology is made of: users with allow lists, public
//! service exports, identity-sharing imports, unlimited JetStream and the scope of a
//! tenant's minted-users key.

use claims::{
    Export, ExportType, Import, JetStreamLimits, Permission, ResponsePermission, UserClaims,
    UserPermissionLimits, UserScope,
};

use crate::topology::{self as t, SERVICES_SUBJECT};

fn strings(subjects: &[&str]) -> Vec<String> {
    subjects.iter().map(|s| (*s).to_owned()).collect()
}

/// A user (subject set later) with these allow lists and, for responders, permission to
/// send one reply per request received.
pub(super) fn user_with(publish: &[&str], subscribe: &[&str], responder: bool) -> UserClaims {
    let mut claims = UserClaims::new_user(String::new());
    let permissions = &mut claims.nats.permissions;
    permissions.publish.allow = strings(publish);
    permissions.subscribe.allow = strings(subscribe);
    if responder {
        permissions.resp = Some(ResponsePermission {
            max: t::RESPONSE_MAX,
            ttl: 0,
        });
    }
    claims
}

/// A public service export.
pub(super) fn service_export(subject: &str, name: &str) -> Export {
    Export {
        name: name.to_owned(),
        subject: subject.to_owned(),
        export_type: Some(ExportType::Service),
        ..Export::default()
    }
}

/// The public service export of queued provisioning requests, [`t::QUEUED_SUBJECT`]:
/// its second token is the importer's account key, so each tenant imports only its own
/// and the tenant is in every kept request's subject, put there by the server.
pub(super) fn queued_export() -> Export {
    Export {
        account_token_position: t::QUEUED_ACCOUNT_TOKEN,
        response_type: t::QUEUED_RESPONSE_TYPE.to_owned(),
        ..service_export(t::QUEUED_SUBJECT, t::QUEUED_EXPORT_NAME)
    }
}

/// `importer`'s shared import of `export` of account `exporter`. An export with an
/// account token is imported with `importer`'s key in that token (the only one the
/// server lets it import), under the local subject without that token
/// (`svcq.*.>` → `svcq.<importer>.>` as `svcq.>`); any other under its own subject.
pub(super) fn import_of(export: &Export, exporter: &str, importer: &str) -> Import {
    let position = usize::try_from(export.account_token_position).unwrap_or(0);
    if position == 0 {
        return shared_import(&export.subject, &export.name, exporter);
    }
    let tokens: Vec<&str> = export.subject.split('.').collect();
    let mut subject = Vec::with_capacity(tokens.len());
    let mut local = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.into_iter().enumerate() {
        if i + 1 == position {
            subject.push(importer);
        } else {
            subject.push(token);
            local.push(token);
        }
    }
    Import {
        local_subject: local.join("."),
        ..shared_import(&subject.join("."), &export.name, exporter)
    }
}

/// A service import sharing the requester's identity, under the same local subject.
pub(super) fn shared_import(subject: &str, name: &str, account: &str) -> Import {
    Import {
        name: name.to_owned(),
        subject: subject.to_owned(),
        account: account.to_owned(),
        local_subject: subject.to_owned(),
        import_type: Some(ExportType::Service),
        share: true,
        ..Import::default()
    }
}

/// JetStream without limits.
pub(super) fn unlimited_jetstream() -> JetStreamLimits {
    JetStreamLimits {
        mem_storage: -1,
        disk_storage: -1,
        streams: -1,
        consumer: -1,
        ..JetStreamLimits::default()
    }
}

/// The scope of a tenant's minted-users key: the tenant's per-user subjects, the
/// services and their queued requests, replies through the user's private inboxes (`_INBOX.<name>.>`).
pub(super) fn minted_user_scope(tenant: &str, key: &str) -> UserScope {
    let mut scope = UserScope::new(key);
    scope.role = t::MINTED_USER_ROLE.to_owned();
    let user_subject = t::scope_user_subject(tenant);
    scope.template = UserPermissionLimits {
        publish: Permission {
            allow: vec![
                user_subject.clone(),
                SERVICES_SUBJECT.to_owned(),
                t::QUEUED_LOCAL_SUBJECT.to_owned(),
            ],
            deny: Vec::new(),
        },
        subscribe: Permission {
            allow: vec![user_subject, t::SCOPE_USER_INBOX.to_owned()],
            deny: Vec::new(),
        },
        ..UserPermissionLimits::unlimited()
    };
    scope
}

#[cfg(test)]
mod tests {
    use claims::Validate;

    use super::*;

    const ACME: &str = "ACME";
    const SERVICES: &str = "SERVICES";

    #[test]
    fn the_queued_export_names_the_importer_in_its_second_token() {
        let export = queued_export();
        assert_eq!(export.subject, "svcq.*.>");
        assert_eq!(export.name, "queued provisioning requests");
        assert_eq!(export.account_token_position, 2);
        assert_eq!(export.response_type, "Singleton");
        assert_eq!(export.export_type, Some(ExportType::Service));
        assert!(!export.token_req);
        let mut claims =
            claims::AccountClaims::new_account(nkeys::KeyPair::new_account().public_key());
        claims.nats.exports = vec![
            queued_export(),
            service_export(t::SERVICES_SUBJECT, t::SERVICES_EXPORT_NAME),
        ];
        let report = claims.validate(1_800_000_000);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }

    #[test]
    fn a_tenant_imports_its_own_token_as_the_plain_subject() {
        let import = import_of(&queued_export(), SERVICES, ACME);
        assert_eq!(import.subject, "svcq.ACME.>");
        assert_eq!(import.local_subject, "svcq.>");
        assert_eq!(import.account, SERVICES);
        assert_eq!(import.name, "queued provisioning requests");
        assert_eq!(import.import_type, Some(ExportType::Service));
        assert!(import.share);
        // Any other export keeps its subject.
        let live = service_export("svc.>", "live");
        let import = import_of(&live, SERVICES, ACME);
        assert_eq!(
            (import.subject.as_str(), import.local_subject.as_str()),
            ("svc.>", "svc.>")
        );
        // The token may be anywhere.
        let mut inner = service_export("a.b.*.c", "inner");
        inner.account_token_position = 3;
        let import = import_of(&inner, SERVICES, ACME);
        assert_eq!(
            (import.subject.as_str(), import.local_subject.as_str()),
            ("a.b.ACME.c", "a.b.c")
        );
    }

    #[test]
    fn the_imports_pass_validation() {
        let key = nkeys::KeyPair::new_account().public_key();
        let services = nkeys::KeyPair::new_account().public_key();
        let mut claims = claims::AccountClaims::new_account(key.clone());
        claims.nats.imports = vec![
            import_of(
                &service_export(t::SERVICES_SUBJECT, t::SERVICES_EXPORT_NAME),
                &services,
                &key,
            ),
            import_of(&queued_export(), &services, &key),
        ];
        let report = claims.validate(1_800_000_000);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }
}
