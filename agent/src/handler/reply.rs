//! A reply ready to send: an answer or an [`ErrorV1`], with its message type and the
//! error it reports (for the NATS micro headers), and the reply of an operation's
//! outcome. Not here: sending it (see [`crate::service`]).

use bytes::Bytes;

use crate::contract::{ErrorType, ErrorV1, Message};
use crate::handler::resources::Outcome;
use crate::store::StoreError;

/// A reply ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Its [`crate::contract::MESSAGE_TYPE_HEADER`].
    pub message_type: &'static str,
    /// Its JSON body.
    pub body: Bytes,
    /// The error it reports, if any.
    pub error: Option<ErrorType>,
}

impl Reply {
    pub(crate) fn ok<T: Message>(message: &T) -> Reply {
        match serde_json::to_vec(message) {
            Ok(body) => Reply {
                message_type: T::TYPE,
                body: body.into(),
                error: None,
            },
            Err(err) => {
                tracing::error!(error = %err, "encoding a reply failed");
                Reply::error(&ErrorType::Internal.reply(INTERNAL, ""))
            }
        }
    }

    pub(crate) fn error(error: &ErrorV1) -> Reply {
        let kind = ErrorType::from_code(&error.error_type).unwrap_or(ErrorType::Internal);
        Reply {
            message_type: ErrorV1::TYPE,
            body: serde_json::to_vec(error).unwrap_or_default().into(),
            error: Some(kind),
        }
    }
}

/// The reply for an operation's outcome.
pub(crate) fn answer<T: Message>(outcome: Outcome<T>) -> Result<Reply, StoreError> {
    outcome.map(|answer| match answer {
        Ok(message) => Reply::ok(&message),
        Err(refusal) => Reply::error(&refusal),
    })
}

/// The message of every `internal` error.
pub(crate) const INTERNAL: &str = "the agent could not complete the request; try again later";
