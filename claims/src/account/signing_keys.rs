//! Account signing keys: plain keys, and scoped keys whose template the server applies to
//! every user they sign.
//!
//! Written as a JSON array sorted by key (a plain key as a string, a scoped key as an
//! object), as Go's `SigningKeys` marshals its map.

use std::collections::BTreeMap;

use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::permissions::{UserPermissionLimits, NO_LIMIT};

/// The `kind` of a scoped signing key.
pub const USER_SCOPE_KIND: &str = "user_scope";

/// A scoped signing key: users it signs get `template` and must carry no permissions or
/// limits of their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserScope {
    /// Always [`USER_SCOPE_KIND`].
    pub kind: String,
    /// The signing key's public key.
    pub key: String,
    /// A role name.
    #[serde(default)]
    pub role: String,
    /// Permissions and limits the server applies to users this key signs; may use
    /// templates such as `{{name()}}` and `{{tag(x)}}`.
    pub template: UserPermissionLimits,
    /// Description.
    #[serde(default)]
    pub description: String,
}

impl UserScope {
    /// A scope for `key` with an unlimited template, as Go's `NewUserScope`.
    pub fn new(key: impl Into<String>) -> Self {
        UserScope {
            kind: USER_SCOPE_KIND.to_owned(),
            key: key.into(),
            role: String::new(),
            template: UserPermissionLimits::unlimited(),
            description: String::new(),
        }
    }
}

/// Signing keys by public key; `None` for a plain key, `Some` for a scoped key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigningKeys(pub BTreeMap<String, Option<UserScope>>);

impl SigningKeys {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `key` is listed, plain or scoped.
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Adds a plain signing key.
    pub fn add(&mut self, key: impl Into<String>) {
        self.0.insert(key.into(), None);
    }

    /// Adds a scoped signing key.
    pub fn add_scoped(&mut self, scope: UserScope) {
        self.0.insert(scope.key.clone(), Some(scope));
    }
}

impl Serialize for SigningKeys {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (key, scope) in &self.0 {
            match scope {
                Some(scope) => seq.serialize_element(scope)?,
                None => seq.serialize_element(key)?,
            }
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for SigningKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let items = Vec::<Value>::deserialize(d)?;
        let mut keys = SigningKeys::default();
        for item in items {
            match item {
                Value::String(key) => keys.add(key),
                Value::Object(mut map) => {
                    if map.get("kind").and_then(Value::as_str) != Some(USER_SCOPE_KIND) {
                        return Err(D::Error::custom("unknown signing key scope"));
                    }
                    // Go decodes into `NewUserScope()`, so absent limits are unlimited.
                    if let Some(Value::Object(template)) = map.get_mut("template") {
                        for limit in ["subs", "data", "payload"] {
                            template.entry(limit).or_insert(Value::from(NO_LIMIT));
                        }
                    }
                    let scope: UserScope =
                        serde_json::from_value(Value::Object(map)).map_err(D::Error::custom)?;
                    keys.add_scoped(scope);
                }
                _ => {
                    return Err(D::Error::custom(
                        "signing key must be a string or an object",
                    ))
                }
            }
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_scoped_keys_round_trip_sorted_by_key() {
        let mut keys = SigningKeys::default();
        keys.add("AZ");
        keys.add_scoped(UserScope::new("AB"));
        let json = serde_json::to_string(&keys).unwrap();
        assert!(
            json.starts_with(r#"[{"kind":"user_scope","key":"AB""#),
            "{json}"
        );
        assert!(json.ends_with(r#""AZ"]"#), "{json}");
        let back: SigningKeys = serde_json::from_str(&json).unwrap();
        assert_eq!(back, keys);
    }

    #[test]
    fn unknown_scope_kinds_are_refused() {
        let err = serde_json::from_str::<SigningKeys>(r#"[{"kind":"other","key":"A"}]"#);
        assert!(err.is_err());
        assert!(serde_json::from_str::<SigningKeys>("[5]").is_err());
    }
}
