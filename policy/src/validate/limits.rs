//! Checks of a tenant's name rules, credential lifetimes and rate limits.

use super::problems::Problems;
use crate::error::PolicyError;
use crate::names::{escape, Charset, CharsetError};
use crate::path::Path;
use crate::schema::{NamesConfig, RateLimitsConfig, TtlConfig};

/// The largest `names.max_len`.
pub const MAX_NAME_LEN: usize = 256;
/// The longest credential lifetime a policy may grant: ten years.
pub const MAX_TTL_SECS: u64 = 10 * 365 * 24 * 60 * 60;
/// The longest rate-limit window: thirty days.
pub const MAX_RATE_WINDOW_SECS: u64 = 30 * 24 * 60 * 60;

pub(super) fn names(config: &NamesConfig, at: &Path, problems: &mut Problems) -> Option<Charset> {
    let charset = match Charset::parse(&config.allowed_chars) {
        Ok(charset) => Some(charset),
        Err(err) => {
            let set = config.allowed_chars.clone();
            let error = match err {
                CharsetError::Invalid(reason) => PolicyError::Charset { set, reason },
                CharsetError::Unsafe(c) => PolicyError::UnsafeCharset {
                    set,
                    found: escape(c),
                },
            };
            problems.push(at.key("allowed_chars"), error);
            None
        }
    };
    let (min, max) = (config.min_len, config.max_len);
    if min < 1 || max < min || max > MAX_NAME_LEN {
        let limit = MAX_NAME_LEN;
        let key = if min < 1 { "min_len" } else { "max_len" };
        problems.push(at.key(key), PolicyError::NameLengths { min, max, limit });
    }
    if config.pattern.as_deref().is_some_and(str::is_empty) {
        problems.push(at.key("pattern"), PolicyError::Empty);
    }
    for (i, name) in config.reserved.iter().enumerate() {
        if name.is_empty() {
            problems.push(at.key("reserved").index(i), PolicyError::Empty);
        }
    }
    if config.reissue_to_other_key && !config.unique {
        let needs = "names.unique";
        problems.push(
            at.key("reissue_to_other_key"),
            PolicyError::NeedsEnabled { needs },
        );
    }
    charset
}

pub(super) fn ttl(config: &TtlConfig, at: &Path, problems: &mut Problems) {
    for (key, value) in [
        ("default_secs", config.default_secs),
        ("max_secs", config.max_secs),
    ] {
        if value == 0 || value > MAX_TTL_SECS {
            problems.push(
                at.key(key),
                PolicyError::OutOfRange {
                    value: value.to_string(),
                    reason: "a lifetime is 1 second to 10 years",
                },
            );
        }
    }
    if config.max_secs < config.default_secs {
        problems.push(
            at.key("max_secs"),
            PolicyError::TtlMaxBelowDefault {
                default: config.default_secs,
                max: config.max_secs,
            },
        );
    }
}

pub(super) fn rate_limits(config: &RateLimitsConfig, at: &Path, problems: &mut Problems) {
    if config.window_secs == 0 || config.window_secs > MAX_RATE_WINDOW_SECS {
        problems.push(
            at.key("window_secs"),
            PolicyError::OutOfRange {
                value: config.window_secs.to_string(),
                reason: "a window is 1 second to 30 days",
            },
        );
    }
    for (key, value) in [
        ("per_requester", config.per_requester),
        ("per_tenant", config.per_tenant),
    ] {
        if value == Some(0) {
            problems.push(at.key(key), PolicyError::ZeroLimit);
        }
    }
}
