//! RFC 9457 problem details and the request id: every request gets an id (the
//! `x-request-id` response header, the log span, the `Provisioner-Request-Id` of the NATS
//! calls it makes, so the provisioner's audit event carries the same id), and every
//! [`ApiError`] leaves as `application/problem+json` with that id.
//!
//! The `type` of a problem is `urn:nats-provisioner:problem:<code>`: stable per reason
//! code, the same codes as the NATS replies.
//!
//! Not here: which error a failure is (`error`).

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;
use utoipa::ToSchema;

use crate::error::{ApiError, PendingProblem};

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// The prefix of every problem `type`.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:nats-provisioner:problem:";

/// A problem detail (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// `urn:nats-provisioner:problem:<code>`, stable per reason.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the status.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, safe to show.
    pub detail: String,
    /// The request id (`urn:request:<id>`).
    pub instance: String,
    /// The reason code, as in the NATS replies (`name_taken`, `admin_required`, …).
    pub code: String,
    /// The request id, also in the `x-request-id` header.
    pub request_id: String,
}

impl Problem {
    /// The problem for `error` in request `request_id`.
    pub fn of(error: &ApiError, request_id: &str) -> Self {
        let status = error.status();
        Problem {
            kind: format!("{PROBLEM_TYPE_PREFIX}{}", error.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: error.detail(),
            instance: format!("urn:request:{request_id}"),
            code: error.code().to_owned(),
            request_id: request_id.to_owned(),
        }
    }
}

/// The id of the request being handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(nuid::next().to_string())))
    }
}

/// The layer: gives the request an id and a span, and renders a pending problem.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let id = nuid::next().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    if let Some(PendingProblem(error)) = response.extensions_mut().remove::<PendingProblem>() {
        let _enter = span.enter();
        if error.status().is_server_error() {
            tracing::warn!(
                code = error.code(),
                status = error.status().as_u16(),
                "request failed"
            );
        } else {
            tracing::info!(
                code = error.code(),
                status = error.status().as_u16(),
                "request refused"
            );
        }
        render(&mut response, &error, &id);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

fn render(response: &mut Response, error: &ApiError, id: &str) {
    let body = serde_json::to_vec(&Problem::of(error, id)).unwrap_or_default();
    *response.body_mut() = Body::from(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response.headers_mut().remove(header::CONTENT_LENGTH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_names_its_code_in_its_type_and_carries_the_request_id() {
        let error = ApiError::Refused {
            status: 409,
            code: String::from("name_taken"),
            reason: String::from("name `a` is taken"),
        };
        let p = Problem::of(&error, "abc");
        assert_eq!(p.kind, "urn:nats-provisioner:problem:name_taken");
        assert_eq!(p.status, 409);
        assert_eq!(p.title, "Conflict");
        assert_eq!(p.detail, "name `a` is taken");
        assert_eq!(p.instance, "urn:request:abc");
        assert_eq!(p.request_id, "abc");
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["type"], "urn:nats-provisioner:problem:name_taken");
    }

    #[test]
    fn server_errors_say_nothing_of_their_cause() {
        let p = Problem::of(&ApiError::Internal, "x");
        assert_eq!(p.detail, "internal error");
        assert_eq!(p.status, 500);
    }
}
