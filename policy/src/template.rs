//! Placeholders and their substitution.
//!
//! Placeholders: `{name}` (the requested user name), `{tenant}` (the tenant's name),
//! `{public_key}` (the user's public key), `{account}` (the tenant account's public key)
//! and `{tag:KEY}` (the value of the caller's tag `KEY:value`, from
//! `Nats-Request-Info`). In a subject template a placeholder must be a whole token; every
//! substituted value must be one literal subject token, so a substitution can never add a
//! token, a wildcard or leave the prefix the template starts with. Tag templates (stamped
//! tags) may hold placeholders anywhere. There is no escape syntax: `{` and `}` appear
//! only around placeholders.

use std::fmt;

use thiserror::Error;

use crate::subject::{SubjectError, TokenError};

mod subject_template;

pub use subject_template::{SubjectTemplate, TemplateToken};

/// A placeholder of a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `{name}`: the user name requested.
    Name,
    /// `{tenant}`: the tenant's name.
    Tenant,
    /// `{public_key}`: the user's public key.
    PublicKey,
    /// `{account}`: the tenant account's public key.
    Account,
    /// `{tag:KEY}`: the value of the caller's tag `KEY:value`.
    Tag(String),
}

impl Placeholder {
    fn parse(inner: &str) -> Result<Self, TemplateError> {
        match inner {
            "name" => Ok(Placeholder::Name),
            "tenant" => Ok(Placeholder::Tenant),
            "public_key" => Ok(Placeholder::PublicKey),
            "account" => Ok(Placeholder::Account),
            _ => match inner.strip_prefix("tag:") {
                Some(key) if is_tag_key(key) => Ok(Placeholder::Tag(key.to_owned())),
                Some(_) => Err(TemplateError::TagKey {
                    placeholder: format!("{{{inner}}}"),
                }),
                None => Err(TemplateError::UnknownPlaceholder {
                    placeholder: format!("{{{inner}}}"),
                }),
            },
        }
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placeholder::Name => f.write_str("{name}"),
            Placeholder::Tenant => f.write_str("{tenant}"),
            Placeholder::PublicKey => f.write_str("{public_key}"),
            Placeholder::Account => f.write_str("{account}"),
            Placeholder::Tag(key) => write!(f, "{{tag:{key}}}"),
        }
    }
}

/// Whether `key` may follow `tag:` in a placeholder: `A-Za-z0-9_-`, not empty.
fn is_tag_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Why a template cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// A `{` without its `}`, or a `}` without its `{`.
    #[error("unbalanced `{{` or `}}`")]
    Unbalanced,
    /// A placeholder this crate does not know.
    #[error("unknown placeholder `{placeholder}` (known: {{name}}, {{tenant}}, {{public_key}}, {{account}}, {{tag:KEY}})")]
    UnknownPlaceholder {
        /// The placeholder as written.
        placeholder: String,
    },
    /// `{tag:…}` with an empty or invalid key.
    #[error("`{placeholder}` needs a tag key of `A-Za-z0-9_-`")]
    TagKey {
        /// The placeholder as written.
        placeholder: String,
    },
    /// A placeholder sharing a subject token with other text.
    #[error("placeholder must be a whole subject token, not part of `{token}`")]
    PartialToken {
        /// The token as written.
        token: String,
    },
    /// The subject itself is invalid.
    #[error("{0}")]
    Subject(SubjectError),
}

/// Why a substitution was refused at evaluation time.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubstitutionError {
    /// The caller carries no tag with the placeholder's key.
    #[error("the caller has no `{key}:` tag")]
    MissingTag {
        /// The tag key.
        key: String,
    },
    /// The caller carries several different tags with the placeholder's key.
    #[error("the caller has several `{key}:` tags")]
    AmbiguousTag {
        /// The tag key.
        key: String,
    },
    /// A value that is not one literal subject token (or not a safe tag part).
    #[error("the value of `{placeholder}` {reason}")]
    Unsafe {
        /// The placeholder.
        placeholder: String,
        /// What is wrong with the value.
        reason: TokenError,
    },
}

