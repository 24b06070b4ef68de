//! The `.creds` file: a user JWT and the user's nkey seed in decorated blocks.
//!
//! Written exactly as Go's `FormatUserConfig` (with the trailing newline async-nats
//! expects); read leniently by block, so both the `USER NKEY SEED` and the seed program's
//! `USER PRIVATE KEY` labels work. The seed is held in a type that redacts itself.

use std::fmt;

use crate::error::ClaimsError;
use crate::nkey_check::keypair_from_seed;
use crate::nkey_kind::KeyKind;

/// A user nkey seed. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct UserSeed(String);

impl UserSeed {
    /// Wraps a seed after checking that it is a well-formed user seed (`SU…`).
    ///
    /// # Errors
    /// [`ClaimsError::Key`] when it is not.
    pub fn new(seed: impl Into<String>) -> Result<Self, ClaimsError> {
        let seed = seed.into();
        keypair_from_seed(&seed, KeyKind::User, "user seed")?;
        Ok(UserSeed(seed))
    }

    /// The seed text, for handing to a NATS client. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key pair of this seed.
    ///
    /// # Errors
    /// Never in practice: the seed was checked when it was made.
    pub fn key_pair(&self) -> Result<nkeys::KeyPair, ClaimsError> {
        keypair_from_seed(&self.0, KeyKind::User, "user seed")
    }
}

impl fmt::Debug for UserSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserSeed(<redacted>)")
    }
}

/// The contents of a creds file.
#[derive(Clone, PartialEq, Eq)]
pub struct Creds {
    /// The user JWT.
    pub jwt: String,
    /// The user's seed.
    pub seed: UserSeed,
}

impl fmt::Debug for Creds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Creds")
            .field("jwt", &"<redacted>")
            .field("seed", &self.seed)
            .finish()
    }
}

/// Writes a creds file's text for `jwt` and `seed`, byte for byte as Go's
/// `FormatUserConfig`.
///
/// # Examples
/// ```
/// let text = claims::format_creds("eyJ.x.y", "SUAEXAMPLE");
/// assert!(text.starts_with("-----BEGIN NATS USER JWT-----\neyJ.x.y\n------END NATS USER JWT------\n"));
/// assert!(text.ends_with("*************************************************************\n"));
/// ```
pub fn format_creds(jwt: &str, seed: &str) -> String {
    format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\
         NKEYs are sensitive and should be treated as secrets.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n\
         *************************************************************\n"
    )
}

fn is_fence(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 6 && line.starts_with("---") && line.ends_with("---")
}

/// The contents of the decorated blocks (`---…---` fence, one line, fence), in order.
fn blocks(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 2 < lines.len() {
        match (lines.get(i), lines.get(i + 1), lines.get(i + 2)) {
            (Some(open), Some(body), Some(close))
                if is_fence(open) && !is_fence(body) && is_fence(close) =>
            {
                found.push(body.trim());
                i += 3;
            }
            _ => i += 1,
        }
    }
    found
}

/// Reads a creds file: the first block is the JWT, the second the user seed.
///
/// # Errors
/// [`ClaimsError::Creds`] when a block is missing or the seed is not a user seed. The
/// message never contains the file's content.
pub fn parse_creds(text: &str) -> Result<Creds, ClaimsError> {
    let found = blocks(text);
    let jwt = found
        .first()
        .copied()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ClaimsError::Creds {
            reason: String::from("no JWT block (`-----BEGIN NATS USER JWT-----`)"),
        })?;
    let seed = found.get(1).copied().ok_or_else(|| ClaimsError::Creds {
        reason: String::from("no seed block (`-----BEGIN USER NKEY SEED-----`)"),
    })?;
    let seed = UserSeed::new(seed).map_err(|err| ClaimsError::Creds {
        reason: err.to_string(),
    })?;
    Ok(Creds {
        jwt: jwt.to_owned(),
        seed,
    })
}

/// Reads a user JWT from a creds file or a bare token: the first block if there is one,
/// otherwise the trimmed text (as Go's `ParseDecoratedJWT`).
pub fn jwt_from_creds_or_token(text: &str) -> &str {
    blocks(text).first().copied().unwrap_or_else(|| text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nkeys::KeyPair;

    #[test]
    fn format_and_parse_round_trip() {
        let user = KeyPair::new_user();
        let seed = user.seed().unwrap();
        let text = format_creds("a.b.c", &seed);
        let creds = parse_creds(&text).unwrap();
        assert_eq!(creds.jwt, "a.b.c");
        assert_eq!(creds.seed.expose(), seed);
        assert!(!format!("{creds:?}").contains(&seed));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn accepts_the_seed_programs_private_key_labels() {
        let seed = KeyPair::new_user().seed().unwrap();
        let text = format!(
            "-----BEGIN NATS USER JWT-----\nj.w.t\n------END NATS USER JWT------\n\n\
             -----BEGIN USER PRIVATE KEY-----\n{seed}\n------END USER PRIVATE KEY------\n"
        );
        assert_eq!(parse_creds(&text).unwrap().seed.expose(), seed);
    }

    #[test]
    fn refuses_missing_blocks_and_wrong_seed_kinds_without_echoing() {
        assert!(matches!(parse_creds(""), Err(ClaimsError::Creds { .. })));
        let account_seed = KeyPair::new_account().seed().unwrap();
        let text = format_creds("a.b.c", &account_seed);
        let err = parse_creds(&text).unwrap_err().to_string();
        assert!(err.contains("account seed"), "{err}");
        assert!(!err.contains(&account_seed));
        assert_eq!(jwt_from_creds_or_token("  x.y.z \n"), "x.y.z");
    }
}
