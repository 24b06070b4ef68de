//! Renew-now notices: when a user's grant changes (a policy reload that changes what its
//! tenant grants, a tenant admin's action on the user) the provisioner tells the user's
//! live clients to renew at once instead of at their scheduled time.
//!
//! A notice is published in the provisioner's account on
//! `creds.renew.<tenant account>.<name>`. `nsc-setup` estates export that stream from AUTH
//! with the account key in the third token (a tenant can import only its own) and each
//! tenant imports it into its users' private inboxes as `_INBOX.<name>.renew-now`. A user
//! may subscribe only to `_INBOX.<its name>.>`, so it hears its own notices and nobody
//! else's. The body says why (`{"reason", "at"}`); it carries no credential: the client
//! renews the usual way, with its own key's proof.
//!
//! Notices are a hint, sent at most once: a client that misses one renews at its
//! schedule. Names that are not one subject token have no private inbox and get none.

use std::collections::BTreeSet;

use policy::schema::TenantConfig;
use registry::Registry;
use serde::Serialize;

use crate::config::runtime::Runtime;

/// The first two tokens of every notice subject.
pub const NOTICE_PREFIX: &str = "creds.renew";
/// Notices published, by reason.
pub const NOTICES_TOTAL: &str = "provisioner_renew_notices_total";

/// Why a user should renew now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeReason {
    /// A policy reload changed what the user's tenant grants.
    PolicyReload,
    /// A tenant admin acted on the user (a revocation: the renewal is refused, and the
    /// client learns it at once).
    AdminAction,
}

impl NoticeReason {
    fn label(self) -> &'static str {
        match self {
            NoticeReason::PolicyReload => "policy_reload",
            NoticeReason::AdminAction => "admin_action",
        }
    }
}

#[derive(Serialize)]
struct NoticeBody {
    reason: NoticeReason,
    at: i64,
}

/// The subject of `name`'s notices in tenant account `account`; `None` for a name that
/// is not one literal subject token (it has no private inbox to receive them).
pub fn notice_subject(account: &str, name: &str) -> Option<String> {
    claims::private_inbox_prefix(name).map(|_| format!("{NOTICE_PREFIX}.{account}.{name}"))
}

/// Publishes notices over the provisioner's own connection.
#[derive(Clone, Debug)]
pub struct Notices {
    client: async_nats::Client,
}

impl Notices {
    /// Notices over `client`.
    pub fn new(client: async_nats::Client) -> Notices {
        Notices { client }
    }

    /// Tells `name`'s live clients in `account` to renew now. A failure is logged, never
    /// returned: the notice is a hint and the clients renew at their schedule anyway.
    pub async fn send(&self, account: &str, name: &str, reason: NoticeReason, now: i64) {
        let Some(subject) = notice_subject(account, name) else {
            tracing::debug!(
                name,
                "no renew-now notice: the name is not one subject token"
            );
            return;
        };
        let body = match serde_json::to_vec(&NoticeBody { reason, at: now }) {
            Ok(body) => body,
            Err(err) => {
                tracing::warn!(error = %err, "encoding a renew-now notice failed");
                return;
            }
        };
        match self.client.publish(subject, body.into()).await {
            Ok(()) => {
                metrics::counter!(NOTICES_TOTAL, "reason" => reason.label()).increment(1);
            }
            Err(err) => tracing::warn!(name, error = %err, "publishing a renew-now notice failed"),
        }
    }

    /// After a reload from `old` to `new`: every active user of each tenant whose grant
    /// changed is told to renew. Runs in the background; the registry lists the users
    /// (without one, nobody is told).
    pub fn after_reload(&self, registry: Option<Registry>, old: &Runtime, new: &Runtime) {
        let changed: Vec<(String, String)> = new
            .policy
            .tenants()
            .iter()
            .filter(|t| {
                old.policy
                    .tenant(t.name())
                    .is_none_or(|before| grant_changed(before.config(), t.config()))
            })
            .map(|t| (t.name().to_owned(), t.account().to_owned()))
            .collect();
        let Some(registry) = registry.filter(|_| !changed.is_empty()) else {
            return;
        };
        let notices = self.clone();
        tokio::spawn(async move {
            for (tenant, account) in changed {
                notices.tell_tenant(&registry, &tenant, &account).await;
            }
        });
    }

    async fn tell_tenant(&self, registry: &Registry, tenant: &str, account: &str) {
        // The clock read here, not through the service module, which depends on this one.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let users = match registry.tenant_users(tenant).await {
            Ok(users) => users,
            Err(err) => {
                tracing::warn!(tenant, error = %err, "listing users for renew-now notices failed");
                return;
            }
        };
        // One notice per name: where names are not unique, one name has several slots.
        let names: BTreeSet<String> = users
            .into_iter()
            .map(|u| u.value)
            .filter(|u| !u.revoked && u.may_be_valid(now))
            .map(|u| u.name)
            .collect();
        tracing::info!(
            tenant,
            users = names.len(),
            "SIGHUP: the tenant's grant changed; telling its live users to renew"
        );
        for name in names {
            self.send(account, &name, NoticeReason::PolicyReload, now)
                .await;
        }
    }
}

/// Whether a tenant's grant differs between two policies: anything that decides what a
/// renewal of one of its names gets (permissions, grants by tag, stamped tags,
/// lifetimes, name rules, who may renew, the account and its signing key).
pub fn grant_changed(old: &TenantConfig, new: &TenantConfig) -> bool {
    old.permissions != new.permissions
        || old.grants != new.grants
        || old.tags != new.tags
        || old.ttl != new.ttl
        || old.names != new.names
        || old.identity != new.identity
        || old.account != new.account
        || old.signing_key != new.signing_key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_account_and_the_user() {
        assert_eq!(
            notice_subject("ACME", "alice").as_deref(),
            Some("creds.renew.ACME.alice")
        );
        assert_eq!(notice_subject("ACME", "a.b"), None);
        assert_eq!(notice_subject("ACME", "a*"), None);
        assert_eq!(notice_subject("ACME", ""), None);
    }

    #[test]
    fn only_what_decides_a_grant_counts_as_a_change() {
        let old = TenantConfig::default();
        let mut new = old.clone();
        new.description = String::from("only words");
        assert!(!grant_changed(&old, &new));
        new.ttl.max_secs = old.ttl.max_secs + 1;
        assert!(grant_changed(&old, &new));
        let mut granted = old.clone();
        granted.grants.push(policy::schema::GrantConfig::default());
        assert!(grant_changed(&old, &granted));
    }

    #[test]
    fn bodies_say_why_and_when() {
        let body = serde_json::to_string(&NoticeBody {
            reason: NoticeReason::PolicyReload,
            at: 7,
        })
        .unwrap_or_default();
        assert_eq!(body, r#"{"reason":"policy_reload","at":7}"#);
    }
}
