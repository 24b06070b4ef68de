//! The portal's own request limit per identity: a caller whose token verified (issuer and
//! subject of the token) may make `per_minute` API requests a minute, a tenth of them at
//! once (at least one). Past it: `429 rate_limited` with `Retry-After` the real wait in
//! whole seconds (at least 1), before any NATS call.
//!
//! This protects the portal and the NATS server from one caller; it is not the policy's
//! issuance limits (`rate_limits` of a tenant), which the provisioner enforces on every
//! credential request however it arrives. Callers without a valid token are refused
//! with `401` before they reach this limit, so it is keyed only by verified identities.
//!
//! The key is the SHA-256 of issuer and subject: fixed size whatever the token says, and
//! no subject kept in memory. Idle identities are forgotten by [`IdentityLimiter::retain`],
//! which `serve` calls periodically (`governor`'s `retain_recent`).

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;

/// Requests a minute per identity by default.
pub const DEFAULT_RATE_PER_IDENTITY: u32 = 600;

/// The key of an identity: SHA-256 of `issuer \0 subject`.
pub type IdentityKey = [u8; 32];

/// The limiter; `C` is the clock (a fake one in tests).
pub struct IdentityLimiter<C: Clock = DefaultClock> {
    limiter:
        RateLimiter<IdentityKey, HashMapStateStore<IdentityKey>, C, NoOpMiddleware<C::Instant>>,
    per_minute: u32,
}

impl<C: Clock> std::fmt::Debug for IdentityLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityLimiter")
            .field("per_minute", &self.per_minute)
            .field("identities", &self.limiter.len())
            .finish()
    }
}

/// The burst a rate allows: a tenth of a minute's budget, at least one request.
pub fn burst_of(per_minute: u32) -> u32 {
    (per_minute / 10).max(1)
}

impl IdentityLimiter<DefaultClock> {
    /// A limiter of `per_minute` requests a minute per identity; `None` for 0 (off).
    pub fn new(per_minute: u32) -> Option<Self> {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> IdentityLimiter<C> {
    /// As [`IdentityLimiter::new`] on `clock`.
    pub fn with_clock(per_minute: u32, clock: C) -> Option<Self> {
        let rate = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new(burst_of(per_minute))?;
        let quota = Quota::per_minute(rate).allow_burst(burst);
        Some(IdentityLimiter {
            limiter: RateLimiter::hashmap_with_clock(quota, clock),
            per_minute,
        })
    }

    /// Counts one request of `key`.
    ///
    /// # Errors
    /// `429 rate_limited` with the wait until the next request would pass.
    pub fn admit(&self, key: &IdentityKey) -> Result<(), ApiError> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let retry_after_secs = secs.max(1);
            ApiError::RateLimited {
                retry_after_secs,
                reason: format!(
                    "too many requests from this identity (at most {} a minute); try again \
                     in {retry_after_secs} s",
                    self.per_minute
                ),
            }
        })
    }

    /// Forgets identities whose budget is full again, and frees their memory.
    pub fn retain(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// Identities remembered.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

/// The claims that name an identity.
#[derive(Deserialize)]
struct Subject {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    sub: String,
}

/// The key of a token that has been verified (its payload is then trustworthy); `None`
/// when it has no readable payload, which a verified token always has.
pub fn identity_key(verified_token: &str) -> Option<IdentityKey> {
    let payload = verified_token.split('.').nth(1)?;
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(payload.trim_end_matches('=').as_bytes())
        .ok()?;
    let subject: Subject = serde_json::from_slice(&bytes).ok()?;
    Some(key_of(&subject.iss, &subject.sub))
}

/// The key of `issuer` and `subject`.
pub fn key_of(issuer: &str, subject: &str) -> IdentityKey {
    let mut hash = Sha256::new();
    hash.update(issuer.as_bytes());
    hash.update([0]);
    hash.update(subject.as_bytes());
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use governor::clock::FakeRelativeClock;

    use super::*;

    fn token(claims: &str) -> String {
        let body = data_encoding::BASE64URL_NOPAD.encode(claims.as_bytes());
        format!("eyJhbGciOiJFZERTQSJ9.{body}.c2ln")
    }

    #[test]
    fn the_key_is_issuer_and_subject() {
        let a = identity_key(&token(r#"{"iss":"https://idp","sub":"dana","exp":1}"#)).unwrap();
        let same = identity_key(&token(r#"{"sub":"dana","iss":"https://idp","exp":2}"#));
        let other_sub = identity_key(&token(r#"{"iss":"https://idp","sub":"erin"}"#));
        let other_iss = identity_key(&token(r#"{"iss":"https://idp2","sub":"dana"}"#));
        assert_eq!(Some(a), same);
        assert_ne!(Some(a), other_sub);
        assert_ne!(Some(a), other_iss);
        // The separator keeps `ab`+`c` apart from `a`+`bc`.
        assert_ne!(
            identity_key(&token(r#"{"iss":"ab","sub":"c"}"#)),
            identity_key(&token(r#"{"iss":"a","sub":"bc"}"#))
        );
        assert_eq!(identity_key("garbage"), None);
    }

    #[test]
    fn zero_is_off() {
        assert!(IdentityLimiter::new(0).is_none());
        assert_eq!(burst_of(600), 60);
        assert_eq!(burst_of(5), 1);
    }

    #[test]
    fn past_the_burst_the_wait_is_told_in_whole_seconds() {
        let clock = FakeRelativeClock::default();
        // 60 a minute: one a second, a burst of 6.
        let limiter = IdentityLimiter::with_clock(60, clock.clone()).unwrap();
        let dana = [1u8; 32];
        let erin = [2u8; 32];
        for _ in 0..6 {
            limiter.admit(&dana).unwrap();
        }
        let refused = limiter.admit(&dana).unwrap_err();
        assert_eq!(refused.code(), "rate_limited");
        assert_eq!(refused.status().as_u16(), 429);
        assert!(
            matches!(
                refused,
                ApiError::RateLimited {
                    retry_after_secs: 1,
                    ..
                }
            ),
            "{refused:?}"
        );
        // Another identity has its own budget.
        limiter.admit(&erin).unwrap();
        clock.advance(Duration::from_millis(1_000));
        limiter.admit(&dana).unwrap();
        assert!(limiter.admit(&dana).is_err());
        assert_eq!(limiter.len(), 2);
        // Once every budget is full again, nobody is remembered.
        clock.advance(Duration::from_secs(60));
        limiter.retain();
        assert!(limiter.is_empty());
    }

    #[test]
    fn a_slow_rate_tells_a_long_wait() {
        let clock = FakeRelativeClock::default();
        // 6 a minute: one every 10 s, a burst of 1.
        let limiter = IdentityLimiter::with_clock(6, clock.clone()).unwrap();
        let key = [7u8; 32];
        limiter.admit(&key).unwrap();
        clock.advance(Duration::from_millis(2_500));
        match limiter.admit(&key) {
            Err(ApiError::RateLimited {
                retry_after_secs, ..
            }) => assert_eq!(retry_after_secs, 8), // 7.5 s, rounded up
            other => panic!("{other:?}"),
        }
    }
}
