//! The names, subjects and permissions of the estate `nsc-setup init` builds (design §2),
//! as documented constants: the provisioner, the run script and the tests rely on them.
//!
//! Not here: building claims from them (see [`crate::estate`]).

/// The system account.
pub const SYS_ACCOUNT: &str = "SYS";
/// The system account's user, used for resolver pushes and claim lookups.
pub const SYS_USER: &str = "sys";
/// The provisioner's home account; exports the credential service.
pub const AUTH_ACCOUNT: &str = "AUTH";
/// The provisioner's user in [`AUTH_ACCOUNT`].
pub const PROVISIONER_USER: &str = "provisioner";
/// The provisioning agents' home account; exports [`SERVICES_SUBJECT`].
pub const SERVICES_ACCOUNT: &str = "SERVICES";
/// The reference agent's user in [`SERVICES_ACCOUNT`].
pub const AGENT_USER: &str = "agent";
/// A tenant's user that may only request credentials.
pub const BOOTSTRAP_USER: &str = "bootstrap";
/// A tenant's administrator (tag [`ADMIN_TAG`]).
pub const ADMIN_USER: &str = "admin";

/// The names tenants may not take: the fixed accounts.
pub const RESERVED_ACCOUNTS: [&str; 3] = [SYS_ACCOUNT, AUTH_ACCOUNT, SERVICES_ACCOUNT];

/// The credential request subject, exported by AUTH and imported by every tenant.
pub const REQUEST_SUBJECT: &str = "creds.request";
/// The name of the credential request export and imports.
pub const REQUEST_EXPORT_NAME: &str = "credential requests";
/// The tenant admin endpoints, exported by AUTH and imported by every tenant.
pub const ADMIN_SUBJECT: &str = "creds.admin.>";
/// The name of the admin export and imports.
pub const ADMIN_EXPORT_NAME: &str = "credential administration";
/// The provisioning services, exported by SERVICES and imported by every tenant.
pub const SERVICES_SUBJECT: &str = "svc.>";
/// Response type of the [`SERVICES_SUBJECT`] export: `Stream`, so that a scattered
/// request (`list`, `ping`) gets every site's answer back through the import, not only
/// the first.
pub const SERVICES_RESPONSE_TYPE: &str = "Stream";
/// The first token of [`SERVICES_SUBJECT`], a policy `extra_prefixes` entry.
pub const SERVICES_PREFIX: &str = "svc";
/// The name of the services export and imports.
pub const SERVICES_EXPORT_NAME: &str = "provisioning services";
/// Queued (durable) provisioning requests, exported by SERVICES in both layouts: a
/// tenant's `svcq.<service>.<site>.<op>` arrives as `svcq.<tenant account>.<service>.
/// <site>.<op>`, where the service's work-queue stream `svcq_<service>` keeps it.
pub const QUEUED_SUBJECT: &str = "svcq.*.>";
/// The token of [`QUEUED_SUBJECT`] the server fills with the importer's account key
/// (`account_token_position`): each tenant may import only its own.
pub const QUEUED_ACCOUNT_TOKEN: u64 = 2;
/// What tenants publish queued requests to (their import's local subject).
pub const QUEUED_LOCAL_SUBJECT: &str = "svcq.>";
/// The first token of [`QUEUED_SUBJECT`], a policy `extra_prefixes` entry.
pub const QUEUED_PREFIX: &str = "svcq";
/// The name of the queued requests' export and imports.
pub const QUEUED_EXPORT_NAME: &str = "queued provisioning requests";
/// Response type of the [`QUEUED_SUBJECT`] export: the stream's one acknowledgement.
pub const QUEUED_RESPONSE_TYPE: &str = "Singleton";
/// Audit events the provisioner publishes.
pub const AUDIT_SUBJECT: &str = "creds.audit.events";
/// Renew-now notices, exported by AUTH as a stream: `creds.renew.<account>.<name>`. The
/// third token is the importing tenant's account key, so each tenant hears only its own.
pub const NOTICE_SUBJECT: &str = "creds.renew.*.*";
/// The position of the account key in [`NOTICE_SUBJECT`].
pub const NOTICE_ACCOUNT_TOKEN: u64 = 3;
/// Where a tenant receives a notice: in the user's private inbox (`_INBOX.<name>.>`,
/// which only that user may subscribe to), as `_INBOX.<name>.renew-now`.
pub const NOTICE_LOCAL_SUBJECT: &str = "_INBOX.$1.renew-now";
/// The name of the notices' export.
pub const NOTICE_EXPORT_NAME: &str = "renew-now notices";
/// The provisioner's queue group.
pub const QUEUE_GROUP: &str = "provisioner";

