//! NATS subject and token checks.
//!
//! A subject is tokens joined by `.`; `*` matches one token and `>` the rest. Values put
//! into subjects (names, tenants, tags, keys) must each be one *literal* token so that no
//! request can widen a permission or leave its tenant's namespace. This module only
//! checks strings; templates and namespaces build on it.

use thiserror::Error;

/// The token separator.
pub const SEPARATOR: char = '.';
/// The single-token wildcard.
pub const WILDCARD: &str = "*";
/// The trailing multi-token wildcard.
pub const FULL_WILDCARD: &str = ">";
/// First token of reply inboxes; `_INBOX.…` subjects are allowed in every tenant.
pub const INBOX_PREFIX: &str = "_INBOX";
/// First token of the system account's subjects; never granted.
pub const SYS_PREFIX: &str = "$SYS";

/// Why a value is not one literal subject token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TokenError {
    /// The value is empty.
    #[error("is empty")]
    Empty,
    /// The value contains `.`, which would split it into several tokens.
    #[error("contains `.`")]
    Separator,
    /// The value contains `*` or `>`, which would widen the subject.
    #[error("contains a wildcard (`*` or `>`)")]
    Wildcard,
    /// The value contains whitespace or a control character.
    #[error("contains whitespace or a control character")]
    Whitespace,
}

/// Checks that `value` is exactly one literal subject token: not empty, no `.`, `*`,
/// `>`, whitespace or control characters.
///
/// # Errors
/// The first [`TokenError`] found.
///
/// # Examples
/// ```
/// use policy::subject::{check_literal_token, TokenError};
/// assert!(check_literal_token("alice").is_ok());
/// assert_eq!(check_literal_token("a.b"), Err(TokenError::Separator));
/// assert_eq!(check_literal_token(">"), Err(TokenError::Wildcard));
/// assert_eq!(check_literal_token(""), Err(TokenError::Empty));
/// ```
pub fn check_literal_token(value: &str) -> Result<(), TokenError> {
    if value.is_empty() {
        return Err(TokenError::Empty);
    }
    for c in value.chars() {
        if c == SEPARATOR {
            return Err(TokenError::Separator);
        }
        if c == '*' || c == '>' {
            return Err(TokenError::Wildcard);
        }
        if c.is_whitespace() || c.is_control() {
            return Err(TokenError::Whitespace);
        }
    }
    Ok(())
}

/// Whether `value` is exactly one literal subject token.
pub fn is_literal_token(value: &str) -> bool {
    check_literal_token(value).is_ok()
}

/// Why a string is not a valid subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SubjectError {
    /// The subject is empty.
    #[error("subject is empty")]
    Empty,
    /// A token is empty (`a..b`, a leading or trailing `.`).
    #[error("subject has an empty token")]
    EmptyToken,
    /// `*` or `>` is part of a longer token.
    #[error("a wildcard must be a whole token")]
    PartialWildcard,
    /// `>` is not the last token.
    #[error("`>` must be the last token")]
    FullWildcardNotLast,
    /// A wildcard where only literal subjects are allowed.
    #[error("wildcards are not allowed here")]
    Wildcard,
    /// Whitespace or a control character.
    #[error("subject contains whitespace or a control character")]
    Whitespace,
}

/// Checks a subject that may contain wildcards as whole tokens (`>` only last).
///
/// # Errors
/// The first [`SubjectError`] found.
pub fn check_subject(subject: &str) -> Result<(), SubjectError> {
    check(subject, true)
}

/// Checks a subject with no wildcards, such as a namespace prefix.
///
/// # Errors
/// The first [`SubjectError`] found.
pub fn check_literal_subject(subject: &str) -> Result<(), SubjectError> {
    check(subject, false)
}

fn check(subject: &str, wildcards: bool) -> Result<(), SubjectError> {
    if subject.is_empty() {
        return Err(SubjectError::Empty);
    }
    let mut tokens = subject.split(SEPARATOR).peekable();
    while let Some(token) = tokens.next() {
        match check_literal_token(token) {
            Ok(()) => {}
            Err(TokenError::Empty) => return Err(SubjectError::EmptyToken),
            Err(TokenError::Whitespace) => return Err(SubjectError::Whitespace),
            Err(TokenError::Separator) => return Err(SubjectError::EmptyToken),
            Err(TokenError::Wildcard) => {
                if token != WILDCARD && token != FULL_WILDCARD {
                    return Err(SubjectError::PartialWildcard);
                }
                if !wildcards {
                    return Err(SubjectError::Wildcard);
                }
                if token == FULL_WILDCARD && tokens.peek().is_some() {
                    return Err(SubjectError::FullWildcardNotLast);
                }
            }
        }
    }
    Ok(())
}

