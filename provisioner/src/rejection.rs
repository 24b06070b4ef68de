//! Why a request was not answered with credentials: a status (the NATS micro error code),
//! a stable machine-readable code and a reason safe to show the caller.
//!
//! Built by every step of the request path; turned into the error reply by `reply`.

use std::fmt;

/// The NATS micro error codes the service answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// 400: the request is malformed.
    BadRequest,
    /// 403: the policy denies it.
    Denied,
    /// 404: what the request names does not exist (admin endpoints).
    NotFound,
    /// 409: it conflicts with existing state (for example a taken name).
    Conflict,
    /// 429: a rate limit or quota is exhausted.
    TooMany,
    /// 500: the service failed.
    Internal,
    /// 503: the service is overloaded or shutting down.
    Unavailable,
}

impl Status {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Status::BadRequest => 400,
            Status::Denied => 403,
            Status::NotFound => 404,
            Status::Conflict => 409,
            Status::TooMany => 429,
            Status::Internal => 500,
            Status::Unavailable => 503,
        }
    }

    /// The short status text for the `Nats-Service-Error` header.
    pub fn text(self) -> &'static str {
        match self {
            Status::BadRequest => "bad request",
            Status::Denied => "denied",
            Status::NotFound => "not found",
            Status::Conflict => "conflict",
            Status::TooMany => "too many requests",
            Status::Internal => "internal error",
            Status::Unavailable => "unavailable",
        }
    }
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The error code class.
    pub status: Status,
    /// Stable code, for example `invalid_json`.
    pub code: String,
    /// Why, safe to show the caller: never a secret.
    pub reason: String,
}

impl Rejection {
    /// A rejection with the given parts.
    pub fn new(status: Status, code: impl Into<String>, reason: impl Into<String>) -> Self {
        Rejection {
            status,
            code: code.into(),
            reason: reason.into(),
        }
    }

    /// A 400 rejection.
    pub fn bad_request(code: &str, reason: impl Into<String>) -> Self {
        Rejection::new(Status::BadRequest, code, reason)
    }

    /// A 403 rejection.
    pub fn denied(code: &str, reason: impl Into<String>) -> Self {
        Rejection::new(Status::Denied, code, reason)
    }

    /// A 500 rejection; the detail goes to the log, not to the caller.
    pub fn internal() -> Self {
        Rejection::new(
            Status::Internal,
            "internal",
            "the service failed; see its log with the request id",
        )
    }

    /// A 503 for a registry that cannot be reached (an unreachable home region, a lost
    /// quorum): the request fails closed, nothing is issued, and a retry may succeed.
    pub fn registry_unavailable() -> Self {
        Rejection::new(
            Status::Unavailable,
            "registry_unavailable",
            "the registry cannot be reached; nothing was issued; retry later",
        )
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.code(), self.code, self.reason)
    }
}

/// The longest piece of caller input echoed in a reason, in characters.
pub const MAX_ECHO_CHARS: usize = 64;

/// Caller input for a reason: in backticks, control characters escaped, cut to
/// [`MAX_ECHO_CHARS`].
pub fn echo(text: &str) -> String {
    let mut out = String::from("`");
    let mut chars = text.chars();
    for c in chars.by_ref().take(MAX_ECHO_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out.push('`');
    out
}

/// A JSON error message that keeps its category and position but drops quoted input,
/// which could be a secret (a token value, say): the registry's, so that both say it
/// the same way.
pub use registry::error::safe_json_error;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_are_quoted_escaped_and_cut() {
        assert_eq!(echo("alice"), "`alice`");
        assert_eq!(echo("a\nb"), "`a\\nb`");
        assert!(echo(&"x".repeat(100)).ends_with("…`"));
    }

    #[test]
    fn statuses_map_to_micro_codes() {
        assert_eq!(Status::BadRequest.code(), 400);
        assert_eq!(Status::Denied.code(), 403);
        assert_eq!(Status::NotFound.code(), 404);
        assert_eq!(Status::Conflict.code(), 409);
        assert_eq!(Status::TooMany.code(), 429);
        assert_eq!(Status::Internal.code(), 500);
        assert_eq!(
            Rejection::internal().to_string().split(':').next(),
            Some("500 internal")
        );
    }
}
