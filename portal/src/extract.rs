//! axum's own extractors with their rejections turned into [`ApiError`], so that a bad
//! body, query or path is `application/problem+json` like every other failure:
//! [`ApiJson`] (a body over the cap is `413 too_large`, another content type `400`
//! `unsupported_media_type`, bad JSON or JSON that is not an object `400
//! invalid_json`), [`ApiQuery`] and [`ApiPath`]
//! (`400 bad_request`).
//!
//! Not here: the size cap itself (the router's `DefaultBodyLimit`).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Every body of the API is an object: read as a JSON value first, so that an
        // array (which serde would happily read into a struct, field by field) or a
        // scalar is refused as what it is.
        let value = match Json::<serde_json::Value>::from_request(request, state).await {
            Ok(Json(value)) => value,
            Err(rejection) => return Err(json_error(&rejection)),
        };
        let mut value = value;
        integral_floats_as_integers(&mut value);
        if !value.is_object() {
            return Err(ApiError::BadRequest {
                code: "invalid_json",
                reason: String::from("the body must be a JSON object"),
            });
        }
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|err| ApiError::BadRequest {
                code: "invalid_json",
                reason: provisioner::redact::redact_seeds(&err.to_string()).into_owned(),
            })
    }
}

/// Writes each number with a zero fraction (`416.0`) as the integer it is: JSON has one
/// number type, and the document's `integer` fields take `416.0` as JSON Schema does;
/// serde would refuse it for an integer field.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                // In range of i64 or u64 only; anything else stays and is refused.
                let whole = if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                    format!("{f:.0}")
                        .parse::<u64>()
                        .ok()
                        .map(serde_json::Number::from)
                } else if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
                    format!("{f:.0}")
                        .parse::<i64>()
                        .ok()
                        .map(serde_json::Number::from)
                } else {
                    None
                };
                if let Some(whole) = whole {
                    *n = whole;
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(integral_floats_as_integers);
        }
        _ => {}
    }
}

fn json_error(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest {
            code: "unsupported_media_type",
            reason: String::from("send the body as `Content-Type: application/json`"),
        },
        // serde's words name the field; anything shaped like a seed is cut out of them.
        JsonRejection::JsonDataError(err) => ApiError::BadRequest {
            code: "invalid_json",
            reason: provisioner::redact::redact_seeds(&err.body_text()).into_owned(),
        },
        JsonRejection::JsonSyntaxError(_) => ApiError::BadRequest {
            code: "invalid_json",
            reason: String::from("the body is not JSON"),
        },
        JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::TooLarge
        }
        other => ApiError::BadRequest {
            code: "bad_request",
            reason: other.body_text(),
        },
    }
}

/// A query string.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection: QueryRejection| ApiError::BadRequest {
                code: "bad_request",
                reason: rejection.body_text(),
            })
    }
}

/// Path parameters.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection: PathRejection| ApiError::BadRequest {
                code: "bad_request",
                reason: rejection.body_text(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_written_with_a_fraction_read_as_integers() {
        let mut value = json!({"uses": 416.0, "ts": -3.0, "ttl": 1.5, "tags": [2.0], "big": 1e30});
        integral_floats_as_integers(&mut value);
        assert_eq!(
            value,
            json!({"uses": 416, "ts": -3, "ttl": 1.5, "tags": [2], "big": 1e30})
        );
    }

    #[tokio::test]
    async fn a_body_that_is_not_an_object_is_refused() {
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            #[allow(dead_code, reason = "read by serde only")]
            a: Option<u64>,
        }
        let request = |body: &'static str| {
            Request::builder()
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let refused = ApiJson::<Body>::from_request(request("[null]"), &()).await;
        assert!(matches!(
            refused,
            Err(ApiError::BadRequest {
                code: "invalid_json",
                ..
            })
        ));
        let taken = ApiJson::<Body>::from_request(request(r#"{"a": 7.0}"#), &()).await;
        assert_eq!(taken.unwrap().0.a, Some(7));
    }
}
