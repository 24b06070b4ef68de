//! Callout credentials: the users (name and password) and tokens a tenant accepts in a
//! CONNECT handed over through auth callout, read from the file its policy names in
//! `identity.callout.credentials`.
//!
//! ```toml
//! # acme-callout.toml (mode 0600; paths in the policy are relative to the policy file)
//! [[users]]
//! user = "alice"                       # the CONNECT user name
//! name = "alice"                       # the NATS user name minted (default: `user`)
//! tags = ["role:device"]               # stamped on the user (optional)
//! salt = "q8v1V3d0"                    # any string, different per entry
//! password_sha256 = "<hex>"            # printf '%s%s' "$SALT" "$PASSWORD" | sha256sum
//!
//! [[tokens]]
//! name = "ci"                          # the NATS user name minted
//! salt = "Zp41…"
//! token_sha256 = "<hex>"               # printf '%s%s' "$SALT" "$TOKEN" | sha256sum
//! ```
//!
//! Only salted SHA-256 digests are stored, never the secrets, and comparisons take the
//! same time whatever matches. SHA-256 is fast, so it protects only secrets with enough
//! entropy to resist guessing: generate passwords and tokens (for example
//! `openssl rand -base64 24`), do not let people choose them. Secrets never appear in
//! logs or errors; user names do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::keys::{read_file, readable_by_others};

/// One tenant's credentials file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    #[serde(default)]
    users: Vec<UserEntry>,
    #[serde(default)]
    tokens: Vec<TokenEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    user: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    salt: String,
    password_sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    name: String,
    #[serde(default)]
    tags: Vec<String>,
    salt: String,
    token_sha256: String,
}

/// Who a matching credential stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The tenant whose file holds the entry.
    pub tenant: String,
    /// The NATS user name to mint.
    pub name: String,
    /// Tags to stamp.
    pub tags: Vec<String>,
}

/// A salted digest of a secret.
struct Verifier {
    salt: String,
    digest: [u8; 32],
}

impl Verifier {
    fn new(salt: String, hex: &str) -> Result<Self, String> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(hex.trim().as_bytes())
            .map_err(|_| String::from("the digest is not hexadecimal"))?;
        let digest = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| String::from("the digest is not 32 bytes (SHA-256)"))?;
        if salt.is_empty() {
            return Err(String::from("the salt is empty"));
        }
        Ok(Verifier { salt, digest })
    }

    /// Whether `secret` hashes to the digest; constant time in the digest.
    fn matches(&self, secret: &str) -> bool {
        constant_time_eq(&salted_sha256(&self.salt, secret), &self.digest)
    }
}

/// The tags of one entry: each a valid tag whose value is one literal subject token, and
/// none that grants power in the tenant (its admin tag, a required caller tag), which a
/// password or token must not hand out.
fn check_tags(tags: &[String], tenant: &policy::Tenant) -> Result<(), String> {
    for tag in tags {
        if let Err(why) = policy::tags::check_user_tag(tag) {
            return Err(format!("tag `{tag}`: {why}"));
        }
        if let Some(privilege) = tenant.privilege_of(tag) {
            return Err(format!(
                "tag `{tag}` is {privilege}, which a callout credential cannot grant"
            ));
        }
    }
    Ok(())
}

/// `SHA-256(salt ‖ secret)`, the digest a credentials file stores.
pub fn salted_sha256(salt: &str, secret: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(secret.as_bytes());
    hasher.finalize().into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Every tenant's callout users and tokens.
#[derive(Default)]
pub struct CalloutCredentials {
    users: HashMap<String, (Holder, Verifier)>,
    tokens: Vec<(Holder, Verifier)>,
}

impl std::fmt::Debug for CalloutCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalloutCredentials")
            .field("users", &self.users.len())
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

/// A credentials file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file cannot be read.
    #[error(transparent)]
    Read(#[from] crate::keys::KeyError),
    /// The file is not valid TOML of the documented shape.
    #[error("callout credentials `{path}`: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why (never a secret or digest).
        reason: String,
    },
}

