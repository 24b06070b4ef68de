//! User permissions and limits: the shapes shared by user JWTs, scoped signing key
//! templates and account default permissions.
//!
//! Field order and `omitempty` behaviour follow Go's `jwt/v2` types exactly, because the
//! encoder relies on declaration order. Validation lives in [`crate::validate`].

use serde::{Deserialize, Deserializer, Serialize};

use crate::omit;

/// Allow and deny subject lists for publish or subscribe.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// Subjects allowed (wildcards permitted; subscribe entries may carry a queue name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Subjects denied; a deny wins over an allow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

impl Permission {
    /// Whether both lists are empty.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }
}

/// Permission to publish replies to requests received on allowed subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsePermission {
    /// Maximum number of responses per request.
    #[serde(default)]
    pub max: i64,
    /// How long the permission lasts, in nanoseconds (Go `time.Duration`).
    #[serde(default)]
    pub ttl: i64,
}

/// A connect-time window, `HH:MM:SS` to `HH:MM:SS`, in `times_location`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Start of the window.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub start: String,
    /// End of the window.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub end: String,
}

/// Source CIDRs a user may connect from.
///
/// Decodes from a JSON array (kept as is) or from a comma-separated string (split, trimmed,
/// lowercased and deduplicated), as Go's `CIDRList` does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CidrList(pub Vec<String>);

impl CidrList {
    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds CIDRs the way Go's `CIDRList.Add` does: trimmed, lowercased, no duplicates,
    /// no empty entries.
    pub fn add(&mut self, cidr: &str) {
        let v = cidr.trim().to_lowercase();
        if !v.is_empty() && !self.0.contains(&v) {
            self.0.push(v);
        }
    }
}

impl<'de> Deserialize<'de> for CidrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            List(Vec<String>),
            Csv(String),
        }
        Ok(match Repr::deserialize(deserializer)? {
            Repr::List(list) => CidrList(list),
            Repr::Csv(csv) => {
                let mut list = CidrList::default();
                for part in csv.to_lowercase().split(',') {
                    list.add(part);
                }
                list
            }
        })
    }
}

/// Permissions and limits of a user, or of a scoped signing key's template.
///
/// Go: `UserPermissionLimits` = `Permissions` + `Limits` + bearer, proxy and connection
/// types, flattened in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPermissionLimits {
    /// Publish permissions (always written, even when empty).
    #[serde(rename = "pub", default)]
    pub publish: Permission,
    /// Subscribe permissions (always written, even when empty).
    #[serde(rename = "sub", default)]
    pub subscribe: Permission,
    /// Response permission, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resp: Option<ResponsePermission>,
    /// Allowed source CIDRs.
    #[serde(default, skip_serializing_if = "CidrList::is_empty")]
    pub src: CidrList,
    /// Allowed connect windows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub times: Vec<TimeRange>,
    /// IANA time zone of `times`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub times_location: String,
    /// Maximum subscriptions; -1 unlimited, 0 omitted.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub subs: i64,
    /// Maximum bytes; -1 unlimited, 0 omitted.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub data: i64,
    /// Maximum message payload; -1 unlimited, 0 omitted.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub payload: i64,
    /// The JWT alone authenticates (no nonce signature). Off unless policy enables it.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub bearer_token: bool,
    /// The connection must come through a trusted proxy.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub proxy_required: bool,
    /// Allowed connection types (`STANDARD`, `WEBSOCKET`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_connection_types: Vec<String>,
}

/// `NewUserClaims` and `NewUserScope` start limits at "unlimited".
pub const NO_LIMIT: i64 = -1;

impl UserPermissionLimits {
    /// No permissions, unlimited subs/data/payload: what Go's `NewUserClaims` starts with.
    pub fn unlimited() -> Self {
        UserPermissionLimits {
            subs: NO_LIMIT,
            data: NO_LIMIT,
            payload: NO_LIMIT,
            ..Default::default()
        }
    }

    /// Whether no permission and no limit is set (Go's `UserPermissionLimits.Empty`, which
    /// counts `proxy_required` as neither). A user signed by a scoped key must be empty.
    pub fn is_empty(&self) -> bool {
        let mut copy = self.clone();
        copy.proxy_required = false;
        copy == UserPermissionLimits::default()
    }
}

/// Default permissions of an account, applied to users that carry none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Publish permissions.
    #[serde(rename = "pub", default)]
    pub publish: Permission,
    /// Subscribe permissions.
    #[serde(rename = "sub", default)]
    pub subscribe: Permission,
    /// Response permission, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resp: Option<ResponsePermission>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_list_reads_arrays_and_comma_strings() {
        let list: CidrList = serde_json::from_str(r#"["10.0.0.0/8", " X "]"#).unwrap();
        assert_eq!(list.0, vec!["10.0.0.0/8", " X "]);
        let list: CidrList =
            serde_json::from_str(r#"" 10.0.0.0/8, ::1/128 ,10.0.0.0/8,""#).unwrap();
        assert_eq!(list.0, vec!["10.0.0.0/8", "::1/128"]);
        assert!(serde_json::from_str::<CidrList>("5").is_err());
    }

    #[test]
    fn empty_permissions_are_still_written() {
        let json = serde_json::to_string(&UserPermissionLimits::unlimited()).unwrap();
        assert_eq!(
            json,
            r#"{"pub":{},"sub":{},"subs":-1,"data":-1,"payload":-1}"#
        );
        assert!(!UserPermissionLimits::unlimited().is_empty());
        assert!(UserPermissionLimits::default().is_empty());
    }
}
