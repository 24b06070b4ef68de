//! How long the server keeps each user entry and invite: every write of one carries its
//! lifetime (per-message TTL, `Nats-TTL`), so what is dead leaves its bucket by itself,
//! with no scan and no replica in charge of sweeping, and a renewal (a new write) sets a
//! new lifetime.
//!
//! - A user entry lives until every JWT it knows of has expired (its `max_exp`, the
//!   earlier keys' expiries, and the quota lease it holds, whichever is latest), plus a
//!   grace. A revoked entry, and one with a JWT that never expires, has no lifetime: a
//!   revoked name stays refused for good.
//! - A live invite lives until it expires. One revoked or used up lives at most
//!   [`SPENT_INVITE_KEEP_SECS`] more: long enough for a redemption's retry after a lost
//!   acknowledgement to find itself, and for its admin to see it listed as spent.
//!
//! Pure: the caller passes `now`.

use std::time::Duration;

use crate::entry::UserEntry;
use crate::invite::InviteEntry;

/// How long a revoked or used-up invite stays in its bucket, at most.
pub const SPENT_INVITE_KEEP_SECS: i64 = 60 * 60;

/// The latest of two expiries, where 0 means never.
fn later(a: i64, b: i64) -> i64 {
    if a == 0 || b == 0 {
        0
    } else {
        a.max(b)
    }
}

/// Until when a user entry must be kept (unix seconds), given the expiry of the quota
/// lease it holds (`lease_exp`, 0: never); `None` when it must be kept for good (revoked,
/// or a JWT that never expires).
pub fn user_keep_until(entry: &UserEntry, lease_exp: Option<i64>) -> Option<i64> {
    if entry.revoked {
        return None;
    }
    let until = entry
        .earlier_keys
        .iter()
        .map(|k| k.max_exp)
        .chain(lease_exp)
        .fold(entry.max_exp, later);
    (until != 0).then_some(until)
}

/// The lifetime to write `entry` with at `now`: until [`user_keep_until`] plus `grace`
/// (at least a second); `None` to keep it.
pub fn user_ttl(
    entry: &UserEntry,
    lease_exp: Option<i64>,
    now: i64,
    grace: Duration,
) -> Option<Duration> {
    let until = user_keep_until(entry, lease_exp)?;
    Some(seconds_from(now, until).saturating_add(grace))
}

/// The lifetime to write `invite` with at `now`: until it expires while it is live, and
/// at most [`SPENT_INVITE_KEEP_SECS`] once it is revoked, expired or used up (at least a
/// second); `None` for an invite that never expires and is live.
pub fn invite_ttl(invite: &InviteEntry, now: i64) -> Option<Duration> {
    let keep_spent = now.saturating_add(SPENT_INVITE_KEEP_SECS);
    let until = match (invite.is_live(now), invite.expires) {
        (true, 0) => return None,
        (true, expires) => expires,
        (false, 0) => keep_spent,
        (false, expires) => expires.min(keep_spent),
    };
    Some(seconds_from(now, until))
}

/// The whole seconds from `now` to `until`, at least one.
fn seconds_from(now: i64, until: i64) -> Duration {
    let secs = until.saturating_sub(now).max(1);
    Duration::from_secs(u64::try_from(secs).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::EarlierKey;

    fn user(max_exp: i64) -> UserEntry {
        UserEntry {
            tenant: "acme".into(),
            name: "alice".into(),
            public_key: "UALICE".into(),
            account: "AACME".into(),
            jti: "J".into(),
            iat: 10,
            exp: max_exp,
            max_exp,
            issuer: "S".into(),
            request_id: "r".into(),
            issued: 1,
            revoked: false,
            revoked_at: None,
            lease: None,
            per_connection: false,
            earlier_keys: Vec::new(),
        }
    }

    fn invite(uses_left: u64, expires: i64) -> InviteEntry {
        InviteEntry {
            tenant: "acme".into(),
            name_pattern: "*".into(),
            tags: Vec::new(),
            uses: 2,
            uses_left,
            expires,
            created_at: 0,
            created_by: "UADMIN".into(),
            revoked: false,
            redemptions: Vec::new(),
        }
    }

    const GRACE: Duration = Duration::from_secs(60);

    #[test]
    fn a_user_entry_lives_until_its_last_jwt_expires_plus_the_grace() {
        let entry = user(1_000);
        assert_eq!(user_keep_until(&entry, None), Some(1_000));
        assert_eq!(
            user_ttl(&entry, None, 400, GRACE),
            Some(Duration::from_secs(660))
        );
        // Expired already: the grace from now (a second at least without one).
        assert_eq!(
            user_ttl(&entry, None, 5_000, GRACE),
            Some(GRACE + Duration::from_secs(1))
        );
        assert_eq!(
            user_ttl(&entry, None, 5_000, Duration::ZERO),
            Some(Duration::from_secs(1))
        );
        // A JWT that never expires: kept.
        assert_eq!(user_ttl(&user(0), None, 400, GRACE), None);
    }

    #[test]
    fn a_revoked_entry_is_kept_for_good() {
        let mut entry = user(1_000);
        entry.revoked = true;
        entry.revoked_at = Some(500);
        assert_eq!(user_keep_until(&entry, None), None);
        assert_eq!(user_ttl(&entry, Some(2_000), 5_000, GRACE), None);
    }

    #[test]
    fn an_entry_outlives_its_quota_lease_and_its_earlier_keys() {
        let mut entry = user(1_000);
        assert_eq!(user_keep_until(&entry, Some(3_000)), Some(3_000));
        assert_eq!(user_keep_until(&entry, Some(500)), Some(1_000));
        assert_eq!(user_keep_until(&entry, Some(0)), None);
        entry.earlier_keys.push(EarlierKey {
            public_key: "UOLD".into(),
            max_exp: 2_000,
        });
        assert_eq!(user_keep_until(&entry, None), Some(2_000));
        entry.earlier_keys.push(EarlierKey {
            public_key: "UOLDER".into(),
            max_exp: 0,
        });
        assert_eq!(user_keep_until(&entry, None), None);
    }

    #[test]
    fn invites_live_until_they_expire_and_briefly_once_spent() {
        assert_eq!(
            invite_ttl(&invite(1, 1_000), 400),
            Some(Duration::from_secs(600))
        );
        // Used up: an hour at most, never past its expiry.
        let hour = Duration::from_secs(3_600);
        assert_eq!(invite_ttl(&invite(0, 100_000), 400), Some(hour));
        assert_eq!(
            invite_ttl(&invite(0, 1_000), 400),
            Some(Duration::from_secs(600))
        );
        let mut revoked = invite(2, 100_000);
        revoked.revoked = true;
        assert_eq!(invite_ttl(&revoked, 400), Some(hour));
        // Expired: a second.
        assert_eq!(
            invite_ttl(&invite(1, 1_000), 2_000),
            Some(Duration::from_secs(1))
        );
        // Never expiring and live: kept; spent: an hour.
        assert_eq!(invite_ttl(&invite(1, 0), 400), None);
        assert_eq!(invite_ttl(&invite(0, 0), 400), Some(hour));
    }
}
