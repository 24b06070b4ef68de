//! Strict checks of nkey public keys and seeds against a [`KeyKind`].
//!
//! nkeys 0.4 decodes keys with prefixes it does not know, and a seed of any kind signs
//! anything; these checks make the kind explicit. Errors never contain a seed.

use nkeys::KeyPair;

use crate::error::ClaimsError;
use crate::nkey_kind::KeyKind;

/// Whether `key` is a well-formed public key (checksum included) of kind `kind`.
pub fn is_public_key(key: &str, kind: KeyKind) -> bool {
    check_public_key(key, kind).is_ok()
}

/// Checks that `key` is a well-formed public key of kind `kind`.
///
/// # Errors
/// [`ClaimsError::Key`] naming what is wrong; the key itself is public and may appear.
pub fn check_public_key(key: &str, kind: KeyKind) -> Result<(), ClaimsError> {
    let refuse = |reason: String| ClaimsError::Key {
        what: format!("{kind} public key"),
        reason,
    };
    if KeyKind::of_public_key(key) != Some(kind) {
        return Err(refuse(format!(
            "`{}` is not {} public key (it must start with `{}`)",
            shorten(key),
            article(kind),
            kind.prefix()
        )));
    }
    let decoded = if kind == KeyKind::Curve {
        nkeys::XKey::from_public_key(key).map(|_| ())
    } else {
        KeyPair::from_public_key(key).map(|_| ())
    };
    decoded.map_err(|err| refuse(format!("`{}` is malformed: {err}", shorten(key))))
}

/// Parses `seed` as a seed of kind `kind` (for example an account seed `SA…`).
///
/// # Errors
/// [`ClaimsError::Key`] when the seed is malformed or of another kind. The message names
/// the kind found, never the seed.
pub fn keypair_from_seed(seed: &str, kind: KeyKind, what: &str) -> Result<KeyPair, ClaimsError> {
    let seed = seed.trim();
    let refuse = |reason: String| ClaimsError::Key {
        what: what.to_owned(),
        reason,
    };
    let mut chars = seed.chars();
    if chars.next() != Some('S') {
        return Err(refuse(String::from("not a seed (a seed starts with `S`)")));
    }
    match chars.next().map(|c| KeyKind::of_public_key(&c.to_string())) {
        Some(Some(found)) if found == kind => {}
        Some(Some(found)) => {
            return Err(refuse(format!(
                "is {} seed, expected {} seed (`S{}…`)",
                article(found),
                article(kind),
                kind.prefix()
            )))
        }
        _ => return Err(refuse(String::from("seed of an unknown kind"))),
    }
    let pair = KeyPair::from_seed(seed)
        .map_err(|_| refuse(String::from("malformed seed (bad encoding or checksum)")))?;
    // INVARIANT: the public key derived from the seed has the seed's kind; check anyway so
    // an nkeys change in prefix handling cannot let a wrong kind through.
    if KeyKind::of_public_key(&pair.public_key()) != Some(kind) {
        return Err(refuse(String::from(
            "seed does not yield a key of the expected kind",
        )));
    }
    Ok(pair)
}

/// The kind of key a seed holds, if it is a well-formed seed of a known kind.
pub fn seed_kind(seed: &str) -> Option<KeyKind> {
    let pair = KeyPair::from_seed(seed.trim()).ok()?;
    KeyKind::of_public_key(&pair.public_key())
}

fn article(kind: KeyKind) -> String {
    match kind {
        KeyKind::Operator | KeyKind::Account => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}

/// Public keys are not secret, but user input can be long; keep messages one short line.
fn shorten(key: &str) -> String {
    if key.chars().count() > 60 {
        let head: String = key.chars().take(56).collect();
        format!("{head}…")
    } else {
        key.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_of_the_right_kind_pass() {
        let account = KeyPair::new_account();
        assert!(is_public_key(&account.public_key(), KeyKind::Account));
        assert!(!is_public_key(&account.public_key(), KeyKind::User));
        let xkey = nkeys::XKey::new();
        assert!(is_public_key(&xkey.public_key(), KeyKind::Curve));
    }

    #[test]
    fn bad_checksums_and_unknown_prefixes_are_refused() {
        let key = KeyPair::new_user().public_key();
        let mut broken: Vec<char> = key.chars().collect();
        let last = broken.len() - 1;
        broken[last] = if broken[last] == 'A' { 'B' } else { 'A' };
        let broken: String = broken.into_iter().collect();
        assert!(matches!(
            check_public_key(&broken, KeyKind::User),
            Err(ClaimsError::Key { .. })
        ));
        assert!(check_public_key("ZZZZ", KeyKind::User).is_err());
        assert!(check_public_key("", KeyKind::User).is_err());
    }

    #[test]
    fn seeds_of_the_wrong_kind_are_refused_without_echoing_them() {
        let user = KeyPair::new_user();
        let seed = user.seed().unwrap();
        let err = keypair_from_seed(&seed, KeyKind::Account, "signing key").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("user seed"), "{msg}");
        assert!(!msg.contains(&seed), "{msg}");
        let account = KeyPair::new_account();
        let ok = keypair_from_seed(&account.seed().unwrap(), KeyKind::Account, "signing key");
        assert_eq!(ok.unwrap().public_key(), account.public_key());
        assert!(keypair_from_seed("SAnotaseed", KeyKind::Account, "k").is_err());
        assert!(keypair_from_seed(&account.public_key(), KeyKind::Account, "k").is_err());
        assert_eq!(seed_kind(&seed), Some(KeyKind::User));
    }
}
