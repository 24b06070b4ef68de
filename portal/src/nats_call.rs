//! One NATS request made as the caller: the caller's connection, the request id as
//! `Provisioner-Request-Id` (so the provisioner's log line and audit event carry the
//! portal's id), the budget as a timeout (`504`), and the reply read as the provisioner
//! writes it: a success body, or an error reply with `Nats-Service-Error-Code` that
//! becomes [`ApiError::Refused`] with the same code and reason (a `429 rate_limited` also
//! gets the wait until the tenant's rate window turns, see [`with_rate_wait`]).
//!
//! Not here: which subject or body (the `api` handlers).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::{Client, HeaderMap, RequestErrorKind};
use bytes::Bytes;
use provisioner::tenant_admin::wire::AdminRequest;
use provisioner::wire::{
    ErrorReply, REQUEST_ID_HEADER, SERVICE_ERROR_CODE_HEADER, VIA_HEADER, VIA_HTTP,
};
use serde::de::DeserializeOwned;

use crate::auth::ApiCaller;
use crate::error::{ApiError, RETRY_AFTER_SECS};
use crate::problem::RequestId;
use crate::sessions::Login;
use crate::state::AppState;

/// Unix seconds now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Sends `body` to `subject` as `caller` and reads the reply as `T`.
///
/// # Errors
/// The provisioner's refusal, `504` past the budget, `503` without a responder or
/// connection, `403 login_refused` when the server refuses the caller, `500` for a reply
/// that is neither.
pub async fn call<T: DeserializeOwned>(
    state: &AppState,
    caller: &ApiCaller,
    id: &RequestId,
    subject: String,
    body: Bytes,
) -> Result<T, ApiError> {
    let login = Login {
        token: caller.token.expose(),
        tenant: &caller.tenant,
        name: &caller.name,
        expires_at: caller.expires_at,
    };
    let client = state.sessions.client(&login, unix_now()).await?;
    let window = state
        .policy
        .tenant(&caller.tenant)
        .map(policy::Tenant::rate_window_secs);
    let payload = request(&client, state.nats_timeout, id, subject, body)
        .await
        .map_err(|err| with_rate_wait(err, window, unix_now()))?;
    serde_json::from_slice(&payload).map_err(|err| {
        tracing::warn!(error = %err, "the provisioner's reply is not what the endpoint returns");
        ApiError::Internal
    })
}

async fn request(
    client: &Client,
    budget: Duration,
    id: &RequestId,
    subject: String,
    body: Bytes,
) -> Result<Bytes, ApiError> {
    let mut headers = HeaderMap::new();
    headers.insert(REQUEST_ID_HEADER, id.0.as_str());
    // The issuance history says the credential came through this API.
    headers.insert(VIA_HEADER, VIA_HTTP);
    let sent = client.request_with_headers(subject, headers, body);
    let message = match tokio::time::timeout(budget, sent).await {
        Err(_) => return Err(ApiError::Timeout),
        Ok(Err(err)) => {
            return Err(match err.kind() {
                RequestErrorKind::TimedOut => ApiError::Timeout,
                RequestErrorKind::NoResponders => ApiError::Unavailable,
                RequestErrorKind::InvalidSubject | RequestErrorKind::MaxPayloadExceeded => {
                    tracing::warn!(error = %err, "NATS request refused by the client");
                    ApiError::Internal
                }
                RequestErrorKind::Other => ApiError::Unavailable,
            })
        }
        Ok(Ok(message)) => message,
    };
    let status = message
        .headers
        .as_ref()
        .and_then(|h| h.get(SERVICE_ERROR_CODE_HEADER))
        .and_then(|v| v.as_str().parse::<u16>().ok());
    match status {
        None => Ok(message.payload),
        Some(status) => Err(refusal(status, &message.payload)),
    }
}

