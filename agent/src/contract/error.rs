//! The contract's refusal, [`ErrorV1`], and its codes, [`ErrorType`]: each code has a
//! NATS micro status for the `Nats-Service-Error-Code` header. Pure: no IO.

use serde::{Deserialize, Serialize};

/// A refusal: `type` is one of [`ErrorType`]'s codes, `message` is safe to show the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorV1 {
    /// The error code (see [`ErrorType`]).
    #[serde(rename = "type")]
    pub error_type: String,
    /// What went wrong, for a person; never holds secrets or internal details.
    pub message: String,
    /// The answering site.
    #[serde(default)]
    pub site: String,
}

/// The error codes of [`ErrorV1`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// The body is not the message the subject expects, or a field is invalid.
    BadRequest,
    /// The `Message-Type` header names a message this agent does not speak.
    UnsupportedMessage,
    /// The request did not come through a tenant's import.
    UntrustedCaller,
    /// The calling account is not a tenant of this service.
    UnknownTenant,
    /// No such resource for the calling tenant (also for another tenant's id).
    NotFound,
    /// The tenant has as many resources at this site as its quota allows.
    QuotaExceeded,
    /// This site has no handler for the resource type (the message names those it has).
    TypeNotSupported,
    /// The type's handler failed; the message is the handler's own.
    HandlerFailed,
    /// The resource is in a state that does not take this request now (a retry of one
    /// not in `error`, an update of one still being made, …).
    Conflict,
    /// The agent failed; the details are in its log.
    Internal,
}

impl ErrorType {
    /// The code in [`ErrorV1::error_type`].
    pub fn code(self) -> &'static str {
        match self {
            ErrorType::BadRequest => "bad_request",
            ErrorType::UnsupportedMessage => "unsupported_message",
            ErrorType::UntrustedCaller => "untrusted_caller",
            ErrorType::UnknownTenant => "unknown_tenant",
            ErrorType::NotFound => "not_found",
            ErrorType::QuotaExceeded => "quota_exceeded",
            ErrorType::TypeNotSupported => "type_not_supported",
            ErrorType::HandlerFailed => "handler_failed",
            ErrorType::Conflict => "conflict",
            ErrorType::Internal => "internal",
        }
    }

    /// The status in [`SERVICE_ERROR_CODE_HEADER`], as the NATS micro protocol uses them.
    pub fn status(self) -> u16 {
        match self {
            ErrorType::BadRequest | ErrorType::UnsupportedMessage | ErrorType::TypeNotSupported => {
                400
            }
            ErrorType::UntrustedCaller | ErrorType::UnknownTenant => 403,
            ErrorType::NotFound => 404,
            ErrorType::Conflict => 409,
            ErrorType::QuotaExceeded => 429,
            ErrorType::Internal => 500,
            // The work was refused by what the agent runs, not by the agent.
            ErrorType::HandlerFailed => 502,
        }
    }

    /// Every type, for reading a code back.
    pub const ALL: [ErrorType; 10] = [
        ErrorType::BadRequest,
        ErrorType::UnsupportedMessage,
        ErrorType::UntrustedCaller,
        ErrorType::UnknownTenant,
        ErrorType::NotFound,
        ErrorType::QuotaExceeded,
        ErrorType::TypeNotSupported,
        ErrorType::HandlerFailed,
        ErrorType::Conflict,
        ErrorType::Internal,
    ];

    /// The type with code `code`, if any.
    pub fn from_code(code: &str) -> Option<ErrorType> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The error reply with this type.
    pub fn reply(self, message: impl Into<String>, site: &str) -> ErrorV1 {
        ErrorV1 {
            error_type: self.code().to_owned(),
            message: message.into(),
            site: site.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_type_has_a_code_and_status() {
        let all = [
            (ErrorType::BadRequest, "bad_request", 400),
            (ErrorType::UnsupportedMessage, "unsupported_message", 400),
            (ErrorType::UntrustedCaller, "untrusted_caller", 403),
            (ErrorType::UnknownTenant, "unknown_tenant", 403),
            (ErrorType::NotFound, "not_found", 404),
            (ErrorType::QuotaExceeded, "quota_exceeded", 429),
            (ErrorType::TypeNotSupported, "type_not_supported", 400),
            (ErrorType::HandlerFailed, "handler_failed", 502),
            (ErrorType::Conflict, "conflict", 409),
            (ErrorType::Internal, "internal", 500),
        ];
        assert_eq!(all.len(), ErrorType::ALL.len());
        for (t, code, status) in all {
            assert_eq!((t.code(), t.status()), (code, status));
            assert_eq!(ErrorType::from_code(code), Some(t));
        }
        assert_eq!(ErrorType::from_code("nope"), None);
    }
}
