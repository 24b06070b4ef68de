//! Reading policy text: TOML to [`PolicyFile`] to a checked [`Policy`], with every
//! problem placed by schema path and by line and column.
//!
//! The schema rejects unknown keys one at a time (serde stops at the first), so each
//! unknown key found is recorded and removed from the parsed tree and deserialization
//! retried, until the rest reads cleanly or another kind of error stops it. Nothing here
//! touches the filesystem: the caller hands in the text.

use std::ops::Range;

use serde::Deserialize;
use toml::de::{DeTable, DeValue, Deserializer};
use toml::Spanned;

use crate::error::{PolicyError, PolicyErrors, Problem};
use crate::path::{Location, Path, Segment};
use crate::policy::Policy;
use crate::schema::PolicyFile;
use crate::validate;

/// The most unknown keys reported before giving up on a file.
pub const MAX_UNKNOWN_KEYS: usize = 100;

type Tree<'i> = Spanned<DeTable<'i>>;

impl Policy {
    /// Parses and checks a policy file's text.
    ///
    /// # Errors
    /// [`PolicyErrors`] listing every problem with its place (`tenants[1].ttl.max_secs`)
    /// and, where known, its line and column: TOML syntax, unknown keys, wrong types,
    /// and every load-time validation failure.
    ///
    /// # Examples
    /// ```
    /// let text = r#"
    ///     version = 1
    ///     [[tenants]]
    ///     name = "acme"
    ///     account = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y"
    ///     namespace = "tenant.acme"
    ///     signing_key = { path = "/keys/acme.nk" }
    ///     identity.import.enabled = true
    ///     permissions.pub.allow = ["tenant.acme.{name}.>"]
    ///     permissions.sub.allow = ["tenant.acme.{name}.>", "_INBOX.{name}.>"]
    /// "#;
    /// let policy = policy::Policy::from_toml_str(text).unwrap();
    /// assert_eq!(policy.tenants()[0].namespace(), "tenant.acme");
    ///
    /// let errors = policy::Policy::from_toml_str(&text.replace("pub.allow", "pub.allw"))
    ///     .unwrap_err();
    /// let shown: Vec<String> = errors.problems().iter().map(|p| p.to_string()).collect();
    /// assert!(shown.contains(&"tenants[0].permissions.pub.allw (line 9, column 21): \
    ///     unknown key `allw`, expected `allow` or `deny`".to_owned()));
    /// // Without the key, the allow list is empty: also a problem, listed too.
    /// assert_eq!(errors.len(), 2);
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyErrors> {
        from_toml_str(text)
    }
}

/// Parses, deserializes and validates `text`.
fn from_toml_str(text: &str) -> Result<Policy, PolicyErrors> {
    let tree = DeTable::parse(text).map_err(|err| {
        let location = err.span().map(|s| Location::of_offset(text, s.start));
        PolicyErrors::new(vec![Problem {
            path: Path::root(),
            location,
            error: PolicyError::Syntax {
                message: one_line(err.message()),
            },
        }])
    })?;
    let (file, mut problems) = deserialize(text, &tree);
    if let Some(file) = file {
        match validate::validate(file) {
            Ok(policy) if problems.is_empty() => return Ok(policy),
            Ok(_) => {}
            Err(errors) => problems.extend(errors.into_iter().map(|mut problem| {
                problem.location =
                    locate(&tree, &problem.path).map(|at| Location::of_offset(text, at));
                problem
            })),
        }
    }
    // File order; problems with no place in the text last.
    problems.sort_by_key(|p| p.location.map_or((usize::MAX, 0), |l| (l.line, l.column)));
    Err(PolicyErrors::new(problems))
}

