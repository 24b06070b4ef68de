//! The policy file as written: serde types for the TOML schema.
//!
//! Every table rejects unknown keys (`deny_unknown_fields`); defaults are the safe
//! choice (identity sources off, proof of key possession required, bearer off, names
//! unique). These types carry no meaning beyond shape: [`crate::Policy`] is the checked
//! form, built by load-time validation. `README.md` documents every key.

use serde::{Deserialize, Serialize};

/// The only schema version this crate reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The character set names may use when a tenant does not configure one.
pub const DEFAULT_NAME_CHARS: &str = "a-zA-Z0-9_-";
/// The shortest name allowed when a tenant does not configure `min_len`.
pub const DEFAULT_NAME_MIN_LEN: usize = 1;
/// The longest name allowed when a tenant does not configure `max_len`.
pub const DEFAULT_NAME_MAX_LEN: usize = 64;
/// A limit value meaning "unlimited" (NATS' `-1`).
pub const UNLIMITED: i64 = claims::NO_LIMIT;

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
    #[serde(default = "yes")]
    pub required: bool,
}

impl Default for ProofConfig {
    fn default() -> Self {
        ProofConfig { required: true }
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

/// Rules for user names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamesConfig {
    /// Allowed characters as ranges and single characters, like a regex class body.
    #[serde(default = "default_name_chars")]
    pub allowed_chars: String,
    /// Minimum length in characters.
    #[serde(default = "default_min_len")]
    pub min_len: usize,
    /// Maximum length in characters.
    #[serde(default = "default_max_len")]
    pub max_len: usize,
    /// Optional glob (`*` any run, `?` one character) a name must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Names nobody may take (compared ignoring ASCII case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved: Vec<String>,
    /// Whether a name belongs to one public key within the tenant. Default `true`.
    #[serde(default = "yes")]
    pub unique: bool,
    /// Whether a unique name held by one key may be issued to another key.
    #[serde(default)]
    pub reissue_to_other_key: bool,
}

impl Default for NamesConfig {
    fn default() -> Self {
        NamesConfig {
            allowed_chars: default_name_chars(),
            min_len: DEFAULT_NAME_MIN_LEN,
            max_len: DEFAULT_NAME_MAX_LEN,
            pattern: None,
            reserved: Vec::new(),
            unique: true,
            reissue_to_other_key: false,
        }
    }
}

/// The permission template of a tenant's users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionsConfig {
    /// Publish allow and deny subject templates.
    #[serde(rename = "pub", default)]
    pub publish: SubjectRules,
    /// Subscribe allow and deny subject templates.
    #[serde(rename = "sub", default)]
    pub subscribe: SubjectRules,
    /// Response permission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resp: Option<RespConfig>,
    /// Maximum subscriptions; `-1` unlimited.
    #[serde(default = "unlimited")]
    pub subs: i64,
    /// Maximum bytes; `-1` unlimited.
    #[serde(default = "unlimited")]
    pub data: i64,
    /// Maximum message payload in bytes; `-1` unlimited.
    #[serde(default = "unlimited")]
    pub payload: i64,
    /// Source CIDRs users may connect from; any when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub src: Vec<String>,
    /// Connect windows; any time when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub times: Vec<TimeWindow>,
    /// IANA time zone of `times`; the server's when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub times_location: String,
    /// Allowed connection types (`STANDARD`, `WEBSOCKET`, …); any when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connection_types: Vec<String>,
    /// Whether the JWT alone authenticates (bearer token). Default `false`.
    #[serde(default)]
    pub bearer: bool,
}

impl Default for PermissionsConfig {
    fn default() -> Self {
        PermissionsConfig {
            publish: SubjectRules::default(),
            subscribe: SubjectRules::default(),
            resp: None,
            subs: UNLIMITED,
            data: UNLIMITED,
            payload: UNLIMITED,
            src: Vec::new(),
            times: Vec::new(),
            times_location: String::new(),
            connection_types: Vec::new(),
            bearer: false,
        }
    }
}

/// Allow and deny subject templates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectRules {
    /// Subjects granted; each must lie in the tenant's namespace.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Subjects refused even when an allow matches.
    #[serde(default)]
    pub deny: Vec<String>,
}

/// Response permission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RespConfig {
    /// Maximum responses per request (`0`: the server's default).
    #[serde(default)]
    pub max: i64,
    /// How long the permission lasts, in milliseconds (`0`: the server's default).
    #[serde(default)]
    pub ttl_ms: u64,
}

/// A connect window, `HH:MM:SS` to `HH:MM:SS`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// Start of the window.
    pub start: String,
    /// End of the window.
    pub end: String,
}

/// Tags of a tenant's users.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagsConfig {
    /// Tag templates stamped on every user (placeholders allowed anywhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stamp: Vec<String>,
    /// Globs of tags a request may ask for; a request asking for others is denied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requestable: Vec<String>,
}

/// Credential lifetime in seconds: a requested TTL is capped at `max_secs`, never
/// extended; no requested TTL means `default_secs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TtlConfig {
    /// Lifetime when the request names none.
    pub default_secs: u64,
    /// The longest lifetime granted.
    pub max_secs: u64,
}

/// One hour: the default lifetime when a tenant does not configure `ttl`.
pub const DEFAULT_TTL_SECS: u64 = 60 * 60;
/// One day: the default maximum lifetime when a tenant does not configure `ttl`.
pub const DEFAULT_TTL_MAX_SECS: u64 = 24 * 60 * 60;

impl Default for TtlConfig {
    fn default() -> Self {
        TtlConfig {
            default_secs: DEFAULT_TTL_SECS,
            max_secs: DEFAULT_TTL_MAX_SECS,
        }
    }
}

/// Quotas on the tenant's registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotasConfig {
    /// Maximum users with unexpired credentials; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_active_users: Option<u64>,
}

/// Issuance rate limits over a fixed window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Window length in seconds; the edge counts issuances per window.
    #[serde(default = "default_window")]
    pub window_secs: u64,
    /// Maximum issuances per requester per window; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_requester: Option<u64>,
    /// Maximum issuances per tenant per window; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_tenant: Option<u64>,
}

/// One hour: the rate-limit window when a tenant does not configure one.
pub const DEFAULT_RATE_WINDOW_SECS: u64 = 60 * 60;

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig {
            window_secs: DEFAULT_RATE_WINDOW_SECS,
            per_requester: None,
            per_tenant: None,
        }
    }
}

fn yes() -> bool {
    true
}

fn unlimited() -> i64 {
    UNLIMITED
}

fn default_name_chars() -> String {
    DEFAULT_NAME_CHARS.to_owned()
}

fn default_min_len() -> usize {
    DEFAULT_NAME_MIN_LEN
}

fn default_max_len() -> usize {
    DEFAULT_NAME_MAX_LEN
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

fn default_window() -> u64 {
    DEFAULT_RATE_WINDOW_SECS
}
