//! Subject rules as Go's `Subject`, `RenamingSubject` and `checkPermission` apply them:
//! syntax (empty, spaces, edge and doubled dots), permission entries with queue names,
//! `local_subject` renaming with `$n` references, and the wildcard helpers the export and
//! import rules use (`HasWildCards`, `IsContainedIn`).
//!
//! Not a full NATS subject grammar: like Go, it does not check where `*` and `>` stand or
//! which characters a token holds; the server does that.

use super::ValidationError;

/// Go's `Subject.Validate`: empty, spaces, leading or trailing `.`, `..`.
pub(crate) fn check_subject(subject: &str, errors: &mut Vec<ValidationError>) {
    if subject.is_empty() {
        // Nothing else is worth saying about an empty subject.
        errors.push(ValidationError::EmptySubject);
        return;
    }
    if subject.contains(' ') {
        errors.push(ValidationError::SubjectSpaces(subject.to_owned()));
    }
    if subject.starts_with('.') || subject.ends_with('.') {
        errors.push(ValidationError::SubjectEdgeDot(subject.to_owned()));
    }
    if subject.contains("..") {
        errors.push(ValidationError::SubjectConsecutiveDots(subject.to_owned()));
    }
}

/// Go's `checkPermission`: `subject` or `subject queue`; the queue form only where
/// `queue_allowed` (subscribe lists).
pub(crate) fn check_permission_subject(
    entry: &str,
    queue_allowed: bool,
    errors: &mut Vec<ValidationError>,
) {
    let parts: Vec<&str> = entry.split(' ').collect();
    match parts.as_slice() {
        [subject] => check_subject(subject, errors),
        [subject, queue] => {
            check_subject(subject, errors);
            check_subject(queue, errors);
            if !queue_allowed {
                errors.push(ValidationError::QueueNotAllowed(entry.to_owned()));
            }
        }
        _ => errors.push(ValidationError::PermissionSpaces(entry.to_owned())),
    }
}

/// Go's `Subject.HasWildCards`: a `*` or `>` token (as Go spots them).
pub(crate) fn has_wildcards(subject: &str) -> bool {
    subject.ends_with(".>")
        || subject.contains(".*.")
        || subject.ends_with(".*")
        || subject.starts_with("*.")
        || subject == "*"
        || subject == ">"
}

/// Go's `Subject.IsContainedIn`: whether every message on `subject` also matches `other`.
pub(crate) fn is_contained_in(subject: &str, other: &str) -> bool {
    let other_tokens: Vec<&str> = other.split('.').collect();
    let my_tokens: Vec<&str> = subject.split('.').collect();
    let other_ends_in_gt = other_tokens.last() == Some(&">");
    if my_tokens.len() > other_tokens.len() && !other_ends_in_gt {
        return false;
    }
    if my_tokens.len() < other_tokens.len() {
        return false;
    }
    let last = other_tokens.len().saturating_sub(1);
    for (index, (token, mine)) in other_tokens.iter().zip(&my_tokens).enumerate() {
        if index == last && *token == ">" {
            return true;
        }
        if token != mine && *token != "*" {
            return false;
        }
    }
    true
}

/// Go's `Subject.countTokenWildcards`: the number of `*` tokens.
fn count_star_tokens(subject: &str) -> i64 {
    let count = subject.split('.').filter(|t| *t == "*").count();
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Go's `strconv.Atoi` for the `$n` references: an optional sign and decimal digits that
/// fit an `i64`.
pub(crate) fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok()
}

/// The reference number of a `$n` token, if it is one.
fn reference(token: &str) -> Option<i64> {
    let rest = token.strip_prefix('$')?;
    if rest.is_empty() {
        return None;
    }
    go_atoi(rest)
}

/// Go's `RenamingSubject.Validate`: `local_subject` must be a subject, end in `>` exactly
/// when `subject` does, and use each `*` of `subject` once, as `*` or as `$n`.
pub(crate) fn check_renaming(
    local_subject: &str,
    subject: &str,
    errors: &mut Vec<ValidationError>,
) {
    check_subject(local_subject, errors);
    if subject.is_empty() {
        errors.push(ValidationError::EmptySubject);
    }
    // Go reports spaces here a second time, after `Subject.Validate` did.
    if local_subject.contains(' ') {
        errors.push(ValidationError::SubjectSpaces(local_subject.to_owned()));
    }
    let ends_in_gt = |s: &str| s == ">" || s.ends_with(".>");
    if ends_in_gt(local_subject) != ends_in_gt(subject) {
        errors.push(ValidationError::RenamingSuffix {
            subject: subject.to_owned(),
            local_subject: local_subject.to_owned(),
        });
    }
    let wildcards = count_star_tokens(subject);
    let mut used = 0;
    for token in local_subject.split('.') {
        if token == "*" {
            used += 1;
        }
        if let Some(n) = reference(token) {
            if n > wildcards {
                errors.push(ValidationError::RenamingReference {
                    subject: subject.to_owned(),
                    local_subject: local_subject.to_owned(),
                    reference: n,
                });
            } else {
                used += 1;
            }
        }
    }
    if used != wildcards {
        errors.push(ValidationError::RenamingWildcards {
            subject: subject.to_owned(),
            local_subject: local_subject.to_owned(),
        });
    }
}

