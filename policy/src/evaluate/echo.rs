//! Caller input echoed in reasons and notes: in backticks, escaped and cut short.

/// The longest piece of caller input echoed in a reason.
pub const MAX_ECHO_CHARS: usize = 64;

/// Caller input for messages: in backticks, escaped, cut to [`MAX_ECHO_CHARS`].
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::from("`");
    let mut chars = text.chars();
    for c in chars.by_ref().take(MAX_ECHO_CHARS) {
        if c.is_control() || (c.is_whitespace() && c != ' ') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_and_cut() {
        assert_eq!(quote("alice"), "`alice`");
        assert_eq!(quote("a\nb"), "`a\\nb`");
        let long = "x".repeat(MAX_ECHO_CHARS + 5);
        let quoted = quote(&long);
        assert!(quoted.ends_with("…`"));
        assert_eq!(quoted.chars().filter(|c| *c == 'x').count(), MAX_ECHO_CHARS);
    }
}
