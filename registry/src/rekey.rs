//! What a slot's entry becomes when a JWT is issued for it: a renewal of the same key,
//! a new key for the same name (`reissue_to_other_key`, or an auth callout login, whose
//! key the server makes for each connection), or a first issuance.
//!
//! A name that moves to a new key remembers the keys it held whose JWTs may still be
//! valid ([`UserEntry::earlier_keys`]), so that revoking the name revokes every key it
//! ever held, not only the latest. The list is pruned of keys whose JWTs all expired at
//! every issuance, and bounded: past [`MAX_EARLIER_KEYS`] the key whose JWTs expire
//! soonest is forgotten (its holder keeps working until then, even after a revocation).
//! Only auth callout logins of one name with long-lived JWTs and many connections reach
//! the bound.
//!
//! Pure: the caller passes `now`.

use crate::entry::{unexpired, EarlierKey, Issuance, UserEntry};

/// The most earlier keys one entry remembers.
pub const MAX_EARLIER_KEYS: usize = 32;

/// The entry a slot holds after `issued`, given the entry it held (`old`, if any).
pub fn next_entry(old: Option<&UserEntry>, issued: &Issuance, now: i64) -> UserEntry {
    match old {
        Some(old) if old.public_key == issued.public_key => old.reissued(issued),
        Some(old) => rekeyed(old, issued, now),
        None => issued.first_entry(),
    }
}

/// The entry after the name moved from `old`'s key to `issued`'s: a fresh record of the
/// new key, the issuance count carried on, and `old`'s keys kept while their JWTs may
/// still be valid.
fn rekeyed(old: &UserEntry, issued: &Issuance, now: i64) -> UserEntry {
    let mut earlier: Vec<EarlierKey> = old
        .earlier_keys
        .iter()
        .filter(|k| unexpired(k.max_exp, now) && k.public_key != issued.public_key)
        .cloned()
        .collect();
    if old.may_be_valid(now) {
        earlier.push(EarlierKey {
            public_key: old.public_key.clone(),
            max_exp: old.max_exp,
        });
    }
    if earlier.len() > MAX_EARLIER_KEYS {
        // Forget the keys whose JWTs expire soonest (0 never expires: kept longest).
        earlier.sort_by_key(|k| std::cmp::Reverse(expiry_order(k.max_exp)));
        earlier.truncate(MAX_EARLIER_KEYS);
    }
    let mut next = issued.first_entry();
    next.issued = old.issued.saturating_add(1);
    next.lease = old.lease;
    next.earlier_keys = earlier;
    next
}

/// Orders expiries with "never" (0) last.
fn expiry_order(exp: i64) -> i64 {
    if exp == 0 {
        i64::MAX
    } else {
        exp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuance(key: &str, exp: i64) -> Issuance {
        Issuance {
            tenant: "acme".into(),
            name: "alice".into(),
            public_key: key.into(),
            account: "AACME".into(),
            jti: format!("J{key}{exp}"),
            iat: 100,
            exp,
            issuer: "ASK".into(),
            request_id: "r".into(),
            per_connection: false,
        }
    }

    #[test]
    fn a_new_key_keeps_the_old_ones_while_their_jwts_may_be_valid() {
        let first = next_entry(None, &issuance("U1", 1_000), 100);
        let second = next_entry(Some(&first), &issuance("U2", 2_000), 200);
        assert_eq!(second.public_key, "U2");
        assert_eq!(second.issued, 2);
        assert_eq!(
            second.earlier_keys,
            [EarlierKey {
                public_key: "U1".into(),
                max_exp: 1_000
            }]
        );
        // U1's JWTs expired by 1_500: the third issuance forgets it.
        let third = next_entry(Some(&second), &issuance("U3", 3_000), 1_500);
        let keys: Vec<&str> = third
            .earlier_keys
            .iter()
            .map(|k| k.public_key.as_str())
            .collect();
        assert_eq!(keys, ["U2"]);
        // A renewal of the same key keeps the list.
        let renewed = next_entry(Some(&third), &issuance("U3", 4_000), 1_600);
        assert_eq!(renewed.earlier_keys, third.earlier_keys);
        assert_eq!(renewed.max_exp, 4_000);
    }

    #[test]
    fn the_list_is_bounded_forgetting_the_soonest_expiring() {
        let mut entry = next_entry(None, &issuance("U0", 0), 1);
        for i in 1..=(MAX_EARLIER_KEYS as i64 + 10) {
            entry = next_entry(Some(&entry), &issuance(&format!("U{i}"), 10_000 + i), 2);
        }
        assert_eq!(entry.earlier_keys.len(), MAX_EARLIER_KEYS);
        // The never-expiring first key is kept; the soonest-expiring ones went.
        assert!(entry.earlier_keys.iter().any(|k| k.public_key == "U0"));
        assert!(!entry.earlier_keys.iter().any(|k| k.public_key == "U1"));
    }
}
