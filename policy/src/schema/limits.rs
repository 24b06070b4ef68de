//! Limits on a tenant's issuance: credential lifetime (`ttl`), registry quotas
//! (`quotas`) and rate limits (`rate_limits`).

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotasConfig {
    /// Maximum users with unexpired credentials; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_active_users: Option<u64>,
    /// Maximum live invites (unrevoked, unexpired, not used up) the tenant's admins may
    /// hold at once; [`DEFAULT_MAX_OUTSTANDING_INVITES`] when absent.
    #[serde(default = "default_max_invites")]
    pub max_outstanding_invites: u64,
}

/// The live invites a tenant may hold when it does not configure a cap.
pub const DEFAULT_MAX_OUTSTANDING_INVITES: u64 = 1_000;

impl Default for QuotasConfig {
    fn default() -> Self {
        QuotasConfig {
            max_active_users: None,
            max_outstanding_invites: DEFAULT_MAX_OUTSTANDING_INVITES,
        }
    }
}

fn default_max_invites() -> u64 {
    DEFAULT_MAX_OUTSTANDING_INVITES
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

fn default_window() -> u64 {
    DEFAULT_RATE_WINDOW_SECS
}
