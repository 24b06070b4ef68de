//! Tags: the one rule every tag follows, in the policy (required caller tags, the admin
//! tag, stamped and requestable tags) and in requests.

/// A tag: non-empty, no whitespace or control characters.
pub(crate) fn check_tag(tag: &str) -> Result<(), &'static str> {
    if tag.is_empty() {
        Err("a tag cannot be empty")
    } else if tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("a tag cannot hold whitespace or control characters")
    } else if tag.chars().count() > MAX_TAG_LEN {
        Err("a tag is at most 255 characters")
    } else {
        Ok(())
    }
}

/// The longest tag.
pub const MAX_TAG_LEN: usize = 255;
