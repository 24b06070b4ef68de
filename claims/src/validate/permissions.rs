//! Permission and user-limit rules (Go `Permissions.Validate` and `Limits.Validate`):
//! permission subjects, source CIDRs as Go's `net.ParseCIDR` reads them, connect-time
//! windows as Go's `time.Parse("15:04:05")` reads them, and IANA time zones.
//!
//! Does not check allowed connection types, bearer or limit values: Go accepts any.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::subject::check_permission_subject;
use super::{TimeBound, ValidationError};
use crate::permissions::{Permission, TimeRange, UserPermissionLimits};

/// Go's `Permissions.Validate`: subscribe entries may carry a queue, publish entries not.
/// (Go accepts any response permission.)
pub(crate) fn check_permissions(
    publish: &Permission,
    subscribe: &Permission,
    errors: &mut Vec<ValidationError>,
) {
    for entry in subscribe.allow.iter().chain(&subscribe.deny) {
        check_permission_subject(entry, true, errors);
    }
    for entry in publish.allow.iter().chain(&publish.deny) {
        check_permission_subject(entry, false, errors);
    }
}

/// Go's `User.Validate` body: permissions, then `src`, `times` and `times_location`.
pub(crate) fn check_user_permission_limits(
    limits: &UserPermissionLimits,
    errors: &mut Vec<ValidationError>,
) {
    check_permissions(&limits.publish, &limits.subscribe, errors);
    for cidr in &limits.src.0 {
        if !is_go_cidr(cidr) {
            errors.push(ValidationError::InvalidCidr(cidr.clone()));
        }
    }
    for range in &limits.times {
        check_time_range(range, errors);
    }
    let zone = &limits.times_location;
    if !zone.is_empty() && !is_go_location(zone) {
        errors.push(ValidationError::InvalidTimeZone(zone.clone()));
    }
}

fn check_time_range(range: &TimeRange, errors: &mut Vec<ValidationError>) {
    for (bound, value) in [
        (TimeBound::Start, &range.start),
        (TimeBound::End, &range.end),
    ] {
        if value.is_empty() {
            errors.push(ValidationError::MissingTime(bound));
        } else if !is_go_clock_time(value) {
            errors.push(ValidationError::InvalidTime {
                bound,
                value: value.clone(),
            });
        }
    }
}

/// Go's `net.ParseCIDR`: an IPv4 (no leading zeros) or IPv6 address without zone, `/`, and
/// a decimal prefix length (leading zeros allowed) no longer than the address.
pub(crate) fn is_go_cidr(text: &str) -> bool {
    let Some((addr, prefix)) = text.split_once('/') else {
        return false;
    };
    let bits = if addr.parse::<Ipv4Addr>().is_ok() {
        32
    } else if addr.parse::<Ipv6Addr>().is_ok() {
        128
    } else {
        return false;
    };
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // Go's `dtoi` gives up at 2^24; any such length is too long anyway.
    let significant = prefix.trim_start_matches('0');
    significant.len() <= 3 && significant.parse::<u32>().unwrap_or(0) <= bits
}

/// Go's `time.Parse("15:04:05", text)`: hour of one or two digits (0–23), two-digit
/// minutes and seconds (0–59), then optionally `.` or `,` and fraction digits.
pub(crate) fn is_go_clock_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digit = |i: usize| {
        bytes
            .get(i)
            .copied()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
    };
    let (hour, mut at) = match (digit(0), digit(1)) {
        (Some(tens), Some(ones)) => (tens * 10 + ones, 2),
        (Some(ones), None) => (ones, 1),
        _ => return false,
    };
    if hour > 23 {
        return false;
    }
    for _ in 0..2 {
        if bytes.get(at) != Some(&b':') {
            return false;
        }
        match (digit(at + 1), digit(at + 2)) {
            (Some(tens), Some(ones)) if tens * 10 + ones <= 59 => at += 3,
            _ => return false,
        }
    }
    // A fraction is accepted after the seconds even though the layout has none.
    if matches!(bytes.get(at), Some(b'.' | b',')) && digit(at + 1).is_some() {
        at += 1;
        while digit(at).is_some() {
            at += 1;
        }
    }
    at == bytes.len()
}

