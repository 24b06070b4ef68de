//! The rules every tag follows: in the policy (required caller tags, the admin tag,
//! stamped and requestable tags) and on every user minted (stamped, invite, credential
//! and requested tags).
//!
//! A tag is non-empty, at most [`MAX_TAG_LEN`] characters, without whitespace or control
//! characters. A tag stamped on a user must also be safe in a subject: a scoped signing
//! key's template `{{tag(K)}}` expands to the value of each user tag `K:value`, so the
//! part after a tag's first `:` must be one literal subject token, or the template would
//! grant a wildcard (`team:*`, `team:>`) or another subject shape (`team:a.b`).
//!
//! Some tags grant power inside a tenant: the admin tag (`identity.admin_tag`) and the
//! tags a caller needs to enrol users through the import
//! (`identity.import.require_caller_tags`), and the tags of conditional grants
//! (`grants[].tag`), which add subjects to their users' permissions. Tags are compared as
//! NATS tooling does, ignoring ASCII case.

use std::fmt;

use crate::subject::{check_literal_token, TokenError};

/// The longest tag.
pub const MAX_TAG_LEN: usize = 255;

/// Why a tag is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagError {
    /// The tag is empty.
    Empty,
    /// The tag holds whitespace or a control character.
    Whitespace,
    /// The tag is longer than [`MAX_TAG_LEN`].
    TooLong,
    /// The value after the first `:` is not one literal subject token.
    UnsafeValue(TokenError),
}

impl TagError {
    /// What is wrong, in words safe to show.
    pub fn reason(self) -> &'static str {
        match self {
            TagError::Empty => "a tag cannot be empty",
            TagError::Whitespace => "a tag cannot hold whitespace or control characters",
            TagError::TooLong => "a tag is at most 255 characters",
            TagError::UnsafeValue(TokenError::Empty) => {
                "the value after `:` is empty; a signing key template `{{tag(…)}}` needs one literal subject token"
            }
            TagError::UnsafeValue(TokenError::Separator) => {
                "the value after `:` holds `.`; a signing key template `{{tag(…)}}` would turn it into several subject tokens"
            }
            TagError::UnsafeValue(TokenError::Wildcard) => {
                "the value after `:` holds `*` or `>`; a signing key template `{{tag(…)}}` would turn it into a wildcard"
            }
            TagError::UnsafeValue(TokenError::Whitespace) => {
                "the value after `:` holds whitespace or a control character"
            }
        }
    }

    /// Whether the tag is well formed but its value is not subject-safe.
    pub fn is_unsafe_value(self) -> bool {
        matches!(self, TagError::UnsafeValue(_))
    }
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for TagError {}

/// Checks the shape every tag has: non-empty, no whitespace or control characters, at
/// most [`MAX_TAG_LEN`] characters.
///
/// # Errors
/// The first [`TagError`] found.
pub fn check_tag(tag: &str) -> Result<(), TagError> {
    if tag.is_empty() {
        Err(TagError::Empty)
    } else if tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(TagError::Whitespace)
    } else if tag.chars().count() > MAX_TAG_LEN {
        Err(TagError::TooLong)
    } else {
        Ok(())
    }
}

/// Checks a tag to be stamped on a user: [`check_tag`], and the value after the first
/// `:` (when there is one) is one literal subject token.
///
/// # Errors
/// The first [`TagError`] found.
///
/// # Examples
/// ```
/// use policy::tags::{check_user_tag, TagError};
/// assert!(check_user_tag("team:red").is_ok());
/// assert!(check_user_tag("role:a:b").is_ok());
/// assert!(check_user_tag("team:*").unwrap_err().is_unsafe_value());
/// assert!(check_user_tag("team:a.b").unwrap_err().is_unsafe_value());
/// assert!(check_user_tag("team:").unwrap_err().is_unsafe_value());
/// assert_eq!(check_user_tag("a b"), Err(TagError::Whitespace));
/// ```
pub fn check_user_tag(tag: &str) -> Result<(), TagError> {
    check_tag(tag)?;
    match tag.split_once(':') {
        Some((_, value)) => check_literal_token(value).map_err(TagError::UnsafeValue),
        None => Ok(()),
    }
}

/// Whether two tags are the same tag (ASCII case ignored, as NATS tooling compares).
pub fn same_tag(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// A tag that grants power inside a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    /// The tenant's admin tag (`identity.admin_tag`).
    Admin,
    /// A tag the import requires of callers (`identity.import.require_caller_tags`).
    RequiredCallerTag,
    /// The tag of a conditional grant (`grants[].tag`): its users get more subjects.
    /// Trusted sources (an invite a tenant admin made, a callout credentials entry, an ID
    /// token's tags claim) may carry it; a request may not hand it to its own user.
    Grant,
}

impl Privilege {
    /// What the tag is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Privilege::Admin => "the tenant's admin tag (identity.admin_tag)",
            Privilege::RequiredCallerTag => {
                "a required caller tag (identity.import.require_caller_tags)"
            }
            Privilege::Grant => "the tag of a grant, which adds permissions (grants[].tag)",
        }
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_values_must_be_one_literal_subject_token() {
        for ok in ["team:red", "team", "a.b", "role:a:b", "x:_-9", "site:Ü"] {
            assert_eq!(check_user_tag(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("team:*", TokenError::Wildcard),
            ("team:>", TokenError::Wildcard),
            ("team:a*", TokenError::Wildcard),
            ("team:a.b", TokenError::Separator),
            ("team:a:b.c", TokenError::Separator),
            ("team:", TokenError::Empty),
        ] {
            assert_eq!(
                check_user_tag(bad),
                Err(TagError::UnsafeValue(why)),
                "{bad}"
            );
        }
        assert_eq!(check_user_tag(""), Err(TagError::Empty));
        assert_eq!(check_user_tag("a\tb"), Err(TagError::Whitespace));
        assert_eq!(check_user_tag(&"x".repeat(256)), Err(TagError::TooLong));
        // The shape alone says nothing of the value.
        assert_eq!(check_tag("team:*"), Ok(()));
    }

    #[test]
    fn tags_compare_ignoring_ascii_case() {
        assert!(same_tag("Role:Admin", "role:admin"));
        assert!(!same_tag("role:admins", "role:admin"));
    }
}
