//! Seeds never leave the service: caller input that looks like an nkey seed is redacted
//! from reasons, audit events and log lines, whichever field it came in.
//!
//! An nkey seed is `S`, the key kind's letter (`O`, `A`, `U`, `N`, `C`, `X`) and base32
//! (`A-Z2-7`), 58 characters in all. A run of base32 characters that starts so and is at
//! least [`SEED_SHAPE_MIN_LEN`] long is taken for a seed (or the larger part of one) and
//! replaced by [`REDACTED`]. Public keys start with their kind's letter, never `S`, so
//! they are kept.

use std::borrow::Cow;

/// What a redacted seed is replaced with.
pub const REDACTED: &str = "<redacted seed>";

/// The shortest run taken for a seed (a seed has 58 characters).
pub const SEED_SHAPE_MIN_LEN: usize = 32;

/// The letters after `S` that start a seed, one per key kind.
const SEED_KINDS: [char; 6] = ['O', 'A', 'U', 'N', 'C', 'X'];

fn is_base32(c: char) -> bool {
    c.is_ascii_uppercase() || ('2'..='7').contains(&c)
}

fn seed_shaped(run: &str) -> bool {
    let mut chars = run.chars();
    chars.next() == Some('S')
        && chars.next().is_some_and(|c| SEED_KINDS.contains(&c))
        && run.len() >= SEED_SHAPE_MIN_LEN
}

/// Whether `text` holds something shaped like a seed.
pub fn looks_like_seed(text: &str) -> bool {
    runs(text).any(|(start, end)| text.get(start..end).is_some_and(seed_shaped))
}

/// `text` with every seed-shaped run replaced by [`REDACTED`].
pub fn redact_seeds(text: &str) -> Cow<'_, str> {
    if !looks_like_seed(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in runs(text) {
        let Some(run) = text.get(start..end) else {
            continue;
        };
        if seed_shaped(run) {
            out.push_str(text.get(at..start).unwrap_or_default());
            out.push_str(REDACTED);
            at = end;
        }
    }
    out.push_str(text.get(at..).unwrap_or_default());
    Cow::Owned(out)
}

/// Redacts an optional field in place.
pub fn redact_field(field: &mut Option<String>) {
    if let Some(value) = field.as_mut() {
        if let Cow::Owned(redacted) = redact_seeds(value) {
            *value = redacted;
        }
    }
}

/// The byte ranges of maximal runs of base32 characters in `text`.
fn runs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while chars.peek().is_some_and(|(_, c)| !is_base32(*c)) {
            chars.next();
        }
        let (start, _) = *chars.peek()?;
        let mut end = start;
        while let Some((i, c)) = chars.peek().copied() {
            if !is_base32(c) {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        Some((start, end))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::KeyPair;

    #[test]
    fn seeds_of_every_kind_are_redacted_and_public_keys_kept() {
        for key in [
            KeyPair::new_user(),
            KeyPair::new_account(),
            KeyPair::new_operator(),
        ] {
            let seed = key.seed().unwrap();
            let public = key.public_key();
            assert!(looks_like_seed(&seed));
            assert!(!looks_like_seed(&public));
            let text = format!("`{seed}` is not a public key; `{public}` is");
            let redacted = redact_seeds(&text);
            assert!(!redacted.contains(&seed[2..20]), "{redacted}");
            assert!(redacted.contains(&public), "{redacted}");
            assert!(redacted.contains(REDACTED), "{redacted}");
        }
    }

    #[test]
    fn a_seed_cut_short_is_still_redacted_and_ordinary_text_is_not() {
        let seed = KeyPair::new_user().seed().unwrap();
        assert!(looks_like_seed(&seed[..40]));
        assert_eq!(redact_seeds("alice"), "alice");
        assert_eq!(redact_seeds("SUPERCALIFRAGILISTIC"), "SUPERCALIFRAGILISTIC");
        assert_eq!(redact_seeds("naïve ünïcode"), "naïve ünïcode");
        let mut field = Some(format!("name-{seed}"));
        redact_field(&mut field);
        assert_eq!(field.as_deref(), Some("name-<redacted seed>"));
    }
}
