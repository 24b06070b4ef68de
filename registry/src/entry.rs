//! What the registry stores, as values: issued users, and the keys they and the rate
//! counters are stored under. Quota leases are `lease`.
//!
//! Pure: no IO and no clock (`now` is an argument). The KV plumbing is `kv`; the invite
//! entry is `invite`.

use policy::{NameHolder, RegistryFacts};
use serde::{Deserialize, Serialize};

/// One issued user of a tenant: the last JWT minted for the name, and whether the name
/// was revoked. Stored as JSON under [`user_key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEntry {
    /// The tenant's name.
    pub tenant: String,
    /// The user name.
    pub name: String,
    /// The user's public key (`U…`).
    pub public_key: String,
    /// The tenant account's public key.
    pub account: String,
    /// The last JWT's id.
    pub jti: String,
    /// The last JWT's issue time, unix seconds.
    pub iat: i64,
    /// The last JWT's expiry, unix seconds (0: never).
    pub exp: i64,
    /// The latest expiry of every JWT issued for this name and key (0: one never
    /// expires); revocation pruning needs it, as a renewal may shorten `exp`.
    pub max_exp: i64,
    /// The signing key that signed the last JWT.
    pub issuer: String,
    /// The request that minted the last JWT.
    pub request_id: String,
    /// How many JWTs were issued for this name and key.
    pub issued: u64,
    /// Whether the name was revoked; a revoked name is never issued again.
    #[serde(default)]
    pub revoked: bool,
    /// When it was revoked, unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
    /// The quota lease the name holds, when its tenant has a quota (see `lease`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<u64>,
    /// Whether the server makes a new key for every connection of this user (an auth
    /// callout login): the name, not the key, is then who holds the slot.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_connection: bool,
    /// Keys the name held before `public_key` whose JWTs may still be valid, so that
    /// revoking the name revokes them too (`rekey`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_keys: Vec<EarlierKey>,
}

/// A key a name held before its current one, and the latest expiry of the JWTs issued to
/// it under that name (0: one never expires).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierKey {
    /// The user public key.
    pub public_key: String,
    /// The latest expiry of its JWTs.
    pub max_exp: i64,
}

impl UserEntry {
    /// Whether the last JWT is unexpired and the name is not revoked.
    pub fn is_active(&self, now: i64) -> bool {
        !self.revoked && unexpired(self.exp, now)
    }

    /// Whether some JWT of this entry may still be valid (pruning keeps its revocation).
    pub fn may_be_valid(&self, now: i64) -> bool {
        unexpired(self.max_exp, now)
    }

    /// The entry after one more issuance to the same key.
    pub fn reissued(&self, next: &Issuance) -> UserEntry {
        let max_exp = if self.max_exp == 0 || next.exp == 0 {
            0
        } else {
            self.max_exp.max(next.exp)
        };
        UserEntry {
            jti: next.jti.clone(),
            iat: next.iat,
            exp: next.exp,
            max_exp,
            issuer: next.issuer.clone(),
            request_id: next.request_id.clone(),
            issued: self.issued.saturating_add(1),
            ..self.clone()
        }
    }
}

/// One minted JWT, as the registry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuance {
    /// The tenant's name.
    pub tenant: String,
    /// The user name.
    pub name: String,
    /// The user's public key.
    pub public_key: String,
    /// The tenant account.
    pub account: String,
    /// The JWT's id.
    pub jti: String,
    /// Issue time.
    pub iat: i64,
    /// Expiry (0: never).
    pub exp: i64,
    /// The signing key.
    pub issuer: String,
    /// The request id.
    pub request_id: String,
    /// Whether the key was made by the server for one connection (auth callout).
    pub per_connection: bool,
}

