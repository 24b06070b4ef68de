//! The nats-server versions `provisioner serve` will serve on.
//!
//! The credential request door trusts the `Nats-Request-Info` header: a request that
//! crossed a tenant's import carries the account (and, with `share`, the user) the server
//! says it came from. That holds only where the server removes a header a client or a
//! leaf node sent and writes its own. Before 2.11.15 and 2.12.6 it did not always:
//! leaf node connections could pass identity claims through unchecked (CVE-2026-33246,
//! GHSA-55h8-8g96-x4hj) and the stripping of client-sent headers was incomplete
//! (CVE-2026-33223, GHSA-pwx7-fx9r-hr4h). Both are fixed in 2.11.15 on the 2.11 line and
//! in 2.12.6 on the 2.12 line; every later line has the fix, and 2.10 and older lines
//! never got it.
//!
//! Pure: the caller reads the version the server announced in its `INFO`.

use thiserror::Error;

/// The first fixed patch release of each line that got the fix: (minor, patch) of 2.x.
const FIXED_IN: [(u64, u64); 2] = [(11, 15), (12, 6)];
/// The first 2.x line released with the fix from its start.
const FIXED_LINE: u64 = 13;

/// A server version: `major.minor.patch`, optionally with a pre-release (`-RC.1`) or
/// build (`+abc`) suffix, and an optional leading `v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
    /// Whether it is a pre-release of `major.minor.patch`, which comes before it.
    pub pre_release: bool,
}

impl Version {
    /// Reads `2.12.6`, `v2.12.6`, `2.12.6-RC.1`, `2.14.0+build`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let (core, build_stripped) = match text.split_once('+') {
            Some((core, _)) => (core, true),
            None => (text, false),
        };
        let (core, pre) = match core.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (core, None),
        };
        if pre.is_some_and(str::is_empty) || (build_stripped && core.is_empty()) {
            return None;
        }
        let mut parts = core.split('.').map(number);
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Some(major)), Some(Some(minor)), Some(Some(patch)), None) => Some(Version {
                major,
                minor,
                patch,
                pre_release: pre.is_some(),
            }),
            _ => None,
        }
    }

    /// Whether this version removes and rebuilds `Nats-Request-Info` wherever a request
    /// enters the server, leaf node connections included.
    pub fn rebuilds_request_info(&self) -> bool {
        if self.major != 2 {
            return self.major > 2;
        }
        if self.minor >= FIXED_LINE {
            return true;
        }
        FIXED_IN
            .iter()
            .find(|(minor, _)| *minor == self.minor)
            .is_some_and(|(_, fixed)| {
                self.patch > *fixed || (self.patch == *fixed && !self.pre_release)
            })
    }
}

fn number(part: &str) -> Option<u64> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// The connected server cannot be trusted to rebuild `Nats-Request-Info`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "the NATS server announces version `{version}`, which {why}: the provisioner trusts that \
     header to tell which tenant and user is asking, so it needs nats-server 2.11.15 or \
     later on the 2.11 line, or 2.12.6 or later (CVE-2026-33246, CVE-2026-33223); upgrade \
     every server of the cluster, leaf nodes included"
)]
pub struct UnsafeServer {
    /// The version the server announced.
    pub version: String,
    why: &'static str,
}

/// Whether the provisioner may serve on a server announcing `announced`.
///
/// # Errors
/// [`UnsafeServer`] for a version that does not rebuild `Nats-Request-Info` on leaf node
/// connections, and for one that cannot be read.
pub fn check(announced: &str) -> Result<(), UnsafeServer> {
    let why = match Version::parse(announced) {
        Some(version) if version.rebuilds_request_info() => return Ok(()),
        Some(_) => {
            "does not rebuild a forged `Nats-Request-Info` header on every path (leaf node \
             connections, client headers)"
        }
        None => "is not a version the provisioner can check against the `Nats-Request-Info` fix",
    };
    Err(UnsafeServer {
        version: announced.to_owned(),
        why,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u64, minor: u64, patch: u64, pre_release: bool) -> Version {
        Version {
            major,
            minor,
            patch,
            pre_release,
        }
    }

    #[test]
    fn versions_parse_with_their_suffixes() {
        assert_eq!(Version::parse("2.12.6"), Some(v(2, 12, 6, false)));
        assert_eq!(Version::parse(" v2.11.15 "), Some(v(2, 11, 15, false)));
        assert_eq!(Version::parse("2.12.6-RC.1"), Some(v(2, 12, 6, true)));
        assert_eq!(Version::parse("2.14.0-dev+abc"), Some(v(2, 14, 0, true)));
        assert_eq!(Version::parse("2.15.1+build.7"), Some(v(2, 15, 1, false)));
        for bad in [
            "", "2", "2.12", "2.12.x", "2.12.6.1", "2.12.6-", "+x", "2..6", "-2.1.0", "2.+1.0",
            "two",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_versions_with_the_fix_rebuild_the_header() {
        let yes = [
            "2.11.15",
            "2.11.16",
            "2.12.6",
            "2.12.10",
            "2.13.0",
            "2.14.0-RC.1",
            "2.15.1",
            "3.0.0",
        ];
        let no = [
            "2.9.24",
            "2.10.0",
            "2.10.29",
            "2.11.0",
            "2.11.14",
            "2.11.15-RC.2",
            "2.12.0",
            "2.12.5",
            "2.12.6-RC.1",
            "1.4.1",
        ];
        for version in yes {
            assert!(
                Version::parse(version).is_some_and(|v| v.rebuilds_request_info()),
                "{version}"
            );
        }
        for version in no {
            assert!(
                Version::parse(version).is_some_and(|v| !v.rebuilds_request_info()),
                "{version}"
            );
        }
    }

    #[test]
    fn the_decision_names_the_version_and_the_fixed_releases() {
        assert_eq!(check("2.15.1"), Ok(()));
        assert_eq!(check("2.12.6"), Ok(()));
        let old = check("2.10.29").unwrap_err().to_string();
        for needle in [
            "`2.10.29`",
            "leaf node",
            "2.11.15",
            "2.12.6",
            "Nats-Request-Info",
        ] {
            assert!(old.contains(needle), "`{needle}` not in: {old}");
        }
        let unreadable = check("banana").unwrap_err().to_string();
        assert!(unreadable.contains("`banana`"), "{unreadable}");
        assert!(unreadable.contains("not a version"), "{unreadable}");
    }
}
