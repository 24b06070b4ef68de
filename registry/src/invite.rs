//! Invite tokens: made once, shown once, stored by hash only, redeemed with
//! compare-and-set so that an N-use invite is used at most N times across replicas.
//!
//! A token is `inv_<tenant>_<random>`: the tenant's key token and 32 random bytes in
//! base32. The invite's id (in the admin API) is the lowercase hex SHA-256 of the whole
//! token, and its bucket key is `<tenant>.<id>`: a tenant's invites are the keys under
//! its prefix, so listing them reads no other tenant's, and a token alone says where its
//! invite is (at CONNECT the tenant is not known before the invite is read). A token
//! whose tenant part is changed hashes to another id under another prefix, and finds
//! nothing. Tokens made before tenants were named in them (`inv_<random>`, *legacy*)
//! are stored under the bare id; they stay redeemable until they expire. The token itself
//! is never stored, logged or echoed after creation. Pure apart from [`new_token`],
//! which draws randomness.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::entry::{from_key_token, key_token, unexpired};

/// The prefix of every invite token.
pub const TOKEN_PREFIX: &str = "inv_";
/// The most uses one invite may grant.
pub const MAX_INVITE_USES: u64 = 1_000;
/// The longest name pattern of an invite, in characters.
pub const MAX_PATTERN_LEN: usize = 128;
/// The most tags one invite may stamp.
pub const MAX_INVITE_TAGS: usize = 16;
/// The longest token accepted in a request.
pub const MAX_TOKEN_LEN: usize = 128;
/// The key filter of every legacy invite (a bare id: one token, where every other key of
/// the bucket has two or more).
pub const LEGACY_INVITES_FILTER: &str = "*";

/// An invite, as stored under the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteEntry {
    /// The tenant's name.
    pub tenant: String,
    /// Glob the requested name must match.
    pub name_pattern: String,
    /// Tags stamped on users minted with it.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Uses granted at creation.
    pub uses: u64,
    /// Uses left.
    pub uses_left: u64,
    /// Expiry, unix seconds (0: never).
    pub expires: i64,
    /// Creation time.
    pub created_at: i64,
    /// The admin user (public key) who created it.
    pub created_by: String,
    /// Whether an admin revoked it.
    #[serde(default)]
    pub revoked: bool,
    /// Who redeemed it: a retry of the same redemption (same key and name) is not a
    /// second use.
    #[serde(default)]
    pub redemptions: Vec<Redemption>,
}

/// One use of an invite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// The user's public key.
    pub public_key: String,
    /// The user name.
    pub name: String,
    /// When.
    pub at: i64,
}

/// Whether an invite can vouch for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteState {
    /// It can, using one more use.
    Usable,
    /// It can, because this key and name already redeemed it (a retry).
    AlreadyRedeemed,
    /// Revoked, expired or used up.
    Spent,
}

impl InviteEntry {
    /// Whether the invite vouches for `public_key` and `name` at `now`.
    pub fn state(&self, public_key: &str, name: &str, now: i64) -> InviteState {
        if self.revoked || !unexpired(self.expires, now) {
            return InviteState::Spent;
        }
        if self.redeemed_by(public_key, name) {
            return InviteState::AlreadyRedeemed;
        }
        if self.uses_left == 0 {
            InviteState::Spent
        } else {
            InviteState::Usable
        }
    }

    /// Whether the invite can still be redeemed by anyone: not revoked, not expired,
    /// not used up. What a tenant's cap on invites counts.
    pub fn is_live(&self, now: i64) -> bool {
        !self.revoked && unexpired(self.expires, now) && self.uses_left > 0
    }

    fn redeemed_by(&self, public_key: &str, name: &str) -> bool {
        self.redemptions
            .iter()
            .any(|r| r.public_key == public_key && r.name == name)
    }

    /// The invite after one more use by `public_key` for `name`.
    pub fn redeemed(&self, public_key: &str, name: &str, now: i64) -> InviteEntry {
        let mut next = self.clone();
        next.uses_left = next.uses_left.saturating_sub(1);
        next.redemptions.push(Redemption {
            public_key: public_key.to_owned(),
            name: name.to_owned(),
            at: now,
        });
        next
    }