impl CalloutCredentials {
    /// Loads the credentials file of every tenant whose policy enables the callout and
    /// names one; relative paths are relative to `base` (the policy file's folder).
    ///
    /// # Errors
    /// [`CredentialsError`] for an unreadable or malformed file, an entry without a valid
    /// salt and digest, or a user name defined twice (in any tenants).
    pub fn load(policy: &policy::Policy, base: &Path) -> Result<Self, CredentialsError> {
        let mut out = CalloutCredentials::default();
        for tenant in policy.tenants() {
            let callout = &tenant.config().identity.callout;
            let (true, Some(file)) = (callout.enabled, &callout.credentials) else {
                continue;
            };
            let path = base.join(file);
            out.add_file(tenant, &path)?;
        }
        Ok(out)
    }

    fn add_file(&mut self, tenant: &policy::Tenant, path: &Path) -> Result<(), CredentialsError> {
        let text = read_file(path)?;
        if readable_by_others(path) {
            tracing::warn!(path = %path.display(), "callout credentials file is readable by others; chmod 600 it");
        }
        let invalid = |reason: String| CredentialsError::Invalid {
            path: path.to_owned(),
            reason,
        };
        let file: CredentialsFile =
            toml::from_str(&text).map_err(|e| invalid(e.message().to_owned()))?;
        for (i, entry) in file.users.into_iter().enumerate() {
            let at = |why: String| invalid(format!("users[{i}]: {why}"));
            if entry.user.is_empty() {
                return Err(at(String::from("`user` is empty")));
            }
            if self.users.contains_key(&entry.user) {
                return Err(at(format!("user `{}` is defined twice", entry.user)));
            }
            check_tags(&entry.tags, tenant).map_err(at)?;
            let verifier = Verifier::new(entry.salt, &entry.password_sha256).map_err(at)?;
            let holder = Holder {
                tenant: tenant.name().to_owned(),
                name: entry.name.unwrap_or_else(|| entry.user.clone()),
                tags: entry.tags,
            };
            self.users.insert(entry.user, (holder, verifier));
        }
        for (i, entry) in file.tokens.into_iter().enumerate() {
            let at = |why: String| invalid(format!("tokens[{i}]: {why}"));
            check_tags(&entry.tags, tenant).map_err(at)?;
            let verifier = Verifier::new(entry.salt, &entry.token_sha256).map_err(at)?;
            let holder = Holder {
                tenant: tenant.name().to_owned(),
                name: entry.name,
                tags: entry.tags,
            };
            self.tokens.push((holder, verifier));
        }
        Ok(())
    }

