//! What a slot's entry becomes when a JWT is issued for it: a renewal of the same key,
//! a new key for the same name (`reissue_to_other_key`, or an auth callout login, whose
//! key the server makes for each connection), or a first issuance.
//!
//! A name that moves to a new key remembers the keys it held whose JWTs may still be
//! valid ([`UserEntry::earlier_keys`]), so that revoking the name revokes every key it
//! ever held, not only the latest. The list is pruned of keys whose JWTs all expired at
//! every issuance, and bounded: past [`MAX_EARLIER_KEYS`] the key whose JWTs expire
//! soonest leaves the list. It is not forgotten: every key a slot moves away from is also
//! recorded on its own ([`left_key`], `logins`), and a revocation reads those records.
//! Auth callout logins are not listed here (`logins` records each one).
//!
//! Pure: the caller passes `now`.

use crate::entry::{unexpired, EarlierKey, Issuance, UserEntry};

/// The most earlier keys one entry remembers.
pub const MAX_EARLIER_KEYS: usize = 32;

/// The entry a slot holds after `issued`, given the entry it held (`old`, if any).
///
/// An auth callout login's entry covers its logins ahead ([`login_coverage`]): its
/// `exp` and quota lease run past the JWT just issued, so the logins that follow within
/// the JWT's lifetime are covered without writing (`covered_login`). Their keys are not
/// remembered here: each login records its own key (`logins`), which a revocation
/// reads.
pub fn next_entry(old: Option<&UserEntry>, issued: &Issuance, now: i64) -> UserEntry {
    let mut next = match old {
        Some(old) if old.public_key == issued.public_key => old.reissued(issued),
        Some(old) if old.per_connection && issued.per_connection => {
            let mut next = old.reissued(issued);
            next.public_key.clone_from(&issued.public_key);
            next
        }
        Some(old) => rekeyed(old, issued, now),
        None => issued.first_entry(),
    };
    if issued.per_connection {
        next.exp = login_coverage(issued.exp, now);
        next.max_exp = if next.exp == 0 || next.max_exp == 0 {
            0
        } else {
            next.max_exp.max(next.exp)
        };
    }
    next
}

/// How long an auth callout login's entry and lease run: twice the JWT's lifetime from
/// `now` (0: never expires). A user counts as active that much longer after its last
/// login, which errs on the quota's side.
pub fn login_coverage(exp: i64, now: i64) -> i64 {
    if exp == 0 {
        0
    } else {
        exp.saturating_add(exp.saturating_sub(now).max(0))
    }
}

/// Whether an auth callout login needs no write: the slot's entry is an unrevoked
/// login entry that covers the new JWT's expiry, and holds a lease where the tenant
/// has a quota.
pub fn covered_login(entry: Option<&UserEntry>, issued: &Issuance, has_quota: bool) -> bool {
    entry.is_some_and(|e| {
        issued.per_connection
            && e.per_connection
            && !e.revoked
            && (e.exp == 0 || (issued.exp != 0 && e.exp >= issued.exp))
            && (!has_quota || e.lease.is_some())
    })
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
    // A callout login's key is not listed: its login recorded it with its JWT's own
    // expiry, while the entry's runs on past it to cover the logins ahead.
    if old.may_be_valid(now) && !old.per_connection {
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

/// The client-held key the slot moves away from when `issued` replaces `old`, with the
/// latest expiry of its JWTs, when those may still be valid; `None` for a renewal of the
/// same key, for a first issuance and for a callout login's key (each login recorded its
/// own key, with its JWT's expiry).
pub fn left_key(old: Option<&UserEntry>, issued: &Issuance, now: i64) -> Option<EarlierKey> {
    let old = old?;
    let same_key = old.public_key == issued.public_key;
    (!same_key && !old.per_connection && old.may_be_valid(now)).then(|| EarlierKey {
        public_key: old.public_key.clone(),
        max_exp: old.max_exp,
    })
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
    fn a_login_covers_the_logins_that_follow_within_its_lifetime() {
        let mut login = issuance("U1", 1_000);
        login.per_connection = true;
        // JWT lifetime 600 s at 400: the entry runs to 1_600.
        let first = next_entry(None, &login, 400);
        assert_eq!((first.exp, first.max_exp), (1_600, 1_600));
        let mut next = issuance("U2", 1_500);
        next.per_connection = true;
        assert!(covered_login(Some(&first), &next, false));
        assert!(!covered_login(Some(&first), &next, true), "no lease yet");
        next.exp = 1_700;
        assert!(!covered_login(Some(&first), &next, false));
        let second = next_entry(Some(&first), &next, 1_100);
        assert_eq!((second.public_key.as_str(), second.exp), ("U2", 2_300));
        assert!(second.earlier_keys.is_empty());
        assert_eq!(second.issued, 2);
        // A request for a client-held key is never a covered login.
        assert!(!covered_login(Some(&second), &issuance("U3", 1_200), false));
        let mut revoked = second.clone();
        revoked.revoked = true;
        assert!(!covered_login(Some(&revoked), &next, false));
    }

    #[test]
    fn a_key_the_slot_leaves_is_recorded_while_its_jwts_may_be_valid() {
        let first = next_entry(None, &issuance("U1", 1_000), 100);
        assert_eq!(left_key(None, &issuance("U1", 1_000), 100), None);
        assert_eq!(left_key(Some(&first), &issuance("U1", 2_000), 200), None);
        let left = left_key(Some(&first), &issuance("U2", 2_000), 200);
        assert_eq!(
            left,
            Some(EarlierKey {
                public_key: "U1".into(),
                max_exp: 1_000
            })
        );
        assert_eq!(left_key(Some(&first), &issuance("U2", 2_000), 1_001), None);
        let mut login = issuance("ULOGIN", 1_000);
        login.per_connection = true;
        let held = next_entry(None, &login, 100);
        let mut next_login = issuance("ULOGIN2", 1_000);
        next_login.per_connection = true;
        assert_eq!(left_key(Some(&held), &next_login, 200), None);
        // A client key after a callout login: the login recorded its key itself, with
        // its JWT's expiry (the entry's runs on to cover the logins ahead).
        assert_eq!(
            left_key(Some(&held), &issuance("UCLIENT", 1_000), 200),
            None
        );
        let client = next_entry(Some(&held), &issuance("UCLIENT", 1_000), 200);
        assert!(client.earlier_keys.is_empty());
        assert!(!client.per_connection);
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
