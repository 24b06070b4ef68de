//! Name rules: allowed character sets and glob patterns.
//!
//! A character set is written like a regex class body without brackets: single
//! characters and `a-z` ranges (`a-zA-Z0-9_-`; a `-` first or last is literal). A glob
//! has `*` (any run of characters) and `?` (one character); everything else is literal.
//! Neither has escapes, so neither can surprise: both are checked in linear-ish time
//! with no recursion.
//!
//! Names are compared ignoring case through [`fold_case`]: every character mapped by
//! Unicode's default lowercase mapping on its own (`char::to_lowercase`), with no locale
//! and no context, so the same name folds the same way on every machine.

use std::ops::RangeInclusive;

/// Characters that can never be in a subject token: separators, wildcards, every
/// whitespace and control character (`char::is_whitespace` / `char::is_control`).
const UNSAFE: &[RangeInclusive<char>] = &[
    '\u{0}'..='\u{20}',
    '*'..='*',
    '.'..='.',
    '>'..='>',
    '\u{7f}'..='\u{a0}',
    '\u{1680}'..='\u{1680}',
    '\u{2000}'..='\u{200a}',
    '\u{2028}'..='\u{2029}',
    '\u{202f}'..='\u{202f}',
    '\u{205f}'..='\u{205f}',
    '\u{3000}'..='\u{3000}',
];

/// A parsed set of allowed characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charset {
    ranges: Vec<RangeInclusive<char>>,
}

/// Why a character set was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CharsetError {
    /// The set cannot be read.
    Invalid(&'static str),
    /// The set admits a character that cannot be in a subject token.
    Unsafe(char),
}

impl Charset {
    /// Parses `set` and checks it admits no character unsafe in a subject token.
    ///
    /// # Errors
    /// [`CharsetError`] for an empty set, a reversed range or an unsafe character.
    pub fn parse(set: &str) -> Result<Self, CharsetError> {
        let chars: Vec<char> = set.chars().collect();
        if chars.is_empty() {
            return Err(CharsetError::Invalid("the set is empty"));
        }
        let mut ranges = Vec::new();
        let mut i = 0;
        while let Some(&lo) = chars.get(i) {
            match (chars.get(i + 1), chars.get(i + 2)) {
                (Some('-'), Some(&hi)) => {
                    if hi < lo {
                        return Err(CharsetError::Invalid("a range runs backwards"));
                    }
                    ranges.push(lo..=hi);
                    i += 3;
                }
                _ => {
                    ranges.push(lo..=lo);
                    i += 1;
                }
            }
        }
        for range in &ranges {
            for bad in UNSAFE {
                if range.start() <= bad.end() && bad.start() <= range.end() {
                    let found = if range.contains(bad.start()) {
                        *bad.start()
                    } else {
                        *range.start()
                    };
                    return Err(CharsetError::Unsafe(found));
                }
            }
        }
        Ok(Charset { ranges })
    }

    /// Whether `c` is in the set.
    pub fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|r| r.contains(&c))
    }

    /// The first character of `text` not in the set.
    pub fn first_outside(&self, text: &str) -> Option<char> {
        text.chars().find(|c| !self.contains(*c))
    }
}

/// Whether `text` matches `glob` (`*` any run, `?` one character, all else literal).
///
/// # Examples
/// ```
/// use policy::names::glob_match;
/// assert!(glob_match("dev-*", "dev-alice"));
/// assert!(glob_match("team:?", "team:a"));
/// assert!(!glob_match("dev-*", "prod-alice"));
/// ```
pub fn glob_match(glob: &str, text: &str) -> bool {
    let pattern: Vec<char> = glob.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    // Where the last `*` was, and the text position it currently swallows up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some('*'), _) => {
                star = Some((p, t));
                p += 1;
            }
            (Some('?'), _) => {
                p += 1;
                t += 1;
            }
            (Some(a), Some(b)) if a == b => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// A name with its case folded: each character replaced by its Unicode lowercase
