//! A user's private reply inbox: `_INBOX.<user name>`.
//!
//! Replies to a request travel on the requester's reply subject, in the requester's
//! account (a service import maps them back there). A user allowed to subscribe to
//! `_INBOX.>` therefore reads every reply sent to every user of its account that uses
//! the default inbox prefix. Where users must not read each other's replies, each may
//! subscribe only to `_INBOX.<its name>.>` and connects with `_INBOX.<its name>` as its
//! inbox prefix (async-nats `ConnectOptions::custom_inbox_prefix`, nats.go
//! `CustomInboxPrefix`, nats-py `inbox_prefix`). The prefix is one literal token below
//! `_INBOX`, so it also works for a user allowed `_INBOX.>`.

use crate::creds::parse_creds;
use crate::user::UserClaims;

/// The first token of reply inboxes, and the default inbox prefix of NATS clients.
pub const INBOX_PREFIX: &str = "_INBOX";

/// The private inbox prefix of a user named `name`, `_INBOX.<name>`, or `None` when the
/// name is not one literal subject token (empty, or holding `.`, `*`, `>`, whitespace or
/// a control character).
///
/// # Examples
/// ```
/// assert_eq!(claims::private_inbox_prefix("alice").as_deref(), Some("_INBOX.alice"));
/// assert_eq!(claims::private_inbox_prefix("a.b"), None);
/// assert_eq!(claims::private_inbox_prefix(""), None);
/// ```
pub fn private_inbox_prefix(name: &str) -> Option<String> {
    let literal = !name.is_empty()
        && !name
            .chars()
            .any(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace() || c.is_control());
    literal.then(|| format!("{INBOX_PREFIX}.{name}"))
}

/// The private inbox prefix of the user of a `.creds` file: [`private_inbox_prefix`] of
/// its JWT's `name`; `None` when the file is not a creds file, its JWT does not verify or
/// its name is not one literal subject token.
pub fn creds_inbox_prefix(creds: &str) -> Option<String> {
    let creds = parse_creds(creds).ok()?;
    let user = UserClaims::decode(&creds.jwt).ok()?;
    private_inbox_prefix(&user.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::format_creds;

    #[test]
    fn prefixes_are_one_literal_token_below_inbox() {
        for (name, want) in [
            ("alice", Some("_INBOX.alice")),
            ("admin", Some("_INBOX.admin")),
            ("dev-1_x", Some("_INBOX.dev-1_x")),
            ("", None),
            ("a.b", None),
            ("*", None),
            ("a>", None),
            ("a b", None),
            ("a\u{0}", None),
        ] {
            assert_eq!(private_inbox_prefix(name).as_deref(), want, "{name:?}");
        }
    }

    #[test]
    fn a_creds_file_gives_its_users_prefix() {
        let account = nkeys::KeyPair::new_account();
        let user = nkeys::KeyPair::new_user();
        let mut claims = UserClaims::new_user(user.public_key());
        claims.name = String::from("alice");
        let jwt = claims.encode(&account, 1_800_000_000).unwrap();
        let creds = format_creds(&jwt, &user.seed().unwrap());
        assert_eq!(creds_inbox_prefix(&creds).as_deref(), Some("_INBOX.alice"));
        claims.name = String::from("chat access");
        let jwt = claims.encode(&account, 1_800_000_000).unwrap();
        assert_eq!(
            creds_inbox_prefix(&format_creds(&jwt, &user.seed().unwrap())),
            None
        );
        assert_eq!(creds_inbox_prefix("not a creds file"), None);
    }
}
