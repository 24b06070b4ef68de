//! What a tenant's users get: the permission template (`permissions.*`) and their tags
//! (`tags.*`).

use serde::{Deserialize, Serialize};

/// A limit value meaning "unlimited" (NATS' `-1`).
pub const UNLIMITED: i64 = claims::NO_LIMIT;

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

fn unlimited() -> i64 {
    UNLIMITED
}
