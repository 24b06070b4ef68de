//! The checked policy: tenants with compiled templates.
//!
//! A [`Policy`] exists only after load-time validation passed, so `evaluate` can rely
//! on its invariants (every granted subject lies in its tenant's namespace, no `$SYS`,
//! no permissions for scoped keys, TTL maximum at least the default). It reads no files:
//! the provisioner reads the text and resolves signing key paths.
//!
//! Only the values live here. The constructors live with the code they run, which
//! depends on these values and not the other way round: [`Policy::from_toml_str`] in
//! `load`, [`Policy::from_file`] in `validate`, [`Policy::seed_legacy`] in `seed`.

use std::fmt;

use crate::names::Charset;
use crate::schema::{RateLimitsConfig, TenantConfig, TtlConfig};
use crate::template::{SubjectTemplate, TextTemplate};

/// Where the signing key of a tenant comes from; the provisioner loads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SigningKeyRef {
    /// A file holding the account seed (`SA…`).
    Path(String),
    /// The public key (`A…`) of a key in the provisioner's key store.
    PublicKey(String),
}

impl fmt::Display for SigningKeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningKeyRef::Path(path) => write!(f, "file `{path}`"),
            SigningKeyRef::PublicKey(key) => write!(f, "public key `{key}`"),
        }
    }
}

/// Subject templates and fixed limits of a tenant, compiled at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompiledPermissions {
    pub(crate) pub_allow: Vec<SubjectTemplate>,
    pub(crate) pub_deny: Vec<SubjectTemplate>,
    pub(crate) sub_allow: Vec<SubjectTemplate>,
    pub(crate) sub_deny: Vec<SubjectTemplate>,
    /// Everything but the subject lists, already in claims form.
    pub(crate) fixed: claims::UserPermissionLimits,
}

/// A conditional grant (`grants[i]`), compiled at load: allow templates added for users
/// carrying `tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompiledGrant {
    /// Position in the tenant's `grants` array.
    pub(crate) index: usize,
    pub(crate) tag: String,
    pub(crate) pub_allow: Vec<SubjectTemplate>,
    pub(crate) sub_allow: Vec<SubjectTemplate>,
}

/// One checked tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub(crate) index: usize,
    pub(crate) config: TenantConfig,
    pub(crate) signing_key: SigningKeyRef,
    pub(crate) charset: Charset,
    pub(crate) permissions: Option<CompiledPermissions>,
    pub(crate) grants: Vec<CompiledGrant>,
    pub(crate) stamp: Vec<TextTemplate>,
}

impl Tenant {
    /// The tenant's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The tenant account's public key.
    pub fn account(&self) -> &str {
        &self.config.account
    }

    /// The subject namespace of the tenant's users.
    pub fn namespace(&self) -> &str {
        &self.config.namespace
    }

    /// The signing key to load.
    pub fn signing_key(&self) -> &SigningKeyRef {
        &self.signing_key
    }

    /// Whether the signing key is scoped (users carry no permissions).
    pub fn is_scoped(&self) -> bool {
        self.config.signing_key.scoped
    }

    /// Whether plain-text legacy requests are served for this tenant.
    pub fn legacy_enabled(&self) -> bool {
        self.config.identity.legacy.enabled
    }

    /// The tag a caller must carry to use the tenant admin endpoints.
    pub fn admin_tag(&self) -> &str {
        &self.config.identity.admin_tag
    }

    /// The power `tag` grants in this tenant, if any: its admin tag or a tag the import
    /// requires of callers (ASCII case ignored).
    pub fn privilege_of(&self, tag: &str) -> Option<crate::tags::Privilege> {
        self.config.identity.privilege_of(tag)
    }

    /// The tags of the tenant's conditional grants (`grants[].tag`), in file order: a
    /// user carrying one gets the grant's subjects.
    pub fn grant_tags(&self) -> impl Iterator<Item = &str> {
        self.grants.iter().map(|g| g.tag.as_str())
    }

    /// Whether a user may renew its own credentials (`identity.renewal.enabled`).
    pub fn renewal_enabled(&self) -> bool {
        self.config.identity.renewal.enabled
    }

    /// The longest lifetime this tenant grants, legacy included, seconds.
    pub fn max_ttl_secs(&self) -> u64 {
        self.config.ttl.max_secs.max(self.legacy_ttl().max_secs)
    }

    /// The rate-limit window the edge counts issuances in, seconds.
    pub fn rate_window_secs(&self) -> u64 {
        self.config.rate_limits.window_secs
    }

    /// The rate-limit window for legacy requests, seconds.
    pub fn legacy_rate_window_secs(&self) -> u64 {
        self.legacy_rate_limits().window_secs
    }

    /// The tenant as configured (after validation).
    pub fn config(&self) -> &TenantConfig {
        &self.config
    }

    /// Position in the policy file's `tenants` array.
    pub fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn legacy_rate_limits(&self) -> &RateLimitsConfig {
        self.config
            .identity
            .legacy
            .rate_limits
            .as_ref()
            .unwrap_or(&self.config.rate_limits)
    }

    pub(crate) fn legacy_ttl(&self) -> &TtlConfig {
        self.config
            .identity
            .legacy
            .ttl
            .as_ref()
            .unwrap_or(&self.config.ttl)
    }

    /// `tenants[i]`, for explanations.
    pub(crate) fn place(&self) -> String {
        format!("tenants[{}]", self.index)
    }
}

/// A checked policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) tenants: Vec<Tenant>,
}

impl Policy {
    /// The tenants, in file order.
    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }

    /// The tenant named `name`.
    pub fn tenant(&self, name: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.name() == name)
    }

    /// The tenant whose account is `account`; the edge trusts `Nats-Request-Info` only
    /// from these accounts.
    pub fn tenant_by_account(&self, account: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.account() == account)
    }
}
