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

/// What a placeholder may stand for, when asking which texts a template can produce.
#[derive(Clone, Copy)]
pub enum SlotValue<'a> {
    /// Exactly this text (the tenant's name, its account).
    Fixed(&'a str),
    /// Any non-empty run of characters the function admits (a name in the tenant's
    /// character set, a caller's tag value).
    AnyOf(&'a dyn Fn(char) -> bool),
}

impl TextTemplate {
    /// Whether some values of the placeholders make this template expand to `target`,
    /// ASCII case ignored (tags compare so). `slot` says what each placeholder may stand
    /// for. Linear in the template's pieces times the target's length squared, no
    /// recursion.
    pub fn can_produce<'v>(
        &self,
        target: &str,
        slot: &dyn Fn(&Placeholder) -> SlotValue<'v>,
    ) -> bool {
        let target: Vec<char> = target.chars().collect();
        // `reach[i]`: the pieces so far can produce exactly the first `i` characters.
        let mut reach = vec![false; target.len() + 1];
        if let Some(first) = reach.first_mut() {
            *first = true;
        }
        for piece in &self.pieces {
            let mut next = vec![false; target.len() + 1];
            for start in (0..=target.len()).filter(|i| reach.get(*i) == Some(&true)) {
                let rest = target.get(start..).unwrap_or_default();
                match piece {
                    Piece::Text(text) => mark_literal(text, rest, start, &mut next),
                    Piece::Slot(ph) => match slot(ph) {
                        SlotValue::Fixed(text) => mark_literal(text, rest, start, &mut next),
                        SlotValue::AnyOf(admits) => {
                            let ok = |c: &char| {
                                admits(*c)
                                    || admits(c.to_ascii_lowercase())
                                    || admits(c.to_ascii_uppercase())
                            };
                            let run = rest.iter().take_while(|c| ok(c)).count();
                            for end in start + 1..=start + run {
                                if let Some(cell) = next.get_mut(end) {
                                    *cell = true;
                                }
                            }
                        }
                    },
                }
            }
            reach = next;
        }
        reach.last() == Some(&true)
    }
}

/// Marks where `text` ends when it starts `rest` (at `start`), ASCII case ignored.
fn mark_literal(text: &str, rest: &[char], start: usize, next: &mut [bool]) {
    let want: Vec<char> = text.chars().collect();
    let matches = want.len() <= rest.len()
        && want
            .iter()
            .zip(rest)
            .all(|(a, b)| a.eq_ignore_ascii_case(b));
    if matches {
        if let Some(cell) = next.get_mut(start + want.len()) {
            *cell = true;
        }
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

    #[test]
    fn which_texts_a_template_can_produce() {
        let lower = |c: char| c.is_ascii_lowercase();
        let any = |c: char| !c.is_whitespace();
        let slot = |ph: &Placeholder| match ph {
            Placeholder::Tenant => SlotValue::Fixed("acme"),
            Placeholder::Name => SlotValue::AnyOf(&lower),
            _ => SlotValue::AnyOf(&any),
        };
        let can = |template: &str, target: &str| {
            TextTemplate::parse(template)
                .unwrap()
                .can_produce(target, &slot)
        };
        assert!(can("role:{name}", "role:admin"));
        assert!(can("role:{name}", "ROLE:Admin"));
        assert!(can("{name}:{name}", "role:admin"));
        assert!(can("r{tag:x}n", "role:admin"));
        assert!(can("role:admin", "Role:Admin"));
        assert!(!can("role:{name}", "role:"));
        assert!(!can("role:{name}", "role:a-b"));
        assert!(!can("tenant:{tenant}", "tenant:globex"));
        assert!(can("tenant:{tenant}", "tenant:acme"));
        assert!(!can("user:{name}", "role:admin"));
        assert!(!can("{name}", "role:admin"));
    }
}
