//! The `Nats-Request-Info` header: its JSON parsed into [`RequestInfo`].
//!
//! The server sets this header on every request that crosses a service import: always
//! `acc` (the requesting account) and `rtt`; with `share=true` on the import also `user`
//! (the user's public key), `name_tag` (its JWT name), `tags`, `issuer_key` and `jwt`,
//! among others. Fields this crate does not read are tolerated; a field it reads with the
//! wrong JSON type is refused, as is a header without `acc`.
//!
//! Parsing says nothing about whether the header can be believed: that is
//! [`crate::caller`]'s job. Pure: no IO.

use std::fmt;

use serde::Deserialize;
use thiserror::Error;

/// The header the server sets on requests that cross a service import.
pub const REQUEST_INFO_HEADER: &str = "Nats-Request-Info";

/// The largest header value parsed; larger ones are refused unread. A user JWT with many
/// permissions is a few KiB.
pub const MAX_REQUEST_INFO_BYTES: usize = 32 * 1024;

/// Why a header value is not a usable `Nats-Request-Info`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RequestInfoError {
    /// Longer than [`MAX_REQUEST_INFO_BYTES`].
    #[error("request info is longer than {MAX_REQUEST_INFO_BYTES} bytes")]
    TooLarge,
    /// Not a JSON object of the expected shape (a field of the wrong type, for example).
    #[error("request info is not valid: {reason}")]
    Invalid {
        /// The JSON parser's complaint (names the field and position, never the value).
        reason: String,
    },
    /// No (or an empty) `acc` field.
    #[error("request info names no account")]
    NoAccount,
}

/// The fields of `Nats-Request-Info` a service reads. Unknown fields are ignored.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RequestInfo {
    /// The requesting account's public key (`acc`).
    #[serde(rename = "acc")]
    pub account: String,
    /// The requesting user's public key (`user`; with `share=true`).
    #[serde(default)]
    pub user: Option<String>,
    /// The requesting user's JWT name (`name_tag`; with `share=true`).
    #[serde(default)]
    pub name_tag: Option<String>,
    /// The requesting user's JWT tags (`tags`; with `share=true`, when it has any).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The key that signed the user: the account's identity key or one of its signing
    /// keys (`issuer_key`; with `share=true`).
    #[serde(default)]
    pub issuer_key: Option<String>,
    /// The requesting user's JWT (`jwt`; with `share=true`). Never logged.
    #[serde(default)]
    pub jwt: Option<String>,
    /// The intermediate service account on chained imports (`svc`).
    #[serde(default)]
    pub svc: Option<String>,
}

impl fmt::Debug for RequestInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestInfo")
            .field("account", &self.account)
            .field("user", &self.user)
            .field("name_tag", &self.name_tag)
            .field("tags", &self.tags)
            .field("issuer_key", &self.issuer_key)
            .field("jwt", &self.jwt.as_ref().map(|_| "<redacted>"))
            .field("svc", &self.svc)
            .finish()
    }
}

impl RequestInfo {
    /// Parses a header value.
    ///
    /// # Errors
    /// [`RequestInfoError`] for a value that is too large, not the expected JSON, or names
    /// no account.
    ///
    /// # Examples
    /// ```
    /// use agent::RequestInfo;
    /// let info = RequestInfo::parse(r#"{"acc":"ABC","rtt":1,"tags":["a"],"future":{}}"#).unwrap();
    /// assert_eq!(info.account, "ABC");
    /// assert_eq!(info.tags, ["a"]);
    /// assert!(RequestInfo::parse(r#"{"acc":"ABC","tags":"a"}"#).is_err());
    /// ```
    pub fn parse(value: &str) -> Result<Self, RequestInfoError> {
        if value.len() > MAX_REQUEST_INFO_BYTES {
            return Err(RequestInfoError::TooLarge);
        }
        let invalid = |err: serde_json::Error| RequestInfoError::Invalid {
            reason: describe(&err),
        };
        // serde would also read a struct from a JSON array; only an object is the header.
        let value: serde_json::Value = serde_json::from_str(value).map_err(invalid)?;
        if !value.is_object() {
            return Err(RequestInfoError::Invalid {
                reason: String::from("not a JSON object"),
            });
        }
        let info = RequestInfo::deserialize(value).map_err(invalid)?;
        if info.account.is_empty() {
            return Err(RequestInfoError::NoAccount);
        }
        Ok(info)
    }
}

/// serde_json's message without the offending value (it may hold a JWT): its category
/// and position.
fn describe(err: &serde_json::Error) -> String {
    let what = match err.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Data => "a field is missing or has the wrong type",
    };
    if err.line() == 0 {
        return what.to_owned();
    }
    format!("{what} at line {} column {}", err.line(), err.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARED: &str = r#"{"acc":"ACME","client_type":"nats","host":"127.0.0.1","id":17,
        "issuer_key":"ASIGN","jwt":"eyJ.x.y","kind":"Client","lang":"rust",
        "name_tag":"alice","rtt":305847,"server":"NSRV","start":"2026-11-22T11:35:54Z",
        "user":"UALICE","ver":"0.51.0","tags":["role:dev"]}"#;

    #[test]
    fn a_shared_header_parses_with_unknown_fields_tolerated() {
        let info = RequestInfo::parse(SHARED).unwrap();
        assert_eq!(info.account, "ACME");
        assert_eq!(info.user.as_deref(), Some("UALICE"));
        assert_eq!(info.name_tag.as_deref(), Some("alice"));
        assert_eq!(info.issuer_key.as_deref(), Some("ASIGN"));
        assert_eq!(info.tags, ["role:dev"]);
        assert_eq!(info.jwt.as_deref(), Some("eyJ.x.y"));
    }

    #[test]
    fn an_unshared_header_has_only_the_account() {
        let info = RequestInfo::parse(r#"{"acc":"ACME","rtt":12}"#).unwrap();
        assert_eq!(info.account, "ACME");
        assert_eq!(info.user, None);
        assert!(info.tags.is_empty());
    }

    #[test]
    fn wrong_types_are_refused() {
        for bad in [
            r#"{"acc":5}"#,
            r#"{"acc":"A","tags":"role:dev"}"#,
            r#"{"acc":"A","tags":[1]}"#,
            r#"{"acc":"A","user":{}}"#,
            r#"{"acc":"A","name_tag":true}"#,
            r#"{"acc":"A","issuer_key":[]}"#,
            r#"["acc"]"#,
        ] {
            assert!(
                matches!(
                    RequestInfo::parse(bad),
                    Err(RequestInfoError::Invalid { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn no_account_too_large_and_not_json_are_refused() {
        assert!(matches!(
            RequestInfo::parse(r#"{"rtt":1}"#),
            Err(RequestInfoError::Invalid { .. })
        ));
        assert_eq!(
            RequestInfo::parse(r#"{"acc":""}"#),
            Err(RequestInfoError::NoAccount)
        );
        let big = format!(
            r#"{{"acc":"A","x":"{}"}}"#,
            "x".repeat(MAX_REQUEST_INFO_BYTES)
        );
        assert_eq!(RequestInfo::parse(&big), Err(RequestInfoError::TooLarge));
        assert!(matches!(
            RequestInfo::parse("acc=A"),
            Err(RequestInfoError::Invalid { .. })
        ));
    }

    #[test]
    fn errors_and_debug_never_show_the_jwt() {
        let err = RequestInfo::parse(r#"{"acc":"A","jwt":7}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "request info is not valid: a field is missing or has the wrong type"
        );
        let info = RequestInfo::parse(SHARED).unwrap();
        assert!(!format!("{info:?}").contains("eyJ"));
    }
}