/// The file with unknown keys removed (when the rest reads), and the problems found.
fn deserialize(text: &str, tree: &Tree<'_>) -> (Option<PolicyFile>, Vec<Problem>) {
    let mut work = tree.clone();
    let mut problems = Vec::new();
    while problems.len() < MAX_UNKNOWN_KEYS {
        let err = match PolicyFile::deserialize(Deserializer::from(work.clone())) {
            Ok(file) => return (Some(file), problems),
            Err(err) => err,
        };
        let message = one_line(err.message());
        let hit = err.span().and_then(|span| find(work.get_ref(), &span));
        let location = err.span().map(|s| Location::of_offset(text, s.start));
        match hit {
            Some(hit) if hit.key && message.starts_with("unknown field") => {
                let key = match hit.path.last() {
                    Some(Segment::Key(key)) => key.clone(),
                    _ => String::new(),
                };
                let expected = message
                    .find("`, ")
                    .and_then(|at| message.get(at + 1..))
                    .unwrap_or_default()
                    .to_owned();
                let removed = remove_in_table(work.get_mut(), &hit.path);
                problems.push(Problem {
                    path: Path::from(hit.path),
                    location,
                    error: PolicyError::UnknownKey { key, expected },
                });
                if !removed {
                    break;
                }
            }
            hit => {
                problems.push(Problem {
                    path: hit.map(|h| Path::from(h.path)).unwrap_or_default(),
                    location,
                    error: PolicyError::InvalidValue { message },
                });
                break;
            }
        }
    }
    (None, problems)
}

/// Parser messages may span lines; problems are one line each.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The place in the tree an error span points at.
struct Hit {
    path: Vec<Segment>,
    /// The span is a key's (not a value's).
    key: bool,
    len: usize,
}

/// The key whose span is `target`, else the innermost value containing it.
fn find(table: &DeTable<'_>, target: &Range<usize>) -> Option<Hit> {
    let mut best = None;
    let mut path = Vec::new();
    walk_table(table, target, &mut path, &mut best);
    best
}

/// Returns `true` when an exact key match was found (the search stops).
fn walk_table(
    table: &DeTable<'_>,
    target: &Range<usize>,
    path: &mut Vec<Segment>,
    best: &mut Option<Hit>,
) -> bool {
    for (key, value) in table.iter() {
        path.push(Segment::Key(key.get_ref().to_string()));
        if key.span() == *target {
            *best = Some(Hit {
                path: path.clone(),
                key: true,
                len: 0,
            });
            return true;
        }
        if walk_value(value, target, path, best) {
            return true;
        }
        path.pop();
    }
    false
}

fn walk_value(
    value: &Spanned<DeValue<'_>>,
    target: &Range<usize>,
    path: &mut Vec<Segment>,
    best: &mut Option<Hit>,
) -> bool {
    let span = value.span();
    if span.start <= target.start && target.end <= span.end {
        let len = span.end - span.start;
        if best.as_ref().is_none_or(|b| b.key || len <= b.len) {
            *best = Some(Hit {
                path: path.clone(),
                key: false,
                len,
            });
        }
    }
    match value.get_ref() {
        DeValue::Table(table) => walk_table(table, target, path, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                if walk_value(item, target, path, best) {
                    return true;
                }
                path.pop();
            }
            false
        }
        _ => false,
    }
}

fn remove_in_table(table: &mut DeTable<'_>, path: &[Segment]) -> bool {
    match path {
        [Segment::Key(key)] => table.remove(key.as_str()).is_some(),
        [Segment::Key(key), rest @ ..] => table
            .get_mut(key.as_str())
            .is_some_and(|value| remove_in_value(value.get_mut(), rest)),
        _ => false,
    }
}

fn remove_in_value(value: &mut DeValue<'_>, path: &[Segment]) -> bool {
    match (value, path) {
        (DeValue::Table(table), _) => remove_in_table(table, path),
        (DeValue::Array(items), [Segment::Index(i), rest @ ..]) => items
            .get_mut(*i)
            .is_some_and(|item| remove_in_value(item.get_mut(), rest)),
        _ => false,
    }
}

