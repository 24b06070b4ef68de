//! The checks of `portal serve`'s option values, and [`ConfigError`], the one-line
//! problem (exit 64) that names the field at fault.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A configuration problem: one line, exit 64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file cannot be read or parsed.
    #[error("config file `{path}`: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A value is missing or out of range.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// The option (`listen`, `policy`, …).
        field: &'static str,
        /// Why.
        reason: String,
    },
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.into(),
    }
}

pub(crate) fn parse_addr(field: &'static str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.trim().parse().map_err(|_| {
        invalid(
            field,
            format!("`{text}` is not an address such as 127.0.0.1:8080"),
        )
    })
}

pub(crate) fn check_url(url: &str) -> Result<(), ConfigError> {
    let ok = url.split(',').all(|one| {
        let one = one.trim();
        ["nats://", "tls://"].iter().any(|scheme| {
            one.strip_prefix(scheme)
                .is_some_and(|rest| !rest.is_empty())
        })
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "nats_url",
            format!("`{url}` is not a nats:// or tls:// URL"),
        ))
    }
}

pub(crate) fn check_subject(field: &'static str, subject: &str) -> Result<(), ConfigError> {
    let literal = !subject.is_empty()
        && subject.split('.').all(|token| {
            !token.is_empty()
                && !token
                    .chars()
                    .any(|c| c == '*' || c == '>' || c.is_whitespace() || c.is_control())
        });
    if literal {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("`{subject}` is not a literal subject"),
        ))
    }
}

pub(crate) fn in_range(
    field: &'static str,
    value: u64,
    (low, high): (u64, u64),
) -> Result<u64, ConfigError> {
    if (low..=high).contains(&value) {
        Ok(value)
    } else {
        Err(invalid(
            field,
            format!("{value} is not between {low} and {high}"),
        ))
    }
}
