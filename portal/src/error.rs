//! [`ApiError`]: every way an API request fails, each mapped explicitly to a status, a
//! reason code and a short detail. The codes are the provisioner's NATS reason codes
//! where the provisioner refused (`name_taken`, `admin_required`, …) and the portal's own
//! otherwise (`token_invalid`, `timeout`, …).
//!
//! The response carries the error as a [`PendingProblem`] extension with an empty body:
//! the request-id layer (`problem`) renders it as `application/problem+json` with the
//! request id, which an error made deep in a handler does not know.
//!
//! Not here: the wire shape (`problem`). No variant ever holds a token, seed, JWT or
//! creds; 5xx details are generic and the cause goes to the log only.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Seconds a client should wait after a provisioner's `429` before trying again
/// (`Retry-After`) when nothing tells when it frees up: a quota or the invite cap frees
/// when an admin acts. A rate limit says its own wait ([`ApiError::RateLimited`]).
pub const RETRY_AFTER_SECS: u64 = 60;

/// Why an API request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// No usable bearer token: `401` with `WWW-Authenticate: Bearer error=…`.
    #[error("{reason}")]
    Unauthorized {
        /// The RFC 6750 error: `invalid_request` (no or malformed header) or
        /// `invalid_token`.
        bearer_error: &'static str,
        /// Our reason code: `token_missing` or `token_invalid`.
        code: &'static str,
        /// Why, safe to show (never the token).
        reason: String,
    },
    /// The provisioner refused the call with its NATS error reply.
    #[error("{reason}")]
    Refused {
        /// The `Nats-Service-Error-Code` (400, 403, 404, 409, 429, 500, 503).
        status: u16,
        /// The provisioner's reason code.
        code: String,
        /// Its reason, safe to show.
        reason: String,
    },
    /// Too many requests: the portal's limit per identity, or the provisioner's issuance
    /// rate limit (`rate_limited`); `Retry-After` says the wait.
    #[error("{reason}")]
    RateLimited {
        /// Whole seconds until a request may pass again, at least 1.
        retry_after_secs: u64,
        /// Why, safe to show.
        reason: String,
    },
    /// nats-server refused the caller's connection (the auth callout said no).
    #[error("the NATS server refused a connection for this identity")]
    LoginRefused,
    /// A NATS call took longer than the configured timeout.
    #[error("the NATS call timed out")]
    Timeout,
    /// NATS or the provisioner cannot be reached.
    #[error("the credential service is unavailable")]
    Unavailable,
    /// The request is malformed (body, query, path).
    #[error("{reason}")]
    BadRequest {
        /// The reason code (`invalid_json`, `bad_request`, …).
        code: &'static str,
        /// Why, safe to show.
        reason: String,
    },
    /// The body is over the size cap.
    #[error("the request body is too large")]
    TooLarge,
    /// No such route.
    #[error("no such resource")]
    NotFound,
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Anything else; the cause is logged where it happened.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Refused { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::LoginRefused => StatusCode::FORBIDDEN,
            ApiError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable reason code (the last part of the problem `type`).
    pub fn code(&self) -> &str {
        match self {
            ApiError::Unauthorized { code, .. } | ApiError::BadRequest { code, .. } => code,
            ApiError::Refused { code, .. } => code,
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::LoginRefused => "login_refused",
            ApiError::Timeout => "timeout",
            ApiError::Unavailable => "unavailable",
            ApiError::TooLarge => "too_large",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Internal => "internal",
        }
    }

    /// The detail shown to the caller: the reason for 4xx, a generic line for 5xx (the
    /// provisioner's 5xx reasons are generic already).
    pub fn detail(&self) -> String {
        match self {
            ApiError::LoginRefused => String::from(
                "the NATS server refused a connection for this identity (the provisioner's \
                 log says why: for example a revoked name, a rate limit or a quota)",
            ),
            ApiError::Timeout => String::from("the credential service did not answer in time"),
            other => other.to_string(),
        }
    }

    /// A `401` for a token that does not verify.
    pub fn invalid_token(reason: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            bearer_error: "invalid_token",
            code: "token_invalid",
            reason: reason.into(),
        }
    }
}

/// An error waiting to be rendered with the request id (a response extension).
#[derive(Debug, Clone)]
pub struct PendingProblem(pub ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized {
                bearer_error,
                reason,
                ..
            } => {
                // The reason is one of our fixed sentences: no quotes or backslashes.
                let value = format!(
                    "Bearer realm=\"portal\", error=\"{bearer_error}\", error_description=\"{}\"",
                    reason.replace(['"', '\\'], "'")
                );
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(axum::http::header::WWW_AUTHENTICATE, value);
                }
            }
            ApiError::Refused { status: 429, .. } => {
                headers.insert(
                    axum::http::header::RETRY_AFTER,
                    HeaderValue::from(RETRY_AFTER_SECS),
                );
            }
            ApiError::RateLimited {
                retry_after_secs, ..
            } => {
                headers.insert(
                    axum::http::header::RETRY_AFTER,
                    HeaderValue::from((*retry_after_secs).max(1)),
                );
            }
            _ => {}
        }
        response.extensions_mut().insert(PendingProblem(self));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_status_and_code() {
        let refused = ApiError::Refused {
            status: 429,
            code: String::from("rate_limited"),
            reason: String::from("too many"),
        };
        let cases = [
            (ApiError::invalid_token("x"), 401, "token_invalid"),
            (refused.clone(), 429, "rate_limited"),
            (ApiError::LoginRefused, 403, "login_refused"),
            (ApiError::Timeout, 504, "timeout"),
            (ApiError::Unavailable, 503, "unavailable"),
            (ApiError::TooLarge, 413, "too_large"),
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::MethodNotAllowed, 405, "method_not_allowed"),
            (ApiError::Internal, 500, "internal"),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.code(), code);
        }
        let response = refused.into_response();
        assert_eq!(response.headers()["retry-after"], "60");
        let limited = ApiError::RateLimited {
            retry_after_secs: 7,
            reason: String::from("too many"),
        };
        assert_eq!(
            (limited.status().as_u16(), limited.code()),
            (429, "rate_limited")
        );
        assert_eq!(limited.into_response().headers()["retry-after"], "7");
        let response = ApiError::invalid_token("the ID token has expired").into_response();
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer realm=\"portal\", error=\"invalid_token\""));
        assert!(response.extensions().get::<PendingProblem>().is_some());
    }

    #[test]
    fn a_refusal_with_an_odd_status_is_a_500() {
        let odd = ApiError::Refused {
            status: 42,
            code: String::from("x"),
            reason: String::new(),
        };
        assert_eq!(odd.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
