//! Kinds of nkeys: the role a key plays, named by the first character of its public key.
//!
//! The strict checks of keys and seeds against a kind are in `nkey_check.rs`; this module
//! stays below the error type, whose variants name kinds.

use std::fmt;

/// The role a key plays, named by the first character of its public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `O…`: signs accounts.
    Operator,
    /// `A…`: an account identity or signing key; signs users.
    Account,
    /// `U…`: a user.
    User,
    /// `N…`: a server; signs auth callout requests.
    Server,
    /// `C…`: a cluster.
    Cluster,
    /// `X…`: a curve (xkey) key for sealing auth callout messages.
    Curve,
}

impl KeyKind {
    /// The first character of a public key of this kind.
    pub fn prefix(self) -> char {
        match self {
            KeyKind::Operator => 'O',
            KeyKind::Account => 'A',
            KeyKind::User => 'U',
            KeyKind::Server => 'N',
            KeyKind::Cluster => 'C',
            KeyKind::Curve => 'X',
        }
    }

    /// The lowercase name Go uses in messages (`account`, `server`, …).
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Operator => "operator",
            KeyKind::Account => "account",
            KeyKind::User => "user",
            KeyKind::Server => "server",
            KeyKind::Cluster => "cluster",
            KeyKind::Curve => "curve",
        }
    }

    /// The kind of a public key from its first character, if it is one of the known kinds.
    pub fn of_public_key(key: &str) -> Option<KeyKind> {
        match key.chars().next()? {
            'O' => Some(KeyKind::Operator),
            'A' => Some(KeyKind::Account),
            'U' => Some(KeyKind::User),
            'N' => Some(KeyKind::Server),
            'C' => Some(KeyKind::Cluster),
            'X' => Some(KeyKind::Curve),
            _ => None,
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
