//! Why a registry operation failed, for every module of the crate; the detail is logged
//! and callers answer with an internal error. Stored values are the registry's own JSON:
//! a value that does not decode is reported with [`safe_json_error`], which keeps no
//! quoted input, so that no stored secret reaches a log.

/// A registry failure. The detail is logged; callers get a 500.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A KV operation failed or timed out.
    #[error("{op} bucket `{bucket}`: {reason}")]
    Kv {
        /// What was being done.
        op: &'static str,
        /// The bucket.
        bucket: String,
        /// Why.
        reason: String,
    },
    /// A stored value is not what this version writes.
    #[error("bucket `{bucket}` key `{key}`: {reason}")]
    Corrupt {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A compare-and-set loop kept losing.
    #[error("bucket `{bucket}` key `{key}` is contended")]
    Contended {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
}

impl RegistryError {
    /// A KV failure.
    pub fn kv(op: &'static str, bucket: &str, reason: impl std::fmt::Display) -> Self {
        RegistryError::Kv {
            op,
            bucket: bucket.to_owned(),
            reason: reason.to_string(),
        }
    }

    /// A compare-and-set loop on `key` of bucket `bucket` that kept losing.
    pub fn contended(bucket: &str, key: &str) -> Self {
        RegistryError::Contended {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        }
    }
}

/// A JSON error message that keeps its category and position but drops quoted input,
/// which could be a secret (a token value, say).
pub fn safe_json_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let mut out = String::with_capacity(text.len());
    let mut in_quotes = false;
    for ch in text.chars() {
        match (ch, in_quotes) {
            ('"', false) => {
                in_quotes = true;
                out.push_str("\"…");
            }
            ('"', true) => {
                in_quotes = false;
                out.push('"');
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_drop_quoted_input() {
        let err = serde_json::from_str::<u32>("\"s3cr3t-token\"").unwrap_err();
        let msg = safe_json_error(&err);
        assert!(!msg.contains("s3cr3t"), "{msg}");
        assert!(msg.contains("invalid type"), "{msg}");
    }
}
