//! Which entries an account JWT's `revocations` needs, from what the registry knows.
//!
//! A revocation of user key K at time T refuses every JWT of K issued at or before T.
//! It can go once every such JWT has expired anyway; the registry knows, per key, the
//! latest expiry of every JWT it issued (`max_exp`). So:
//! - an entry for a key the registry knows is kept while some JWT of that key may still
//!   be valid, and pruned after;
//! - an entry for a key the registry does not know (revoked with `nsc`, or a user this
//!   provisioner did not mint) is kept: nothing says its JWTs expire;
//! - an entry at or before the `*` (all users) entry is covered by it and pruned, as
//!   Go's `MaybeCompact` does;
//! - every revoked registry entry whose JWTs may still be valid is added (at its
//!   revocation time), so that a push always carries every revocation the registry
//!   holds, whichever replica pushes last.
//!
//! Pure: the caller reads the JWT and the registry and passes `now`.

use std::collections::{BTreeMap, HashMap};

use crate::entry::{unexpired, UserEntry};

/// The key of the "all users" revocation.
pub const REVOKE_ALL: &str = "*";

/// What the registry knows of one user key across its entries in a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFacts {
    /// The latest expiry of any of its JWTs (0: one never expires).
    pub max_exp: i64,
    /// The latest revocation time of a revoked entry of this key, if any.
    pub revoked_at: Option<i64>,
}

/// Folds a tenant's entries into facts per user key.
pub fn key_facts<'a>(
    entries: impl IntoIterator<Item = &'a UserEntry>,
) -> HashMap<String, KeyFacts> {
    let mut out: HashMap<String, KeyFacts> = HashMap::new();
    for e in entries {
        let revoked_at = e.revoked.then_some(e.revoked_at.unwrap_or(e.iat));
        // A name's earlier keys are revoked with it (`rekey`).
        let earlier = e.earlier_keys.iter().map(|k| (&k.public_key, k.max_exp));
        for (key, max_exp) in std::iter::once((&e.public_key, e.max_exp)).chain(earlier) {
            let facts = out.entry(key.clone()).or_insert(KeyFacts {
                max_exp,
                revoked_at,
            });
            facts.max_exp = if facts.max_exp == 0 || max_exp == 0 {
                0
            } else {
                facts.max_exp.max(max_exp)
            };
            facts.revoked_at = match (facts.revoked_at, revoked_at) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
    }
    out
}

/// The outcome of [`desired_revocations`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocations {
    /// The map the account JWT should carry.
    pub map: BTreeMap<String, i64>,
    /// How many entries were pruned.
    pub pruned: usize,
    /// How many entries were added from the registry.
    pub added: usize,
}

/// The revocations an account JWT should carry, given its `current` map and the
/// registry's `known` keys, at `now`.
pub fn desired_revocations(
    current: &BTreeMap<String, i64>,
    known: &HashMap<String, KeyFacts>,
    now: i64,
) -> Revocations {
    let all = current.get(REVOKE_ALL).copied();
    let mut map = BTreeMap::new();
    let mut pruned = 0;
    for (key, at) in current {
        let covered = key != REVOKE_ALL && all.is_some_and(|all| *at <= all);
        let expired = known.get(key).is_some_and(|k| !unexpired(k.max_exp, now));
        if covered || expired {
            pruned += 1;
        } else {
            map.insert(key.clone(), *at);
        }
    }
    let mut added = 0;
    for (key, facts) in known {
        let Some(at) = facts.revoked_at else { continue };
        if !unexpired(facts.max_exp, now) || all.is_some_and(|all| at <= all) {
            continue;
        }
        let entry = map.entry(key.clone()).or_insert_with(|| {
            added += 1;
            at
        });
        if *entry < at {
            *entry = at;
        }
    }
    Revocations { map, pruned, added }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, max_exp: i64, revoked_at: Option<i64>) -> UserEntry {
        UserEntry {
            tenant: "acme".into(),
            name: format!("n{key}"),
            public_key: key.into(),
            account: "A".into(),
            jti: "J".into(),
            iat: 10,
            exp: max_exp,
            max_exp,
            issuer: "S".into(),
            request_id: "r".into(),
            issued: 1,
            revoked: revoked_at.is_some(),
            revoked_at,
            lease: None,
            per_connection: false,
            earlier_keys: Vec::new(),
        }
    }

    #[test]
    fn expired_known_keys_go_unknown_keys_stay_live_revocations_are_added() {
        let entries = [
            entry("UEXPIRED", 100, Some(50)),
            entry("ULIVE", 1_000, Some(60)),
            entry("UNEW", 1_000, Some(70)),
            entry("UNOTREVOKED", 1_000, None),
        ];
        let known = key_facts(entries.iter());
        let current: BTreeMap<String, i64> = [
            ("UEXPIRED".to_owned(), 50),
            ("ULIVE".to_owned(), 60),
            ("UFOREIGN".to_owned(), 1),
        ]
        .into();
        let r = desired_revocations(&current, &known, 500);
        assert_eq!(r.pruned, 1);
        assert_eq!(r.added, 1);
        let keys: Vec<&str> = r.map.keys().map(String::as_str).collect();
        assert_eq!(keys, ["UFOREIGN", "ULIVE", "UNEW"]);
        assert_eq!(r.map.get("UNEW"), Some(&70));
    }

    #[test]
    fn a_revoked_names_earlier_keys_are_revoked_with_it() {
        let mut moved = entry("UNOW", 1_000, Some(60));
        moved.earlier_keys = vec![crate::entry::EarlierKey {
            public_key: "UBEFORE".into(),
            max_exp: 800,
        }];
        let known = key_facts([moved].iter());
        let r = desired_revocations(&BTreeMap::new(), &known, 500);
        assert_eq!(r.map.get("UBEFORE"), Some(&60));
        assert_eq!(r.map.get("UNOW"), Some(&60));
        // Once the earlier key's JWTs expired it is not added.
        let r = desired_revocations(&BTreeMap::new(), &known, 900);
        assert_eq!(r.map.keys().collect::<Vec<_>>(), ["UNOW"]);
    }

    #[test]
    fn entries_covered_by_the_all_users_entry_are_pruned() {
        let current: BTreeMap<String, i64> = [
            ("*".to_owned(), 100),
            ("UOLD".to_owned(), 90),
            ("UNEWER".to_owned(), 110),
        ]
        .into();
        let r = desired_revocations(&current, &HashMap::new(), 0);
        assert_eq!(r.pruned, 1);
        assert_eq!(r.map.len(), 2);
    }

    #[test]
    fn a_key_with_a_never_expiring_jwt_is_never_pruned() {
        let known = key_facts([entry("UK", 100, Some(5)), entry("UK", 0, None)].iter());
        assert_eq!(known.get("UK").map(|k| k.max_exp), Some(0));
        let current: BTreeMap<String, i64> = [("UK".to_owned(), 5)].into();
        assert_eq!(
            desired_revocations(&current, &known, i64::MAX - 1).pruned,
            0
        );
    }

    #[test]
    fn thousands_of_expired_entries_prune_to_nothing() {
        let entries: Vec<UserEntry> = (0..5_000)
            .map(|i| entry(&format!("U{i}"), 100, Some(50)))
            .collect();
        let known = key_facts(entries.iter());
        let current: BTreeMap<String, i64> = (0..5_000).map(|i| (format!("U{i}"), 50)).collect();
        let r = desired_revocations(&current, &known, 101);
        assert_eq!((r.pruned, r.map.len()), (5_000, 0));
    }
}
