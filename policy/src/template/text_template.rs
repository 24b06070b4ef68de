//! Text templates, such as stamped tags: placeholders may sit anywhere, and each
//! substituted value must be free of whitespace and control characters.

use super::error::{SubstitutionError, TemplateError};
use super::placeholder::{pieces, Piece, Placeholder, Values};
use crate::subject::TokenError;

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