/// Calls the tenant admin operation `op` (`users.list`, …) with `request`, as `caller`.
///
/// # Errors
/// As [`call`]: the provisioner's refusal (`403 admin_required` for a caller without the
/// tenant's admin tag, `404 user_not_found`, …), `504`, `503`.
pub async fn admin_call<T: DeserializeOwned>(
    state: &AppState,
    caller: &ApiCaller,
    id: &RequestId,
    op: &str,
    request: &AdminRequest,
) -> Result<T, ApiError> {
    // The caller's own token says who asks: the provisioner verifies it itself.
    let mut request = request.clone();
    request.id_token = Some(caller.token.expose().to_owned());
    let body = serde_json::to_vec(&request).map_err(|_| ApiError::Internal)?;
    call(
        state,
        caller,
        id,
        state.subjects.admin(op),
        Bytes::from(body),
    )
    .await
}

/// The refusal an error reply says.
pub fn refusal(status: u16, payload: &[u8]) -> ApiError {
    match serde_json::from_slice::<ErrorReply>(payload) {
        Ok(reply) => ApiError::Refused {
            status,
            code: reply.error.code,
            reason: reply.error.reason,
        },
        Err(_) => {
            tracing::warn!(status, "an error reply without a readable body");
            ApiError::Internal
        }
    }
}

/// A provisioner's `429 rate_limited` as [`ApiError::RateLimited`] with the wait until
/// the next rate window: the registry counts issuances in fixed windows of the tenant's
/// `rate_limits.window_secs` aligned on the epoch (`registry::entry::rate_window`). The
/// reply does not say the window, but the portal reads the same policy; without the
/// tenant the wait is [`RETRY_AFTER_SECS`].
pub fn with_rate_wait(err: ApiError, window_secs: Option<u64>, now: i64) -> ApiError {
    match err {
        ApiError::Refused {
            status: 429,
            code,
            reason,
        } if code == policy::DenyCode::RateLimited.as_str() => ApiError::RateLimited {
            retry_after_secs: window_secs.map_or(RETRY_AFTER_SECS, |w| until_next_window(now, w)),
            reason,
        },
        other => other,
    }
}

/// Whole seconds from `now` to the start of the next window of `window_secs`, at least 1.
fn until_next_window(now: i64, window_secs: u64) -> u64 {
    let window = i64::try_from(window_secs.max(1)).unwrap_or(i64::MAX);
    u64::try_from(window - now.rem_euclid(window))
        .unwrap_or(RETRY_AFTER_SECS)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_replies_keep_the_provisioners_code_and_reason() {
        let body =
            br#"{"error":{"code":"admin_required","reason":"not an admin","request_id":"r"}}"#;
        assert_eq!(
            refusal(403, body),
            ApiError::Refused {
                status: 403,
                code: String::from("admin_required"),
                reason: String::from("not an admin"),
            }
        );
        assert_eq!(refusal(403, b"garbage"), ApiError::Internal);
    }

    #[test]
    fn a_rate_limit_waits_until_the_tenants_window_turns() {
        let limited = || ApiError::Refused {
            status: 429,
            code: String::from("rate_limited"),
            reason: String::from("too many credentials issued to this requester"),
        };
        let wait = |err: ApiError| match err {
            ApiError::RateLimited {
                retry_after_secs, ..
            } => retry_after_secs,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            wait(with_rate_wait(limited(), Some(3600), 7200 + 600)),
            3000
        );
        assert_eq!(wait(with_rate_wait(limited(), Some(60), 119)), 1);
        assert_eq!(wait(with_rate_wait(limited(), Some(60), 120)), 60);
        assert_eq!(wait(with_rate_wait(limited(), None, 5)), RETRY_AFTER_SECS);
        // Other refusals, a quota's 429 included, stay as they are.
        let quota = ApiError::Refused {
            status: 429,
            code: String::from("quota_exceeded"),
            reason: String::new(),
        };
        assert_eq!(with_rate_wait(quota.clone(), Some(60), 1), quota);
    }
}