/// The values placeholders stand for in one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    /// `{name}`.
    pub name: &'a str,
    /// `{tenant}`.
    pub tenant: &'a str,
    /// `{public_key}`.
    pub public_key: &'a str,
    /// `{account}`.
    pub account: &'a str,
    /// Caller tags, `KEY:value`, for `{tag:KEY}`.
    pub caller_tags: &'a [String],
}

impl Values<'_> {
    pub(crate) fn get(&self, placeholder: &Placeholder) -> Result<&str, SubstitutionError> {
        match placeholder {
            Placeholder::Name => Ok(self.name),
            Placeholder::Tenant => Ok(self.tenant),
            Placeholder::PublicKey => Ok(self.public_key),
            Placeholder::Account => Ok(self.account),
            Placeholder::Tag(key) => caller_tag_value(self.caller_tags, key),
        }
    }
}

/// The value of the caller's `key:value` tag (key compared ignoring ASCII case).
fn caller_tag_value<'t>(tags: &'t [String], key: &str) -> Result<&'t str, SubstitutionError> {
    let mut found: Option<&str> = None;
    for tag in tags {
        let Some((k, v)) = tag.split_once(':') else {
            continue;
        };
        if !k.eq_ignore_ascii_case(key) {
            continue;
        }
        match found {
            Some(prev) if prev != v => {
                return Err(SubstitutionError::AmbiguousTag {
                    key: key.to_owned(),
                })
            }
            _ => found = Some(v),
        }
    }
    found.ok_or_else(|| SubstitutionError::MissingTag {
        key: key.to_owned(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Slot(Placeholder),
}

/// Splits `text` into literal text and placeholders.
pub(crate) fn pieces(text: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        let (before, from) = rest.split_at(open);
        if from.starts_with('}') {
            return Err(TemplateError::Unbalanced);
        }
        let inner_and_rest = from.get(1..).unwrap_or_default();
        let close = inner_and_rest.find('}').ok_or(TemplateError::Unbalanced)?;
        let (inner, after) = inner_and_rest.split_at(close);
        if inner.contains('{') {
            return Err(TemplateError::Unbalanced);
        }
        if !before.is_empty() {
            out.push(Piece::Text(before.to_owned()));
        }
        out.push(Piece::Slot(Placeholder::parse(inner)?));
        rest = after.get(1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    Ok(out)
}

/// A text template, such as a stamped tag `tenant:{tenant}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextTemplate {
    source: String,
    pieces: Vec<Piece>,
}

impl TextTemplate {
    /// Parses `text`.
    ///
    /// # Errors
    /// [`TemplateError`] for unbalanced braces and unknown placeholders.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        Ok(TextTemplate {
            source: text.to_owned(),
            pieces: pieces(text)?,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The placeholders it uses.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Slot(ph) => Some(ph),
            Piece::Text(_) => None,
        })
    }

    /// Fills in the placeholders. Each value must be non-empty, without whitespace or
    /// control characters.
    ///
    /// # Errors
    /// [`SubstitutionError`] for a missing caller tag or an unsafe value.
    pub fn expand(&self, values: &Values<'_>) -> Result<String, SubstitutionError> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Slot(ph) => {
                    let value = values.get(ph)?;
                    let unsafe_value = |reason| SubstitutionError::Unsafe {
                        placeholder: ph.to_string(),
                        reason,
                    };
                    if value.is_empty() {
                        return Err(unsafe_value(TokenError::Empty));
                    }
                    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                        return Err(unsafe_value(TokenError::Whitespace));
                    }
                    out.push_str(value);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(tags: &[String]) -> Values<'_> {
        Values {
            name: "alice",
            tenant: "acme",
            public_key: "UKEY",
            account: "AKEY",
            caller_tags: tags,
        }
    }

    #[test]
    fn text_templates() {
        let tags: Vec<String> = Vec::new();
        let t = TextTemplate::parse("tenant:{tenant}/{name}").unwrap();
        assert_eq!(t.expand(&values(&tags)).unwrap(), "tenant:acme/alice");
        let mut v = values(&tags);
        v.name = "a b";
        assert!(t.expand(&v).is_err());
        assert!(TextTemplate::parse("{x}").is_err());
        assert!(TextTemplate::parse("plain")
            .unwrap()
            .placeholders()
            .next()
            .is_none());
    }
}
