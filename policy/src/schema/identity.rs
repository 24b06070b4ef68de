//! The identity sources of a tenant (`identity.*`): who may vouch for a request.

use serde::{Deserialize, Serialize};

use super::limits::{RateLimitsConfig, TtlConfig};
use crate::tags::{same_tag, Privilege};

/// Identity sources of a tenant; each is off unless enabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// Requests arriving through the tenant's import (`Nats-Request-Info.acc`).
    #[serde(default)]
    pub import: ImportConfig,
    /// Proof of key possession.
    #[serde(default)]
    pub proof: ProofConfig,
    /// Invite tokens.
    #[serde(default)]
    pub invite: InviteConfig,
    /// The seed's anonymous plain-text requests.
    #[serde(default)]
    pub legacy: LegacyConfig,
    /// A user renewing its own credentials.
    #[serde(default)]
    pub renewal: RenewalConfig,
    /// Connections the server hands to the provisioner through auth callout.
    #[serde(default)]
    pub callout: CalloutConfig,
    /// OpenID Connect ID tokens; on when the table is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcConfig>,
    /// The tag a caller of the tenant's account must carry to use the tenant admin
    /// endpoints (`creds.admin.>`). Default [`DEFAULT_ADMIN_TAG`].
    #[serde(default = "default_admin_tag")]
    pub admin_tag: String,
}

/// The admin tag when a tenant does not configure one.
pub const DEFAULT_ADMIN_TAG: &str = "role:admin";

impl IdentityConfig {
    /// The tags that grant power in the tenant: the admin tag and the tags the import
    /// requires of callers.
    pub fn privileged_tags(&self) -> impl Iterator<Item = (&str, Privilege)> {
        std::iter::once((self.admin_tag.as_str(), Privilege::Admin)).chain(
            self.import
                .require_caller_tags
                .iter()
                .map(|t| (t.as_str(), Privilege::RequiredCallerTag)),
        )
    }

    /// The power `tag` grants in the tenant, if any (ASCII case ignored).
    pub fn privilege_of(&self, tag: &str) -> Option<Privilege> {
        self.privileged_tags()
            .find(|(have, _)| same_tag(have, tag))
            .map(|(_, privilege)| privilege)
    }
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            import: ImportConfig::default(),
            proof: ProofConfig::default(),
            invite: InviteConfig::default(),
            legacy: LegacyConfig::default(),
            renewal: RenewalConfig::default(),
            callout: CalloutConfig::default(),
            oidc: None,
            admin_tag: default_admin_tag(),
        }
    }
}

/// Auth callout: the server asks the provisioner to authorize a connection, and the
/// CONNECT credentials (a user and password, a token or an ID token) identify it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalloutConfig {
    /// Whether connections authorized through auth callout may be placed in this tenant.
    #[serde(default)]
    pub enabled: bool,
    /// Path of the tenant's callout credentials file (users with salted password
    /// hashes, tokens), read by the provisioner, never by this crate. Optional: a tenant
    /// may accept only ID tokens through the callout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    /// The name of the tenant's account in a config-mode server (`accounts { ACME {} }`):
    /// there the callout places a user by the user JWT's audience, so the provisioner
    /// needs the name. Unused in operator mode, where the account key places users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_account: Option<String>,
}

/// The clock skew accepted on an ID token's `exp`, `nbf` and `iat` by default.
pub const DEFAULT_OIDC_LEEWAY_SECS: u64 = 60;
/// The claim that names the user by default.
pub const DEFAULT_OIDC_NAME_CLAIM: &str = "sub";

/// OpenID Connect ID tokens, verified by the provisioner against a JWKS file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The token's `iss` must equal this.
    pub issuer: String,
    /// The token's `aud` must contain this (the client id).
    pub audience: String,
    /// Path of the issuer's JWKS (JSON Web Key Set) file; resolved by the provisioner.
    /// Exactly one of `jwks_file` and `jwks_url`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jwks_file: String,
    /// URL of the issuer's JWKS (`https://…`, or `http://` to a loopback address),
    /// fetched and refreshed by the provisioner.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jwks_url: String,
    /// Accepted clock skew in seconds. Default [`DEFAULT_OIDC_LEEWAY_SECS`].
    #[serde(default = "default_oidc_leeway")]
    pub leeway_secs: u64,
    /// The claim holding the user name. Default [`DEFAULT_OIDC_NAME_CLAIM`].
    #[serde(default = "default_oidc_name_claim")]
    pub name_claim: String,
    /// A claim holding tags (a string or an array of strings) to stamp on the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_claim: Option<String>,
    /// A claim (a string or an array of strings) that must hold this tenant's name; lets
    /// tenants share one issuer and audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_claim: Option<String>,
    /// Whether the `tags_claim` may carry the tenant's admin tag (`identity.admin_tag`):
    /// the issuer then decides who administers the tenant (the portal's admin role).
    /// Default `false`: a token carrying it is refused `tag_not_allowed`, like any
    /// credential. Never lets the claim carry a required caller tag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin_from_tags_claim: bool,
    /// Whether a token for `dana` also covers the names of dana's devices,
    /// `dana-<suffix>` (the rest of the name one subject token, as every name is): one
    /// person, several credentials (the portal's `POST /credentials`). Default `false`:
    /// a token covers its own name only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub device_names: bool,
}

/// Renewal: a user that comes through the tenant's import with its own, still valid
/// credentials asks for the name it holds, for the same public key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalConfig {
    /// Whether such a user is vouched for (even without the import's required tags or
    /// an invite). Default `false`.
    #[serde(default)]
    pub enabled: bool,
}

/// Requests through the tenant's import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportConfig {
    /// Whether the import identifies requesters.
    #[serde(default)]
    pub enabled: bool,
    /// Tags the calling user must carry (all of them), such as `role:enroller`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require_caller_tags: Vec<String>,
}

/// Proof of key possession.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofConfig {
    /// Whether every (non-legacy) request must carry a verified proof. Default `true`.
    #[serde(default = "default_proof_required")]
    pub required: bool,
    /// Whether a `nats-provisioner-proof-v1` proof counts. It binds the tenant, name,
    /// key, time and nonce but not the token, ID token, TTL or tags, which whoever sees
    /// the request in flight may then change; v2 binds them all. Default `true`, so that
    /// a policy written before v2 keeps serving its clients; `nsc-setup` writes `false`.
    #[serde(default = "default_accept_v1")]
    pub accept_v1: bool,
}

impl Default for ProofConfig {
    fn default() -> Self {
        ProofConfig {
            required: true,
            accept_v1: true,
        }
    }
}

/// Invite tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteConfig {
    /// Whether a redeemed invite identifies the requester.
    #[serde(default)]
    pub enabled: bool,
    /// Whether every request must carry an invite, even one through the import.
    #[serde(default)]
    pub required: bool,
}

/// The seed's anonymous legacy mode, with its own limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyConfig {
    /// Whether plain-text anonymous requests are served.
    #[serde(default)]
    pub enabled: bool,
    /// Lifetime of legacy credentials; the tenant's `ttl` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<TtlConfig>,
    /// Rate limits for legacy requests; the tenant's `rate_limits` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<RateLimitsConfig>,
}

fn default_proof_required() -> bool {
    true
}

fn default_accept_v1() -> bool {
    true
}

fn default_admin_tag() -> String {
    DEFAULT_ADMIN_TAG.to_owned()
}

fn default_oidc_leeway() -> u64 {
    DEFAULT_OIDC_LEEWAY_SECS
}

fn default_oidc_name_claim() -> String {
    DEFAULT_OIDC_NAME_CLAIM.to_owned()
}
