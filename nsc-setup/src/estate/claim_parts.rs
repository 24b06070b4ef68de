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

/// The scope of a tenant's minted-users key: the tenant's per-user subjects and the
/// services, replies through the user's private inboxes (`_INBOX.<name>.>`).
pub(super) fn minted_user_scope(tenant: &str, key: &str) -> UserScope {
    let mut scope = UserScope::new(key);
    scope.role = t::MINTED_USER_ROLE.to_owned();
    let user_subject = t::scope_user_subject(tenant);
    scope.template = UserPermissionLimits {
        publish: Permission {
            allow: vec![user_subject.clone(), SERVICES_SUBJECT.to_owned()],
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