/// Go's `time.LoadLocation`: `UTC`, `Local` or a zone of the IANA database (by exact name).
pub(crate) fn is_go_location(name: &str) -> bool {
    name == "UTC" || name == "Local" || name.parse::<chrono_tz::Tz>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::CidrList;

    fn user_errors(f: impl FnOnce(&mut UserPermissionLimits)) -> Vec<ValidationError> {
        let mut limits = UserPermissionLimits::unlimited();
        f(&mut limits);
        let mut errors = Vec::new();
        check_user_permission_limits(&limits, &mut errors);
        errors
    }

    #[test]
    fn cidrs_follow_go_parse_cidr() {
        for good in [
            "10.0.0.0/8",
            "0.0.0.0/0",
            "::1/128",
            "fe80::/10",
            "10.0.0.0/08",
        ] {
            assert!(is_go_cidr(good), "{good}");
        }
        for bad in [
            "010.0.0.0/8",
            "10.0.0.300/8",
            "not-a-cidr",
            "10.0.0.0",
            "10.0.0.0/33",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "fe80::1%eth0/64",
            "10.0.0.0/99999999999",
        ] {
            assert!(!is_go_cidr(bad), "{bad}");
        }
    }

    #[test]
    fn clock_times_follow_go_time_parse() {
        for good in [
            "8:00:00",
            "08:00:00",
            "23:59:59",
            "12:00:00.5",
            "12:00:00,123456789012",
        ] {
            assert!(is_go_clock_time(good), "{good}");
        }
        for bad in [
            "24:00:00",
            "25:00:00",
            "8:0:00",
            "08:60:00",
            "08:00:60",
            "08:00",
            "123:00:00",
            "12:00:00.",
            "12:00:00Z",
            "-1:00:00",
            "",
        ] {
            assert!(!is_go_clock_time(bad), "{bad}");
        }
    }

    #[test]
    fn zones_follow_go_load_location() {
        for good in [
            "UTC",
            "Local",
            "Europe/Berlin",
            "America/New_York",
            "US/Eastern",
        ] {
            assert!(is_go_location(good), "{good}");
        }
        for bad in ["Mars/Olympus", "europe/berlin", "../etc/passwd"] {
            assert!(!is_go_location(bad), "{bad}");
        }
    }

    #[test]
    fn invalid_cidr() {
        let errors = user_errors(|l| l.src = CidrList(vec!["010.0.0.0/8".into()]));
        assert!(matches!(
            errors.as_slice(),
            [ValidationError::InvalidCidr(_)]
        ));
    }

    #[test]
    fn missing_time() {
        let errors = user_errors(|l| l.times = vec![TimeRange::default()]);
        assert!(matches!(
            errors.as_slice(),
            [
                ValidationError::MissingTime(TimeBound::Start),
                ValidationError::MissingTime(TimeBound::End)
            ]
        ));
    }

    #[test]
    fn invalid_time() {
        let errors = user_errors(|l| {
            l.times = vec![TimeRange {
                start: "8:00:00".into(),
                end: "24:00:00".into(),
            }]
        });
        assert!(matches!(
            errors.as_slice(),
            [ValidationError::InvalidTime {
                bound: TimeBound::End,
                ..
            }]
        ));
    }

    #[test]
    fn invalid_time_zone() {
        let errors = user_errors(|l| l.times_location = "Mars/Olympus".into());
        assert!(matches!(
            errors.as_slice(),
            [ValidationError::InvalidTimeZone(_)]
        ));
    }

    #[test]
    fn subscribe_is_checked_before_publish() {
        let errors = user_errors(|l| {
            l.publish.deny = vec!["p q".into()];
            l.subscribe.allow = vec!["".into()];
        });
        assert!(matches!(
            errors.as_slice(),
            [
                ValidationError::EmptySubject,
                ValidationError::QueueNotAllowed(_)
            ]
        ));
    }

    #[test]
    fn display_texts_are_pinned() {
        let cases = [
            (
                ValidationError::InvalidCidr("x".into()),
                "invalid cidr `x` in src limits",
            ),
            (
                ValidationError::MissingTime(TimeBound::Start),
                "time range has no start",
            ),
            (
                ValidationError::InvalidTime {
                    bound: TimeBound::End,
                    value: "24:00:00".into(),
                },
                "time range end `24:00:00` is not a valid time",
            ),
            (
                ValidationError::InvalidTimeZone("Mars/Olympus".into()),
                "unknown time zone `Mars/Olympus`",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