/// Whether the first tokens of `subject` are exactly the literal tokens of `prefix`
/// (`chat.KUBECON.online` is within `chat.KUBECON`; `chat.KUBECONX` and `chat.*` are not).
pub fn is_within(subject: &str, prefix: &str) -> bool {
    let mut subject = subject.split(SEPARATOR);
    prefix.split(SEPARATOR).all(|want| {
        subject
            .next()
            .is_some_and(|have| have == want && is_literal_token(have))
    })
}

/// Whether `subject` is a system account subject (its first token is `$SYS`).
pub fn is_sys(subject: &str) -> bool {
    subject.split(SEPARATOR).next() == Some(SYS_PREFIX)
}

/// The number of wildcard tokens (`*` and `>`) in `subject`.
pub fn wildcard_count(subject: &str) -> usize {
    subject
        .split(SEPARATOR)
        .filter(|t| *t == WILDCARD || *t == FULL_WILDCARD)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_tokens() {
        let cases: &[(&str, Result<(), TokenError>)] = &[
            ("alice", Ok(())),
            ("UABC123", Ok(())),
            ("é", Ok(())),
            ("$x", Ok(())),
            ("", Err(TokenError::Empty)),
            ("a.b", Err(TokenError::Separator)),
            (".", Err(TokenError::Separator)),
            ("*", Err(TokenError::Wildcard)),
            ("a>", Err(TokenError::Wildcard)),
            ("a b", Err(TokenError::Whitespace)),
            ("a\tb", Err(TokenError::Whitespace)),
            ("a\u{0}", Err(TokenError::Whitespace)),
            ("a\u{a0}", Err(TokenError::Whitespace)),
            ("\u{2028}", Err(TokenError::Whitespace)),
        ];
        for (value, want) in cases {
            assert_eq!(check_literal_token(value), *want, "{value:?}");
        }
    }

    #[test]
    fn subjects() {
        type Case = (
            &'static str,
            Result<(), SubjectError>,
            Result<(), SubjectError>,
        );
        let cases: &[Case] = &[
            ("a.b.c", Ok(()), Ok(())),
            ("a.*.c", Ok(()), Err(SubjectError::Wildcard)),
            ("a.>", Ok(()), Err(SubjectError::Wildcard)),
            (">", Ok(()), Err(SubjectError::Wildcard)),
            (
                "a.>.b",
                Err(SubjectError::FullWildcardNotLast),
                Err(SubjectError::Wildcard),
            ),
            (
                "a.b*",
                Err(SubjectError::PartialWildcard),
                Err(SubjectError::PartialWildcard),
            ),
            ("", Err(SubjectError::Empty), Err(SubjectError::Empty)),
            (
                "a..b",
                Err(SubjectError::EmptyToken),
                Err(SubjectError::EmptyToken),
            ),
            (
                "a.",
                Err(SubjectError::EmptyToken),
                Err(SubjectError::EmptyToken),
            ),
            (
                "a b",
                Err(SubjectError::Whitespace),
                Err(SubjectError::Whitespace),
            ),
        ];
        for (subject, any, literal) in cases {
            assert_eq!(check_subject(subject), *any, "{subject:?}");
            assert_eq!(check_literal_subject(subject), *literal, "{subject:?}");
        }
    }

    #[test]
    fn prefixes() {
        assert!(is_within("chat.KUBECON.online", "chat.KUBECON"));
        assert!(is_within("chat.KUBECON", "chat.KUBECON"));
        assert!(is_within("chat.KUBECON.>", "chat.KUBECON"));
        assert!(!is_within("chat.KUBECONX.a", "chat.KUBECON"));
        assert!(!is_within("chat", "chat.KUBECON"));
        assert!(!is_within("chat.*.a", "chat.KUBECON"));
        assert!(!is_within(">", "chat"));
        assert!(is_sys("$SYS.REQ.x"));
        assert!(!is_sys("a.$SYS"));
        assert_eq!(wildcard_count("a.*.b.>"), 2);
    }
}