impl Issuance {
    /// The entry of a first issuance.
    pub fn first_entry(&self) -> UserEntry {
        UserEntry {
            tenant: self.tenant.clone(),
            name: self.name.clone(),
            public_key: self.public_key.clone(),
            account: self.account.clone(),
            jti: self.jti.clone(),
            iat: self.iat,
            exp: self.exp,
            max_exp: self.exp,
            issuer: self.issuer.clone(),
            request_id: self.request_id.clone(),
            issued: 1,
            revoked: false,
            revoked_at: None,
            lease: None,
            per_connection: self.per_connection,
            earlier_keys: Vec::new(),
        }
    }
}

/// Whether an expiry (0: never) lies after `now`.
pub fn unexpired(exp: i64, now: i64) -> bool {
    exp == 0 || exp > now
}

/// Characters a KV key token may hold as they are.
fn plain_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A name as one KV key token: itself when it has only `A-Za-z0-9_-`, else `=` and the
/// lowercase hex of its UTF-8 (KV keys admit no other characters; names never hold `=`,
/// so the two forms cannot collide).
pub fn key_token(text: &str) -> String {
    if plain_token(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(1 + 2 * text.len());
    out.push('=');
    out.push_str(&data_encoding::HEXLOWER.encode(text.as_bytes()));
    out
}

/// The inverse of [`key_token`], when `token` is one.
pub fn from_key_token(token: &str) -> Option<String> {
    match token.strip_prefix('=') {
        Some(hex) => data_encoding::HEXLOWER
            .decode(hex.as_bytes())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => plain_token(token).then(|| token.to_owned()),
    }
}

/// A user's slot within its tenant: the name's token where names are unique, else the
/// name's token and the public key (several keys may then share a name).
pub fn user_slot(name: &str, public_key: &str, unique: bool) -> String {
    if unique {
        key_token(name)
    } else {
        format!("{}.{public_key}", key_token(name))
    }
}

/// What stands for the key in the slot of a user whose keys are made per connection
/// where names are not unique: every login of the name shares one slot (one user, one
/// quota lease), whatever key the server made. No user public key looks like it.
pub const PER_CONNECTION_SLOT: &str = "per-connection";

/// The slot of a user asking for `name` with `public_key`; see [`user_slot`] and
/// [`PER_CONNECTION_SLOT`].
pub fn asking_slot(name: &str, public_key: &str, per_connection: bool, unique: bool) -> String {
    let key = if per_connection {
        PER_CONNECTION_SLOT
    } else {
        public_key
    };
    user_slot(name, key, unique)
}

/// The slot a user entry occupies.
pub fn slot_of(entry: &UserEntry, unique: bool) -> String {
    asking_slot(&entry.name, &entry.public_key, entry.per_connection, unique)
}

/// The users bucket key of a slot: `<tenant>.<slot>`.
pub fn user_key(tenant: &str, slot: &str) -> String {
    format!("{}.{slot}", key_token(tenant))
}

/// The key filter listing every user of a tenant: `<tenant>.>`.
pub fn tenant_filter(tenant: &str) -> String {
    format!("{}.>", key_token(tenant))
}

/// The rate-limit window `now` falls in, for windows of `window_secs`.
pub fn rate_window(now: i64, window_secs: u64) -> i64 {
    let window = i64::try_from(window_secs.max(1)).unwrap_or(i64::MAX);
    now.div_euclid(window)
}

/// The counter key of a tenant (`requester` `None`) or of one requester in a tenant, for
/// one window: `<tenant>.<window>` or `<tenant>.<window>.<requester>`.
pub fn rate_key(tenant: &str, window: i64, requester: Option<&str>) -> String {
    match requester {
        None => format!("{}.{window}", key_token(tenant)),
        Some(r) => format!("{}.{window}.{}", key_token(tenant), key_token(r)),
    }
}

/// Who holds a slot, as the policy asks: nobody, the requesting key or another key.
/// `entry` is the slot's entry, if any. A login whose key the server made for the
/// connection holds a slot that earlier such logins of the name hold: the name is
/// the holder there, and the key is new every time.
pub fn name_holder(
    entry: Option<&UserEntry>,
    public_key: &str,
    per_connection: bool,
) -> NameHolder {
    match entry {
        None => NameHolder::Free,
        Some(e) if e.public_key == public_key => NameHolder::SameKey,
        Some(e) if e.per_connection && per_connection => NameHolder::SameKey,
        Some(_) => NameHolder::OtherKey,
    }
}

/// The facts `evaluate` reads, from what the registry holds. Counts are not read:
/// the reservation enforces quotas and rate limits exactly (`quota`, `counter`), so
/// the policy sees zero and decides the rest.
pub fn facts(entry: Option<&UserEntry>, public_key: &str, per_connection: bool) -> RegistryFacts {
    RegistryFacts {
        active_users: 0,
        issuances_by_requester: 0,
        issuances_by_tenant: 0,
        name_holder: name_holder(entry, public_key, per_connection),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuance(exp: i64) -> Issuance {
        Issuance {
            tenant: "acme".into(),
            name: "alice".into(),
            public_key: "UALICE".into(),
            account: "AACME".into(),
            jti: format!("J{exp}"),
            iat: 100,
            exp,
            issuer: "ASK".into(),
            request_id: "r".into(),
            per_connection: false,
        }
    }

    #[test]
    fn names_become_key_tokens_reversibly() {
        assert_eq!(key_token("alice_1-x"), "alice_1-x");
        assert_eq!(key_token("élan"), "=c3a96c616e");
        for name in ["alice", "élan", "a=b", "日本"] {
            assert_eq!(from_key_token(&key_token(name)).as_deref(), Some(name));
        }
        assert_eq!(from_key_token("=zz"), None);
        assert_eq!(
            user_key("acme", &user_slot("élan", "U1", true)),
            "acme.=c3a96c616e"
        );
        assert_eq!(user_slot("bob", "UKEY", false), "bob.UKEY");
        assert_eq!(tenant_filter("acme"), "acme.>");
        assert_eq!(rate_key("acme", 7, Some("UCALLER")), "acme.7.UCALLER");
        assert_eq!(rate_window(3599, 3600), 0);
        assert_eq!(rate_window(3600, 3600), 1);
    }

    #[test]
    fn entries_track_the_latest_expiry_across_renewals() {
        let first = issuance(1_000).first_entry();
        assert_eq!((first.issued, first.max_exp), (1, 1_000));
        let shorter = first.reissued(&issuance(900));
        assert_eq!(
            (shorter.exp, shorter.max_exp, shorter.issued),
            (900, 1_000, 2)
        );
        assert_eq!(shorter.jti, "J900");
        assert!(shorter.may_be_valid(950) && !shorter.is_active(950));
        let never = shorter.reissued(&issuance(0));
        assert_eq!(never.max_exp, 0);
        assert!(never.may_be_valid(i64::MAX));
    }

    #[test]
    fn facts_name_the_holder() {
        let entry = issuance(1_000).first_entry();
        assert_eq!(name_holder(None, "UALICE", false), NameHolder::Free);
        assert_eq!(
            name_holder(Some(&entry), "UALICE", false),
            NameHolder::SameKey
        );
        assert_eq!(
            name_holder(Some(&entry), "UBOB", false),
            NameHolder::OtherKey
        );
        // A callout login takes over only a name earlier callout logins held.
        assert_eq!(
            name_holder(Some(&entry), "UBOB", true),
            NameHolder::OtherKey
        );
        let mut login = entry.clone();
        login.per_connection = true;
        assert_eq!(name_holder(Some(&login), "UBOB", true), NameHolder::SameKey);
        assert_eq!(
            name_holder(Some(&login), "UBOB", false),
            NameHolder::OtherKey
        );
        assert_eq!(
            asking_slot("bob", "UKEY", true, false),
            "bob.per-connection"
        );
        assert_eq!(asking_slot("bob", "UKEY", true, true), "bob");
        let f = facts(Some(&entry), "UBOB", false);
        assert_eq!(f.name_holder, NameHolder::OtherKey);
        assert_eq!((f.active_users, f.issuances_by_tenant), (0, 0));
    }
}