    /// The invite with the use by `public_key` for `name` given back (a reservation
    /// rolled back); `None` when there is no such use.
    pub fn unredeemed(&self, public_key: &str, name: &str) -> Option<InviteEntry> {
        let at = self
            .redemptions
            .iter()
            .position(|r| r.public_key == public_key && r.name == name)?;
        let mut next = self.clone();
        next.redemptions.remove(at);
        next.uses_left = next.uses_left.saturating_add(1).min(next.uses);
        Some(next)
    }

    /// What `evaluate` needs of it.
    pub fn grant(&self) -> policy::InviteGrant {
        policy::InviteGrant {
            tenant: self.tenant.clone(),
            name_pattern: self.name_pattern.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// The id of a token: lowercase hex SHA-256 of the whole token.
pub fn token_id(token: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

/// The bucket key of invite `id` of `tenant`: `<tenant>.<id>`.
pub fn invite_key(tenant: &str, id: &str) -> String {
    format!("{}.{id}", key_token(tenant))
}

/// The key filter of every invite of `tenant`: `<tenant>.*`.
pub fn tenant_invites_filter(tenant: &str) -> String {
    format!("{}.*", key_token(tenant))
}

/// The invite id in a bucket key (its last token).
pub fn id_of_key(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// Where a token's invite is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitePlace {
    /// The bucket key.
    pub key: String,
    /// The invite's id.
    pub id: String,
    /// The tenant's key token the token names; `None` for a legacy token.
    pub tenant: Option<String>,
}

/// Where the invite of `token` is stored, when `token` has the shape of a token this
/// service makes (checked before any lookup, so that arbitrary input never reaches the
/// bucket); `None` otherwise.
pub fn locate(token: &str) -> Option<InvitePlace> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (tenant, random) = match rest.rsplit_once('_') {
        Some((tenant, random)) => (Some(tenant), random),
        None => (None, rest),
    };
    let base32 = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    };
    if !base32(random) || tenant.is_some_and(|t| from_key_token(t).is_none()) {
        return None;
    }
    let id = token_id(token);
    Some(match tenant {
        Some(tenant) => InvitePlace {
            key: format!("{tenant}.{id}"),
            id,
            tenant: Some(tenant.to_owned()),
        },
        None => InvitePlace {
            key: id.clone(),
            id,
            tenant: None,
        },
    })
}

/// Whether `token` has the shape of a token this service makes (see [`locate`]).
pub fn is_token_shaped(token: &str) -> bool {
    locate(token).is_some()
}

/// Whether `id` is an invite id (64 lowercase hex characters).
pub fn is_invite_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A fresh token of `tenant` with 256 bits from the operating system's random source.
///
/// The bytes are those of a freshly generated nkey seed (nkeys draws them from the OS
/// CSPRNG), hashed so that the token reveals nothing about any key.
///
/// # Errors
/// When no key could be generated.
pub fn new_token(tenant: &str) -> Result<String, nkeys::error::Error> {
    let key = claims::KeyPair::new_user();
    let seed = key.seed()?;
    let random = Sha256::digest(seed.as_bytes());
    Ok(format!(
        "{TOKEN_PREFIX}{}_{}",
        key_token(tenant),
        data_encoding::BASE32_NOPAD.encode(&random)
    ))
}

/// Checks an invite's name pattern: 1 to [`MAX_PATTERN_LEN`] characters, each a
/// literal subject-token character or a glob `*`/`?`.
///
/// # Errors
/// A reason for the caller.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    let len = pattern.chars().count();
    if len == 0 || len > MAX_PATTERN_LEN {
        return Err(format!(
            "a name pattern has 1 to {MAX_PATTERN_LEN} characters"
        ));
    }
    if pattern
        .chars()
        .any(|c| c == '.' || c == '>' || c.is_whitespace() || c.is_control())
    {
        return Err(String::from(
            "a name pattern cannot hold `.`, `>`, whitespace or control characters",
        ));
    }
    Ok(())
}

/// Whether an invite read for a request can vouch for it.
pub fn invite_usable(invite: &InviteEntry, public_key: &str, name: &str, now: i64) -> bool {
    invite.state(public_key, name, now) != InviteState::Spent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(uses: u64) -> InviteEntry {
        InviteEntry {
            tenant: "acme".into(),
            name_pattern: "dev-*".into(),
            tags: vec!["invited:yes".into()],
            uses,
            uses_left: uses,
            expires: 1_000,
            created_at: 0,
            created_by: "UADMIN".into(),
            revoked: false,
            redemptions: Vec::new(),
        }
    }

    #[test]
    fn an_invite_is_used_up_expired_or_revoked_and_retries_are_not_second_uses() {
        let one = invite(1);
        assert_eq!(one.state("U1", "dev-a", 10), InviteState::Usable);
        let used = one.redeemed("U1", "dev-a", 10);
        assert_eq!(used.uses_left, 0);
        assert_eq!(used.state("U2", "dev-b", 10), InviteState::Spent);
        assert_eq!(used.state("U1", "dev-a", 10), InviteState::AlreadyRedeemed);
        assert_eq!(one.state("U1", "dev-a", 1_000), InviteState::Spent);
        let mut revoked = invite(3);
        revoked.revoked = true;
        assert_eq!(revoked.state("U1", "dev-a", 10), InviteState::Spent);
        let back = used.unredeemed("U1", "dev-a").unwrap();
        assert_eq!(back, one);
        assert!(one.unredeemed("U1", "dev-a").is_none());
    }

    #[test]
    fn tokens_are_random_well_shaped_and_stored_by_hash_under_their_tenant() {
        let a = new_token("acme_eu").unwrap();
        let b = new_token("acme_eu").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("inv_acme_eu_"), "{a}");
        assert_eq!(a.len(), "inv_acme_eu_".len() + 52);
        let place = locate(&a).unwrap();
        let id = token_id(&a);
        assert!(is_invite_id(&id));
        assert!(!id.contains(&a[12..]));
        assert_eq!(place.tenant.as_deref(), Some("acme_eu"));
        assert_eq!(place.key, invite_key("acme_eu", &id));
        assert_eq!(id_of_key(&place.key), id);
        assert_eq!(tenant_invites_filter("acme_eu"), "acme_eu.*");
        // Another tenant named in the token: another key, under that tenant's prefix.
        let forged = a.replacen("acme_eu", "globex", 1);
        let elsewhere = locate(&forged).unwrap();
        assert!(elsewhere.key.starts_with("globex.") && id_of_key(&elsewhere.key) != id);
        // A legacy token: the bare id.
        let legacy = format!("inv_{}", &a[12..]);
        let old = locate(&legacy).unwrap();
        assert_eq!(
            (old.key.as_str(), old.tenant),
            (token_id(&legacy).as_str(), None)
        );
        assert_eq!(id_of_key(&old.key), old.id);
        for bad in [
            "",
            "inv_",
            "inv_abc",
            "tok_ABC",
            "inv_AB C",
            "inv__ABC",
            "inv_acme_",
            "inv_a.b_ABC",
            "inv_a*_ABC",
            &"inv_A".repeat(40),
        ] {
            assert!(!is_token_shaped(bad), "{bad}");
        }
        assert!(!is_invite_id("ABC"));
    }

    #[test]
    fn live_invites_are_unrevoked_unexpired_and_not_used_up() {
        let one = invite(1);
        assert!(one.is_live(10));
        assert!(!one.is_live(1_000));
        assert!(!one.redeemed("U1", "dev-a", 10).is_live(10));
        let mut revoked = invite(2);
        revoked.revoked = true;
        assert!(!revoked.is_live(10));
    }

    #[test]
    fn patterns_are_single_token_globs() {
        assert!(check_pattern("dev-*").is_ok());
        assert!(check_pattern("*").is_ok());
        for bad in ["", "a.b", "a>", "a b", &"x".repeat(129)] {
            assert!(check_pattern(bad).is_err(), "{bad}");
        }
    }
}