/// mapping (`char::to_lowercase`), character by character, without locale or context
/// (`Σ` always becomes `σ`, `İ` becomes `i̇`, the Kelvin sign `K` becomes `k`; `ß`
/// stays `ß`). Names that fold alike are one name where case is ignored.
///
/// # Examples
/// ```
/// use policy::names::fold_case;
/// assert_eq!(fold_case("Alice"), "alice");
/// assert_eq!(fold_case("ÉLAN"), "élan");
/// assert_eq!(fold_case("ΟΔΟΣ"), "οδοσ");
/// ```
pub fn fold_case(name: &str) -> String {
    name.chars().flat_map(char::to_lowercase).collect()
}

/// Whether `name` matches the reserved-name glob `reserved`, both folded
/// ([`fold_case`]): reserved names are refused in any case.
///
/// # Examples
/// ```
/// use policy::names::reserved_match;
/// assert!(reserved_match("_INBOX*", "_inbox_alice"));
/// assert!(reserved_match("admin", "ADMIN"));
/// assert!(!reserved_match("admin", "admins"));
/// ```
pub fn reserved_match(reserved: &str, name: &str) -> bool {
    glob_match(&fold_case(reserved), &fold_case(name))
}

/// Escapes a character for messages: printable ones as is, others as `\u{…}`.
pub(crate) fn escape(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("\\u{{{:x}}}", u32::from(c))
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_list_matches_std() {
        let listed = |c: char| UNSAFE.iter().any(|r| r.contains(&c));
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let std_unsafe = c.is_whitespace() || c.is_control() || matches!(c, '.' | '*' | '>');
            assert_eq!(listed(c), std_unsafe, "{c:?}");
        }
    }

    #[test]
    fn charsets() {
        let set = Charset::parse("a-z0-9_-").unwrap();
        assert!(set.contains('q') && set.contains('-') && set.contains('_'));
        assert!(!set.contains('A'));
        assert_eq!(set.first_outside("ab-Cd"), Some('C'));
        assert_eq!(set.first_outside("ok"), None);
        let cases: &[(&str, CharsetError)] = &[
            ("", CharsetError::Invalid("the set is empty")),
            ("z-a", CharsetError::Invalid("a range runs backwards")),
            ("a-z.", CharsetError::Unsafe('.')),
            ("!-~", CharsetError::Unsafe('*')),
            ("a b", CharsetError::Unsafe(' ')),
            ("\u{1}-a", CharsetError::Unsafe('\u{1}')),
            ("\u{80}-\u{ff}", CharsetError::Unsafe('\u{80}')),
            ("\u{a0}", CharsetError::Unsafe('\u{a0}')),
        ];
        for (text, want) in cases {
            assert_eq!(Charset::parse(text).unwrap_err(), *want, "{text:?}");
        }
        assert!(Charset::parse("\u{e0}-\u{ff}").is_ok());
    }

    #[test]
    fn globs() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything", true),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*c", "abbbc", true),
            ("a*b*c", "axxbyyc", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("abc", "abd", false),
            ("a*", "ba", false),
            ("", "", true),
            ("", "a", false),
            ("**a", "ba", true),
            ("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ];
        for (glob, text, want) in cases {
            assert_eq!(glob_match(glob, text), *want, "{glob} {text}");
        }
        assert_eq!(escape('\n'), "\\u{a}");
    }

    #[test]
    fn case_folds_per_character_without_locale() {
        assert_eq!(fold_case("Alice"), fold_case("aLICE"));
        assert_eq!(fold_case("\u{212a}elvin"), "kelvin");
        assert_eq!(fold_case("ΣΑΣ"), "σασ");
        assert_eq!(fold_case("İ"), "i\u{307}");
        assert_eq!(fold_case("ß"), "ß");
        assert_eq!(fold_case("a_B-9"), "a_b-9");
        assert!(reserved_match("$*", "$sys"));
        assert!(reserved_match("root", "Root"));
        assert!(reserved_match("_inbox*", "_INBOX"));
        assert!(!reserved_match("_INBOX*", "inbox"));
        assert!(reserved_match("op?", "OPS"));
        assert_eq!(escape('x'), "x");
    }
}