/// Every reply inbox of an account: only the service users get it (the provisioner in
/// AUTH, the agent in SERVICES, the only users there that receive replies). Tenant users
/// get their private inboxes instead, so that no user reads another's replies.
pub const INBOX: &str = "_INBOX.>";
/// The bootstrap user's private reply inboxes: `_INBOX.<name>.>` of
/// [`claims::private_inbox_prefix`], which clients set as their inbox prefix.
pub const BOOTSTRAP_INBOX: &str = "_INBOX.bootstrap.>";
/// The admin user's private reply inboxes.
pub const ADMIN_INBOX: &str = "_INBOX.admin.>";
/// A minted user's private reply inboxes in the policy crate's placeholder syntax.
pub const POLICY_USER_INBOX: &str = "_INBOX.{name}.>";
/// A minted user's private reply inboxes as a scoped key's template.
pub const SCOPE_USER_INBOX: &str = "_INBOX.{{name()}}.>";
/// Names no minted user may take (the policy's `names.reserved`: globs, compared
/// ignoring case): the tenant's own users, whose private inboxes a user of the same name
/// would read; names shaped like reply inboxes or system subjects; and the names of the
/// operator side's users and roles. `policy.toml` adds the operator's and the accounts'
/// names of the estate (`policy_file::reserved_names`).
pub const RESERVED_USER_NAMES: [&str; 10] = [
    ADMIN_USER,
    BOOTSTRAP_USER,
    "_INBOX*",
    "$*",
    "root",
    "operator",
    "system",
    SYS_USER,
    PROVISIONER_USER,
    AGENT_USER,
];
/// The NATS micro services API.
pub const SRV: &str = "$SRV.>";

/// What the provisioner may subscribe to.
pub const PROVISIONER_SUB: [&str; 4] = [REQUEST_SUBJECT, ADMIN_SUBJECT, SRV, INBOX];
/// The registry's rate counters (a JetStream counter stream named after the default
/// bucket prefix `creds_`).
pub const COUNTERS_SUBJECTS: &str = "creds_counters.>";
/// What the provisioner may publish to (besides replies through its response permission):
/// micro service replies, audit events, renew-now notices, its JetStream KV registry and
/// rate counters. Never the request subject.
pub const PROVISIONER_PUB: [&str; 7] = [
    SRV,
    "creds.audit.>",
    "creds.renew.>",
    "$JS.API.>",
    "$KV.>",
    COUNTERS_SUBJECTS,
    INBOX,
];
/// What the agent may subscribe to.
pub const AGENT_SUB: [&str; 3] = [SERVICES_SUBJECT, SRV, INBOX];
/// What the agent may publish to (besides replies): its JetStream use, including the
/// acknowledgements of queued requests (`$JS.ACK.>`).
pub const AGENT_PUB: [&str; 5] = [SRV, "$JS.API.>", "$KV.>", "$JS.ACK.>", INBOX];
/// What a tenant's bootstrap user may publish to.
pub const BOOTSTRAP_PUB: [&str; 1] = [REQUEST_SUBJECT];
/// What a tenant's admin user may publish to.
pub const ADMIN_PUB: [&str; 2] = [REQUEST_SUBJECT, ADMIN_SUBJECT];
/// What a tenant's bootstrap user may subscribe to: its private reply inboxes.
pub const BOOTSTRAP_SUB: [&str; 1] = [BOOTSTRAP_INBOX];
/// What a tenant's admin user may subscribe to: its private reply inboxes.
pub const ADMIN_SUB: [&str; 1] = [ADMIN_INBOX];
/// Responses a responder may send per request.
pub const RESPONSE_MAX: i64 = 1;

/// The tag on an admin user.
pub const ADMIN_TAG: &str = "role:admin";
/// The role of a tenant's scoped signing key.
pub const MINTED_USER_ROLE: &str = "user";

/// The account tag naming a tenant, `tenant:<name>`.
pub fn tenant_tag(tenant: &str) -> String {
    format!("tenant:{tenant}")
}

/// A tenant's subject namespace, `tenant.<name>`.
pub fn tenant_namespace(tenant: &str) -> String {
    format!("tenant.{tenant}")
}

/// A minted user's subjects as a scoped key's template (`{{name()}}` is the user JWT's
/// name), `tenant.<name>.{{name()}}.>`.
pub fn scope_user_subject(tenant: &str) -> String {
    format!("tenant.{tenant}.{{{{name()}}}}.>")
}

/// A minted user's subjects in the policy crate's placeholder syntax,
/// `tenant.<name>.{name}.>`.
pub fn policy_user_subject(tenant: &str) -> String {
    format!("tenant.{tenant}.{{name}}.>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_templates_use_each_syntax() {
        assert_eq!(scope_user_subject("acme"), "tenant.acme.{{name()}}.>");
        assert_eq!(policy_user_subject("acme"), "tenant.acme.{name}.>");
        assert_eq!(tenant_namespace("acme"), "tenant.acme");
        assert_eq!(tenant_tag("acme"), "tenant:acme");
    }

    #[test]
    fn tenant_users_subscribe_to_their_private_inboxes_only() {
        for (user, inbox) in [(BOOTSTRAP_USER, BOOTSTRAP_INBOX), (ADMIN_USER, ADMIN_INBOX)] {
            let prefix = claims::private_inbox_prefix(user).unwrap();
            assert_eq!(inbox, format!("{prefix}.>"));
            assert!(RESERVED_USER_NAMES.contains(&user));
        }
        assert_eq!(BOOTSTRAP_SUB, [BOOTSTRAP_INBOX]);
        assert_eq!(ADMIN_SUB, [ADMIN_INBOX]);
        assert_eq!(POLICY_USER_INBOX, "_INBOX.{name}.>");
        assert_eq!(SCOPE_USER_INBOX, "_INBOX.{{name()}}.>");
    }

    #[test]
    fn no_auth_user_may_publish_the_request_subject() {
        assert!(!PROVISIONER_PUB.contains(&REQUEST_SUBJECT));
        assert!(PROVISIONER_PUB
            .iter()
            .all(|s| !s.starts_with("creds.request")));
        assert!(PROVISIONER_PUB.iter().all(|s| *s != ">" && *s != "creds.>"));
    }
}
