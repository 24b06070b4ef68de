//! Subject templates: subjects whose tokens are literals, wildcards or one whole
//! placeholder each, and their expansion into concrete subjects.
//!
//! Expansion admits only single literal tokens for placeholders, so an expansion has
//! exactly the template's token count, literal prefix and wildcards.

use super::error::{SubstitutionError, TemplateError};
use super::placeholder::{pieces, Piece, Placeholder, Values};
use crate::subject;

/// One token of a subject template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateToken {
    /// A literal token.
    Literal(String),
    /// `*`.
    Wildcard,
    /// `>`.
    FullWildcard,
    /// A placeholder filling the whole token.
    Slot(Placeholder),
}

/// A subject template, such as `chat.KUBECON.dms.{public_key}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTemplate {
    source: String,
    tokens: Vec<TemplateToken>,
}

impl SubjectTemplate {
    /// Parses `subject`: a valid subject whose tokens are literals, wildcards or one
    /// whole placeholder each.
    ///
    /// # Errors
    /// [`TemplateError`] for invalid subjects, partial-token or unknown placeholders.
    pub fn parse(subject: &str) -> Result<Self, TemplateError> {
        // Check the shape with every placeholder token replaced by a literal stand-in.
        let mut tokens = Vec::new();
        let mut shape = Vec::new();
        for token in subject.split(subject::SEPARATOR) {
            let parsed = match pieces(token)?.as_slice() {
                [Piece::Slot(ph)] => TemplateToken::Slot(ph.clone()),
                parts if parts.iter().any(|p| matches!(p, Piece::Slot(_))) => {
                    return Err(TemplateError::PartialToken {
                        token: token.to_owned(),
                    })
                }
                _ if token == subject::WILDCARD => TemplateToken::Wildcard,
                _ if token == subject::FULL_WILDCARD => TemplateToken::FullWildcard,
                _ => TemplateToken::Literal(token.to_owned()),
            };
            shape.push(match parsed {
                TemplateToken::Slot(_) => "x",
                _ => token,
            });
            tokens.push(parsed);
        }
        subject::check_subject(&shape.join(".")).map_err(TemplateError::Subject)?;
        Ok(SubjectTemplate {
            source: subject.to_owned(),
            tokens,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The tokens.
    pub fn tokens(&self) -> &[TemplateToken] {
        &self.tokens
    }

    /// The placeholders it uses.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.tokens.iter().filter_map(|t| match t {
            TemplateToken::Slot(ph) => Some(ph),
            _ => None,
        })
    }

    /// Whether the template's first tokens are the literal tokens of `prefix`, so every
    /// expansion lies within `prefix`.
    pub fn is_within(&self, prefix: &str) -> bool {
        let mut tokens = self.tokens.iter();
        prefix
            .split(subject::SEPARATOR)
            .all(|want| matches!(tokens.next(), Some(TemplateToken::Literal(have)) if have == want))
    }

    /// Fills in the placeholders; each value must be one literal subject token.
    ///
    /// # Errors
    /// [`SubstitutionError`] for a missing caller tag or an unsafe value.
    pub fn expand(&self, values: &Values<'_>) -> Result<String, SubstitutionError> {
        let mut parts: Vec<&str> = Vec::with_capacity(self.tokens.len());
        for token in &self.tokens {
            parts.push(match token {
                TemplateToken::Literal(text) => text,
                TemplateToken::Wildcard => subject::WILDCARD,
                TemplateToken::FullWildcard => subject::FULL_WILDCARD,
                TemplateToken::Slot(ph) => {
                    let value = values.get(ph)?;
                    // INVARIANT: one literal token per placeholder keeps the expansion's
                    // token count, prefix and wildcards exactly the template's.
                    subject::check_literal_token(value).map_err(|reason| {
                        SubstitutionError::Unsafe {
                            placeholder: ph.to_string(),
                            reason,
                        }
                    })?;
                    value
                }
            });
        }
        Ok(parts.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subject::{SubjectError, TokenError};

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
    fn subject_templates_parse_or_refuse() {
        let ok = SubjectTemplate::parse("t.{tenant}.u.{name}.*.>").unwrap();
        assert_eq!(ok.placeholders().count(), 2);
        let cases: &[(&str, TemplateError)] = &[
            (
                "a.x{name}",
                TemplateError::PartialToken {
                    token: "x{name}".into(),
                },
            ),
            (
                "a.{name}{tenant}",
                TemplateError::PartialToken {
                    token: "{name}{tenant}".into(),
                },
            ),
            (
                "a.{nope}",
                TemplateError::UnknownPlaceholder {
                    placeholder: "{nope}".into(),
                },
            ),
            (
                "a.{tag:}",
                TemplateError::TagKey {
                    placeholder: "{tag:}".into(),
                },
            ),
            ("a.{tag:a.b}", TemplateError::Unbalanced),
            ("a.{name", TemplateError::Unbalanced),
            ("a.name}", TemplateError::Unbalanced),
            ("a.{{name}}", TemplateError::Unbalanced),
            ("a..b", TemplateError::Subject(SubjectError::EmptyToken)),
            (
                "a.>.{name}",
                TemplateError::Subject(SubjectError::FullWildcardNotLast),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(SubjectTemplate::parse(text).unwrap_err(), *want, "{text}");
        }
    }

    #[test]
    fn expansion_fills_whole_tokens_only() {
        let tags = vec!["role:admin".to_owned(), "site:ber".to_owned()];
        let t = SubjectTemplate::parse("t.{tenant}.{tag:site}.{name}.{public_key}").unwrap();
        assert_eq!(t.expand(&values(&tags)).unwrap(), "t.acme.ber.alice.UKEY");
        let mut bad = values(&tags);
        bad.name = "a.b";
        assert!(matches!(
            t.expand(&bad),
            Err(SubstitutionError::Unsafe {
                reason: TokenError::Separator,
                ..
            })
        ));
        bad.name = "";
        assert!(matches!(
            t.expand(&bad),
            Err(SubstitutionError::Unsafe { .. })
        ));
        let no_tags: Vec<String> = Vec::new();
        assert!(matches!(
            t.expand(&values(&no_tags)),
            Err(SubstitutionError::MissingTag { .. })
        ));
        let two = vec!["site:a".to_owned(), "SITE:b".to_owned()];
        assert!(matches!(
            t.expand(&values(&two)),
            Err(SubstitutionError::AmbiguousTag { .. })
        ));
    }

    #[test]
    fn prefixes_are_literal() {
        let t = SubjectTemplate::parse("chat.KUBECON.dms.{public_key}").unwrap();
        assert!(t.is_within("chat.KUBECON"));
        assert!(!t.is_within("chat.KUBECON.dms.x"));
        assert!(!SubjectTemplate::parse("chat.{tenant}.x")
            .unwrap()
            .is_within("chat.acme"));
        assert!(!SubjectTemplate::parse("chat.*")
            .unwrap()
            .is_within("chat.acme"));
        assert!(!SubjectTemplate::parse("chat")
            .unwrap()
            .is_within("chat.acme"));
    }
}
