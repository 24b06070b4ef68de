//! An authorized admin call and what every endpoint group needs to answer it: the reply
//! body, the refusal for a missing name, and the 500 for a registry failure.

use bytes::Bytes;
use registry::Registry;
use serde::Serialize;

use crate::rejection::Rejection;
use crate::tenant_admin::wire::AdminRequest;

/// An authorized admin call: whose tenant, by whom.
pub struct AdminCall<'a> {
    /// The caller's tenant.
    pub tenant: &'a policy::Tenant,
    /// The calling admin user's public key.
    pub caller_user: String,
    /// The calling admin's user name.
    pub caller_name: String,
    /// The registry.
    pub registry: &'a Registry,
    /// The request.
    pub request: AdminRequest,
    /// Unix seconds.
    pub now: i64,
}

/// Serializes a reply body.
///
/// # Errors
/// A 500 when serialization fails (it does not for these types).
pub fn body(value: &impl Serialize) -> Result<Bytes, Rejection> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|err| {
        tracing::error!(error = %err, "encoding an admin reply failed");
        Rejection::internal()
    })
}

/// A 500 for a registry failure, logged.
pub fn registry_failed(err: &dyn std::fmt::Display) -> Rejection {
    tracing::error!(error = %err, "registry unavailable");
    Rejection::internal()
}

/// The most digits a cursor has: any stream sequence fits in 19.
pub const MAX_CURSOR_DIGITS: usize = 19;

/// Where a page starts: after the stream sequence the request's `cursor` names (0, the
/// first page, without one or with an empty one).
///
/// # Errors
/// A 400 for a cursor that is not 1 to 19 digits.
pub fn cursor_of(request: &AdminRequest) -> Result<u64, Rejection> {
    match request.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(cursor)
            if cursor.len() <= MAX_CURSOR_DIGITS && cursor.bytes().all(|b| b.is_ascii_digit()) =>
        {
            cursor.parse::<u64>().map_err(|_| bad_cursor())
        }
        Some(_) => Err(bad_cursor()),
    }
}

fn bad_cursor() -> Rejection {
    Rejection::bad_request("bad_request", "`cursor` is not one this endpoint gave")
}

/// The `name` of a request that needs one.
///
/// # Errors
/// A 400 when it is missing or empty.
pub fn required_name(request: &AdminRequest) -> Result<&str, Rejection> {
    request
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Rejection::bad_request("name_required", "the request needs a `name`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(cursor: &str) -> AdminRequest {
        AdminRequest {
            cursor: Some(cursor.to_owned()),
            ..AdminRequest::default()
        }
    }

    #[test]
    fn cursors_are_up_to_nineteen_digits_and_empty_is_the_first_page() {
        assert_eq!(cursor_of(&AdminRequest::default()).unwrap(), 0);
        assert_eq!(cursor_of(&with("")).unwrap(), 0);
        assert_eq!(cursor_of(&with("42")).unwrap(), 42);
        assert_eq!(
            cursor_of(&with("9999999999999999999")).unwrap(),
            9_999_999_999_999_999_999
        );
        for bad in ["+5", "-1", "00000000000000000000", "x", " 1"] {
            assert_eq!(
                cursor_of(&with(bad)).unwrap_err().code,
                "bad_request",
                "{bad}"
            );
        }
    }
}