    /// Whether any tenant has callout users or tokens.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.tokens.is_empty()
    }

    /// The holder of user `user` when `password` is right.
    pub fn check_password(&self, user: &str, password: &str) -> Option<&Holder> {
        match self.users.get(user) {
            Some((holder, verifier)) => verifier.matches(password).then_some(holder),
            None => {
                // Spend the same work as for a known user.
                let _ = salted_sha256(user, password);
                None
            }
        }
    }

    /// The holder of `token`, when exactly one entry matches it.
    pub fn check_token(&self, token: &str) -> Option<&Holder> {
        let mut found = None;
        let mut matches = 0usize;
        for (holder, verifier) in &self.tokens {
            if verifier.matches(token) {
                matches += 1;
                found = Some(holder);
            }
        }
        if matches > 1 {
            tracing::warn!(matches, "a callout token matches several entries; refused");
            return None;
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y";

    fn hex(salt: &str, secret: &str) -> String {
        data_encoding::HEXLOWER.encode(&salted_sha256(salt, secret))
    }

    fn policy(credentials: &str) -> policy::Policy {
        policy::Policy::from_toml_str(&format!(
            "version = 1\n[[tenants]]\nname = \"acme\"\naccount = \"{ACCOUNT}\"\n\
             namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n\
             identity.callout = {{ enabled = true, credentials = \"{credentials}\" }}\n\
             permissions.pub.allow = [\"tenant.acme.x\"]\n\
             permissions.sub.allow = [\"tenant.acme.x\"]\n"
        ))
        .unwrap()
    }

    fn load(text: &str) -> Result<CalloutCredentials, CredentialsError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.toml"), text).unwrap();
        CalloutCredentials::load(&policy("c.toml"), dir.path())
    }

    #[test]
    fn the_digest_is_sha256_of_salt_then_secret() {
        // printf '%s%s' salt secret | sha256sum
        assert_eq!(
            hex("salt", "secret"),
            "bede90386d450cea8b77b822f8887065e4e5abf132c2f9dccfcc7fbd4cba5e35"
        );
    }

    #[test]
    fn passwords_and_tokens_are_checked_against_salted_digests() {
        let text = format!(
            "[[users]]\nuser = \"alice\"\ntags = [\"role:device\"]\nsalt = \"s1\"\n\
             password_sha256 = \"{}\"\n\n[[tokens]]\nname = \"ci\"\nsalt = \"s2\"\n\
             token_sha256 = \"{}\"\n",
            hex("s1", "correct horse"),
            hex("s2", "tok-123")
        );
        let creds = load(&text).unwrap();
        let alice = creds.check_password("alice", "correct horse").unwrap();
        assert_eq!(alice.tenant, "acme");
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.tags, ["role:device"]);
        assert!(creds.check_password("alice", "wrong").is_none());
        assert!(creds.check_password("bob", "correct horse").is_none());
        assert_eq!(creds.check_token("tok-123").unwrap().name, "ci");
        assert!(creds.check_token("tok-124").is_none());
        assert!(!format!("{creds:?}").contains("s1"));
    }

    #[test]
    fn malformed_entries_are_refused_without_echoing_digests() {
        let digest = hex("s", "p");
        let cases = [
            format!("[[users]]\nuser = \"a\"\nsalt = \"\"\npassword_sha256 = \"{digest}\"\n"),
            String::from("[[users]]\nuser = \"a\"\nsalt = \"s\"\npassword_sha256 = \"zz\"\n"),
            String::from("[[users]]\nuser = \"a\"\nsalt = \"s\"\npassword_sha256 = \"abcd\"\n"),
            format!(
                "[[users]]\nuser = \"a\"\nsalt = \"s\"\npassword_sha256 = \"{digest}\"\n\
                 [[users]]\nuser = \"a\"\nsalt = \"t\"\npassword_sha256 = \"{digest}\"\n"
            ),
            String::from("[[users]]\nuser = \"a\"\npassword = \"plain\"\n"),
            // Tags a scoped key template would widen, and tags that grant power.
            format!("[[users]]\nuser = \"a\"\ntags = [\"team:*\"]\nsalt = \"s\"\npassword_sha256 = \"{digest}\"\n"),
            format!("[[users]]\nuser = \"a\"\ntags = [\"team:a.b\"]\nsalt = \"s\"\npassword_sha256 = \"{digest}\"\n"),
            format!("[[users]]\nuser = \"a\"\ntags = [\"Role:Admin\"]\nsalt = \"s\"\npassword_sha256 = \"{digest}\"\n"),
            format!("[[tokens]]\nname = \"ci\"\ntags = [\"team:>\"]\nsalt = \"s\"\ntoken_sha256 = \"{digest}\"\n"),
            format!("[[tokens]]\nname = \"ci\"\ntags = [\"role:admin\"]\nsalt = \"s\"\ntoken_sha256 = \"{digest}\"\n"),
        ];
        for text in cases {
            let err = load(&text).unwrap_err();
            assert!(matches!(err, CredentialsError::Invalid { .. }), "{text}");
            assert!(!err.to_string().contains(&digest));
            assert!(!err.to_string().contains("plain\""));
        }
    }
}
