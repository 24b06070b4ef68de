//! Placeholders: what each stands for, the values they take in one evaluation, and
//! where they sit in a template's text.

use std::fmt;

use super::error::{SubstitutionError, TemplateError};

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
pub(super) enum Piece {
    Text(String),
    Slot(Placeholder),
}

/// Splits `text` into literal text and placeholders.
pub(super) fn pieces(text: &str) -> Result<Vec<Piece>, TemplateError> {
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