/// Go's `RenamingSubject.ToSubject`: `$n` references become `*`.
pub(crate) fn renaming_to_subject(local_subject: &str) -> String {
    local_subject
        .split('.')
        .map(|token| {
            if reference(token).is_some() {
                "*"
            } else {
                token
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject_errors(subject: &str) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        check_subject(subject, &mut errors);
        errors
    }

    fn permission_errors(entry: &str, queue_allowed: bool) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        check_permission_subject(entry, queue_allowed, &mut errors);
        errors
    }

    fn renaming_errors(local: &str, subject: &str) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        check_renaming(local, subject, &mut errors);
        errors
    }

    #[test]
    fn good_subjects_pass() {
        for s in ["a", "a.b", "*", ">", "a.*.c", "a.>", "$SYS.REQ.USER.AUTH"] {
            assert!(subject_errors(s).is_empty(), "{s}");
        }
        assert!(permission_errors("a.b q", true).is_empty());
    }

    #[test]
    fn empty_subject() {
        assert!(matches!(
            subject_errors("").as_slice(),
            [ValidationError::EmptySubject]
        ));
    }

    #[test]
    fn subject_with_spaces() {
        assert!(matches!(
            subject_errors("a b").as_slice(),
            [ValidationError::SubjectSpaces(_)]
        ));
    }

    #[test]
    fn subject_with_edge_dots() {
        for s in [".a", "a."] {
            assert!(matches!(
                subject_errors(s).as_slice(),
                [ValidationError::SubjectEdgeDot(_)]
            ));
        }
    }

    #[test]
    fn subject_with_consecutive_dots() {
        assert!(matches!(
            subject_errors("a..b").as_slice(),
            [ValidationError::SubjectConsecutiveDots(_)]
        ));
    }

    #[test]
    fn queue_only_in_subscriptions() {
        assert!(matches!(
            permission_errors("a q", false).as_slice(),
            [ValidationError::QueueNotAllowed(_)]
        ));
    }

    #[test]
    fn permission_with_too_many_spaces() {
        assert!(matches!(
            permission_errors("a b c", true).as_slice(),
            [ValidationError::PermissionSpaces(_)]
        ));
    }

    #[test]
    fn renaming_rules() {
        assert!(renaming_errors("x.$1.>", "a.*.>").is_empty());
        assert!(renaming_errors("x.*", "a.*").is_empty());
        assert!(matches!(
            renaming_errors("x.*", "a.>").as_slice(),
            [
                ValidationError::RenamingSuffix { .. },
                ValidationError::RenamingWildcards { .. }
            ]
        ));
        assert!(matches!(
            renaming_errors("x.$2", "a.*").as_slice(),
            [
                ValidationError::RenamingReference { reference: 2, .. },
                ValidationError::RenamingWildcards { .. }
            ]
        ));
        assert!(matches!(
            renaming_errors("x", "a.*").as_slice(),
            [ValidationError::RenamingWildcards { .. }]
        ));
        assert!(matches!(
            renaming_errors("x y", "").as_slice(),
            [
                ValidationError::SubjectSpaces(_),
                ValidationError::EmptySubject,
                ValidationError::SubjectSpaces(_)
            ]
        ));
        assert_eq!(renaming_to_subject("x.$1.$+2.$.y"), "x.*.*.$.y");
    }

    #[test]
    fn wildcard_helpers_follow_go() {
        assert!(has_wildcards("a.*"));
        assert!(has_wildcards("*.a"));
        assert!(has_wildcards("a.*.b"));
        assert!(has_wildcards(">"));
        assert!(!has_wildcards("a*.b"));
        assert!(!has_wildcards("a.b"));
        assert!(is_contained_in("a.b", "a.*"));
        assert!(is_contained_in("a.b.c", "a.>"));
        assert!(is_contained_in("a.b", "a.b"));
        assert!(!is_contained_in("a.>", "a.b"));
        assert!(!is_contained_in("a", "a.b"));
        assert!(!is_contained_in("a.b.c", "a.*"));
        assert_eq!(go_atoi("+12"), Some(12));
        assert_eq!(go_atoi("-1"), Some(-1));
        assert_eq!(go_atoi("1x"), None);
        assert_eq!(go_atoi("-"), None);
    }

    #[test]
    fn display_texts_are_pinned() {
        let s = || String::from("a b");
        let cases = [
            (ValidationError::EmptySubject, "subject cannot be empty"),
            (
                ValidationError::SubjectSpaces(s()),
                "subject `a b` cannot contain spaces",
            ),
            (
                ValidationError::SubjectEdgeDot(".a".into()),
                "subject `.a` cannot start or end with `.`",
            ),
            (
                ValidationError::SubjectConsecutiveDots("a..b".into()),
                "subject `a..b` cannot contain consecutive `.`",
            ),
            (
                ValidationError::QueueNotAllowed(s()),
                "permission subject `a b` may not carry a queue name",
            ),
            (
                ValidationError::PermissionSpaces("a b c".into()),
                "permission subject `a b c` contains too many spaces",
            ),
            (
                ValidationError::RenamingSuffix {
                    subject: "a.>".into(),
                    local_subject: "b".into(),
                },
                "local subject `b` and subject `a.>` must both end in `>` or neither",
            ),
            (
                ValidationError::RenamingReference {
                    subject: "a.*".into(),
                    local_subject: "b.$2".into(),
                    reference: 2,
                },
                "reference `$2` in `b.$2` has no matching `*` in `a.*`",
            ),
            (
                ValidationError::RenamingWildcards {
                    subject: "a.*".into(),
                    local_subject: "b".into(),
                },
                "local subject `b` does not use every `*` of `a.*` (as `*` or `$n`)",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