/// Byte offset of `path` in the text: its key, or its deepest written ancestor.
fn locate(tree: &Tree<'_>, path: &Path) -> Option<usize> {
    let mut at = None;
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for segment in path.segments() {
        let next = match (segment, value.map(Spanned::get_ref)) {
            (Segment::Key(key), None) => tree.get_ref().get_key_value(key.as_str()),
            (Segment::Key(key), Some(DeValue::Table(table))) => table.get_key_value(key.as_str()),
            (Segment::Index(i), Some(DeValue::Array(items))) => {
                let item = items.get(*i);
                at = item.map(|v| v.span().start).or(at);
                value = item;
                if item.is_none() {
                    break;
                }
                continue;
            }
            _ => None,
        };
        let Some((key, inner)) = next else {
            break;
        };
        at = Some(key.span().start);
        value = Some(inner);
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOP: &str = "version = 1\n";

    #[test]
    fn every_unknown_key_is_named_with_its_place() {
        let text = format!(
            "{TOP}colour = 1\n[[tenants]]\nname = \"a\"\nnmae = \"b\"\naccount = \"x\"\n\
             namespace = \"t\"\nsigning_key.path = \"k\"\n[tenants.permissions]\npub.allw = []\n"
        );
        let errors = from_toml_str(&text).unwrap_err();
        let got: Vec<(String, Option<usize>)> = errors
            .problems()
            .iter()
            .filter(|p| matches!(p.error, PolicyError::UnknownKey { .. }))
            .map(|p| (p.path.to_string(), p.location.map(|l| l.line)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("colour".to_owned(), Some(2)),
                ("tenants[0].nmae".to_owned(), Some(5)),
                ("tenants[0].permissions.pub.allw".to_owned(), Some(10)),
            ]
        );
        let allw = errors
            .problems()
            .iter()
            .find(|p| p.path.to_string().ends_with("allw"));
        let shown = allw.unwrap().to_string();
        assert!(
            shown.contains("unknown key `allw`, expected `allow` or `deny`"),
            "{shown}"
        );
        // The rest of the file is still validated.
        let account = errors
            .problems()
            .iter()
            .find(|p| matches!(p.error, PolicyError::NotAccountKey { .. }));
        assert_eq!(
            account.map(|p| p.path.to_string()).as_deref(),
            Some("tenants[0].account")
        );
    }

    #[test]
    fn wrong_types_and_syntax_are_placed() {
        let text = format!("{TOP}[[tenants]]\nname = 5\n");
        let errors = from_toml_str(&text).unwrap_err();
        let p = &errors.problems()[0];
        assert!(matches!(p.error, PolicyError::InvalidValue { .. }), "{p}");
        assert_eq!(p.path.to_string(), "tenants[0].name");
        assert_eq!(p.location.map(|l| l.line), Some(3));

        let errors = from_toml_str("version = \n").unwrap_err();
        assert!(matches!(
            errors.problems()[0].error,
            PolicyError::Syntax { .. }
        ));
        assert_eq!(errors.problems()[0].location.map(|l| l.line), Some(1));

        let errors = from_toml_str("").unwrap_err();
        assert!(matches!(
            errors.problems()[0].error,
            PolicyError::InvalidValue { .. }
        ));
    }

    #[test]
    fn validation_problems_get_lines() {
        let text = format!(
            "{TOP}[[tenants]]\nname = \"a\"\naccount = \"nope\"\nnamespace = \"t.a\"\n\
             signing_key = {{ path = \"k\" }}\n"
        );
        let errors = from_toml_str(&text).unwrap_err();
        let account = errors
            .problems()
            .iter()
            .find(|p| matches!(p.error, PolicyError::NotAccountKey { .. }))
            .unwrap();
        assert_eq!(account.path.to_string(), "tenants[0].account");
        assert_eq!(account.location.map(|l| l.line), Some(4));
        // Not written: placed at the deepest ancestor that is.
        let identity = errors
            .problems()
            .iter()
            .find(|p| matches!(p.error, PolicyError::NoIdentitySource))
            .unwrap();
        assert_eq!(identity.path.to_string(), "tenants[0].identity");
        assert_eq!(identity.location.map(|l| l.line), Some(2));
    }
}
