//! When to renew and how long to wait after a failure: pure arithmetic on the
//! credentials' issue and expiry times, the options and a random draw.

use std::hash::{BuildHasher as _, Hasher as _};
use std::time::Duration;

use crate::options::RenewalOptions;

/// A uniform draw in `[0, 1)`. Jitter needs no cryptographic randomness: std's
/// `RandomState` is seeded per process from the OS and differs per instance, which is
/// enough to keep clients started together apart.
pub fn unit_random() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    // The top 53 bits make an exact f64 in [0, 1).
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// How long from `now` (unix seconds, fractional) until credentials issued at `iat` and
/// expiring at `exp` should be renewed: at `fraction` of the lifetime, minus up to
/// `jitter` of it (`draw` in `[0, 1)` picks how much). Zero when that moment has passed;
/// `None` for credentials that never expire.
pub fn renew_in(
    iat: i64,
    exp: i64,
    now: f64,
    options: &RenewalOptions,
    draw: f64,
) -> Option<Duration> {
    if exp <= 0 {
        return None;
    }
    let lifetime = (exp - iat.min(exp)) as f64;
    let at = iat as f64 + lifetime * (options.fraction - options.jitter * draw.clamp(0.0, 1.0));
    Some(Duration::from_secs_f64((at - now).max(0.0)))
}

/// The wait before retry number `failures` (1 after the first failure): the minimum
/// doubled per earlier failure, capped at the maximum, then drawn from its upper half
/// (`draw` in `[0, 1)`), so it never drops below half the minimum and never spins.
pub fn backoff(failures: u32, options: &RenewalOptions, draw: f64) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    let base = options
        .backoff_min
        .saturating_mul(1u32 << doublings)
        .min(options.backoff_max);
    base.mul_f64(0.5 + 0.5 * draw.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> RenewalOptions {
        RenewalOptions::default().sanitized()
    }

    #[test]
    fn renewal_falls_at_the_fraction_less_at_most_the_jitter() {
        let o = options();
        // 10 s creds issued at 1000: at 1005 without jitter, 1004 with all of it.
        assert_eq!(
            renew_in(1000, 1010, 1000.0, &o, 0.0),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            renew_in(1000, 1010, 1000.0, &o, 0.999_999_9).map(|d| d.as_secs_f64().round()),
            Some(4.0)
        );
        // Loaded late: what is left; past the moment: at once.
        assert_eq!(
            renew_in(1000, 1010, 1003.5, &o, 0.0),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(renew_in(1000, 1010, 1009.0, &o, 0.0), Some(Duration::ZERO));
        assert_eq!(renew_in(1000, 0, 1000.0, &o, 0.0), None);
        for _ in 0..100 {
            let draw = unit_random();
            assert!((0.0..1.0).contains(&draw));
            let wait = renew_in(0, 3600, 0.0, &o, draw).unwrap();
            assert!(wait >= Duration::from_secs(1440) && wait <= Duration::from_secs(1800));
        }
    }

    #[test]
    fn backoff_doubles_to_the_cap_and_never_spins() {
        let o = options();
        assert_eq!(backoff(1, &o, 1.0), Duration::from_millis(500));
        assert_eq!(backoff(2, &o, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(4, &o, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(40, &o, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(1, &o, 0.0), Duration::from_millis(250));
        let spinning = RenewalOptions {
            backoff_min: Duration::ZERO,
            backoff_max: Duration::ZERO,
            ..RenewalOptions::default()
        }
        .sanitized();
        assert!(backoff(1, &spinning, 0.0) >= Duration::from_millis(5));
    }

    #[test]
    fn options_are_clamped() {
        let wild = RenewalOptions {
            fraction: 7.0,
            jitter: f64::NAN,
            ..RenewalOptions::default()
        }
        .sanitized();
        assert_eq!(wild.fraction, 0.95);
        assert_eq!(wild.jitter, 0.0);
    }
}
