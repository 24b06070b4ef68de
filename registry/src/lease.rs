//! The quota as leases, as values: a tenant with `quotas.max_active_users = N` has N
//! lease keys, `<tenant>.<0..N>`; an active user holds one (its user entry names the
//! index) until its last JWT expires. Taking a lease is a create or a compare-and-set of
//! one key, so at most N users are active at once across every replica, and no key is
//! written by every issuance of a tenant: issuances contend only when they draw the
//! same index, which is rare while the tenant is far from its quota.
//!
//! Pure: no IO and no clock (`now` is an argument). Taking and giving back is `quota`.

use serde::{Deserialize, Serialize};

use crate::entry::{key_token, unexpired};

/// One lease: which user slot holds it, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The holder's slot (see [`crate::entry::user_slot`]).
    pub slot: String,
    /// Expiry of the holder's last JWT, unix seconds (0: never).
    pub exp: i64,
}

impl Lease {
    /// Whether the lease still counts against the quota at `now`.
    pub fn is_held(&self, now: i64) -> bool {
        unexpired(self.exp, now)
    }

    /// The lease after its holder was issued a JWT expiring at `exp`: it lasts as long
    /// as the longest of them.
    pub fn renewed(&self, exp: i64) -> Lease {
        let exp = if self.exp == 0 || exp == 0 {
            0
        } else {
            self.exp.max(exp)
        };
        Lease {
            slot: self.slot.clone(),
            exp,
        }
    }
}

/// The key of lease `index` of `tenant`: `<tenant>.<index>`.
pub fn lease_key(tenant: &str, index: u64) -> String {
    format!("{}.{index}", key_token(tenant))
}

/// The key filter listing every lease of `tenant`: `<tenant>.*`.
pub fn lease_filter(tenant: &str) -> String {
    format!("{}.*", key_token(tenant))
}

/// The index in a lease key, if it is one.
pub fn lease_index(key: &str) -> Option<u64> {
    key.rsplit_once('.')
        .and_then(|(_, index)| index.parse().ok())
}

/// The `k`-th index below `max` (at least 1) that `slot` tries: spread like a random
/// draw, so that concurrent issuances of different users rarely draw the same lease, but
/// the same for the same slot on every replica, so that a retry after an unknown
/// outcome (a lost acknowledgement) finds the lease its first attempt took.
pub fn slot_index(slot: &str, k: u64, max: u64) -> u64 {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::new()
        .chain_update(slot.as_bytes())
        .chain_update(k.to_be_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    u64::from_be_bytes(first) % max.max(1)
}

/// An index below `n` (at least 1) drawn at random; the draw need not be secret, only
/// spread.
pub fn random_index(n: u64) -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    hasher.write_u32(nanos);
    hasher.finish() % n.max(1)
}

/// Up to `want` indices below `max` that no key in `taken` (sorted) holds, starting at
/// `start` and wrapping around: where to look for a free lease once random draws keep
/// finding held ones.
pub fn free_indices(taken: &[u64], max: u64, start: u64, want: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(want);
    let max = max.max(1);
    let mut index = start % max;
    for _ in 0..max {
        if out.len() >= want {
            break;
        }
        if taken.binary_search(&index).is_err() {
            out.push(index);
        }
        index = (index + 1) % max;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_last_as_long_as_the_longest_jwt() {
        let lease = Lease {
            slot: "alice".into(),
            exp: 100,
        };
        assert!(lease.is_held(99) && !lease.is_held(100));
        assert_eq!(lease.renewed(50).exp, 100);
        assert_eq!(lease.renewed(200).exp, 200);
        assert_eq!(lease.renewed(0).exp, 0);
        assert!(lease.renewed(0).is_held(i64::MAX));
    }

    #[test]
    fn keys_name_the_tenant_and_the_index() {
        assert_eq!(lease_key("acme", 7), "acme.7");
        assert_eq!(lease_key("élan", 0), "=c3a96c616e.0");
        assert_eq!(lease_filter("acme"), "acme.*");
        assert_eq!(lease_index("acme.42"), Some(42));
        assert_eq!(lease_index("acme"), None);
    }

    #[test]
    fn free_indices_skip_taken_ones_and_wrap_around() {
        assert_eq!(free_indices(&[0, 1, 3], 5, 0, 10), vec![2, 4]);
        assert_eq!(free_indices(&[0, 1, 3], 5, 4, 10), vec![4, 2]);
        assert_eq!(free_indices(&[0, 1, 2], 3, 1, 10), Vec::<u64>::new());
        assert_eq!(free_indices(&[], 1_000_000, 999_999, 2), vec![999_999, 0]);
        assert!(random_index(10) < 10);
        assert_eq!(slot_index("alice", 0, 1_000), slot_index("alice", 0, 1_000));
        assert_ne!(
            slot_index("alice", 0, 1 << 40),
            slot_index("alice", 1, 1 << 40)
        );
        assert!(slot_index("bob", 3, 7) < 7);
        assert_eq!(random_index(0), 0);
    }
}
