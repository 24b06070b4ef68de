//! The policy file as written: serde types for the TOML schema.
//!
//! Every table rejects unknown keys (`deny_unknown_fields`); defaults are the safe
//! choice (identity sources off, proof of key possession required, bearer off, names
//! unique). These types carry no meaning beyond shape: [`crate::Policy`] is the checked
//! form, built by load-time validation. `README.md` documents every key: the file and
//! tenant here, then `limits`, `identity`, `names`, `permissions` and `grants`.

mod grants;
mod identity;
mod limits;
mod names;
mod permissions;

use serde::{Deserialize, Serialize};

pub use grants::{GrantConfig, GrantRules};
pub use identity::{
    CalloutConfig, IdentityConfig, ImportConfig, InviteConfig, LegacyConfig, OidcConfig,
    ProofConfig, RenewalConfig, DEFAULT_ADMIN_TAG, DEFAULT_OIDC_LEEWAY_SECS,
    DEFAULT_OIDC_NAME_CLAIM,
};
pub use limits::{
    QuotasConfig, RateLimitsConfig, TtlConfig, DEFAULT_MAX_OUTSTANDING_INVITES,
    DEFAULT_RATE_WINDOW_SECS, DEFAULT_TTL_MAX_SECS, DEFAULT_TTL_SECS,
};
pub use names::{NamesConfig, DEFAULT_NAME_CHARS, DEFAULT_NAME_MAX_LEN, DEFAULT_NAME_MIN_LEN};
pub use permissions::{
    PermissionsConfig, RespConfig, SubjectRules, TagsConfig, TimeWindow, UNLIMITED,
};

/// The only schema version this crate reads.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Schema version; must be [`SCHEMA_VERSION`].
    pub version: u32,
    /// The tenants this provisioner serves, `[[tenants]]`.
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
}

/// One tenant: an account, its signing key, who may ask and what they get.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// The tenant's name; a single literal subject token (it may fill `{tenant}`).
    pub name: String,
    /// Free text for operators; never used in decisions.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The tenant account's public key (`A…`).
    pub account: String,
    /// Subject prefix every permission of the tenant's users must live under,
    /// for example `chat.KUBECON` or `tenant.acme`.
    pub namespace: String,
    /// Further literal subject prefixes the tenant's templates may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_prefixes: Vec<String>,
    /// The key minted users are signed with.
    pub signing_key: SigningKeyConfig,
    /// Which identity sources may vouch for a request.
    #[serde(default)]
    pub identity: IdentityConfig,
    /// Rules for user names.
    #[serde(default)]
    pub names: NamesConfig,
    /// The permission template; must be absent for a scoped signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<PermissionsConfig>,
    /// Tags stamped on users and tags a request may ask for.
    #[serde(default)]
    pub tags: TagsConfig,
    /// Subjects added to the permissions of users carrying a tag, `[[tenants.grants]]`;
    /// not for a scoped signing key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantConfig>,
    /// Credential lifetime.
    #[serde(default)]
    pub ttl: TtlConfig,
    /// Quotas on the tenant's registry.
    #[serde(default)]
    pub quotas: QuotasConfig,
    /// Issuance rate limits.
    #[serde(default)]
    pub rate_limits: RateLimitsConfig,
}

/// The signing key: by path (a file the provisioner reads) or by public key (looked up
/// in the provisioner's key store). Exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyConfig {
    /// Path of the account seed file (`SA…`); resolved by the provisioner, not here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Public key (`A…`) of the signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Whether the key is a scoped signing key: users then carry no permissions and the
    /// server applies the scope's template.
    #[serde(default)]
    pub scoped: bool,
}
