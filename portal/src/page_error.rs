//! [`PageError`]: every failure of a web page, shown as a readable HTML page with its
//! status, reason code and request id (the same codes as the API's problems). A page
//! that needs a login sends the browser to `/login` instead (`303`, or `HX-Redirect`
//! under htmx-style requests that ask for a fragment).
//!
//! Not here: the API's errors (`error`, `problem`), which stay `problem+json`.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::chrome::{Chrome, ChromeUser};
use crate::error::ApiError;

/// A page's failure (boxed: it travels in every page's `Result`).
#[derive(Debug)]
pub struct PageError(Box<PageFailure>);

/// What failed.
#[derive(Debug)]
pub enum PageFailure {
    /// No (live) session: log in, then come back to `next` (a local path).
    LoginNeeded {
        /// Where to return.
        next: String,
    },
    /// A failure with the API's status and reason code.
    Api {
        /// The failure.
        error: ApiError,
        /// The request id.
        request_id: String,
        /// Who is logged in, if anyone.
        user: Option<ChromeUser>,
    },
    /// The login did not complete.
    Login {
        /// `login_failed`, `login_expired`, `login_provider`.
        code: &'static str,
        /// Why, safe to show.
        reason: String,
        /// The request id.
        request_id: String,
    },
    /// A form without this session's CSRF token, or from another origin.
    Csrf {
        /// The request id.
        request_id: String,
        /// Who is logged in, if anyone.
        user: Option<ChromeUser>,
    },
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    title: String,
    detail: String,
    code: String,
    request_id: String,
}

impl From<PageFailure> for PageError {
    fn from(failure: PageFailure) -> Self {
        PageError(Box::new(failure))
    }
}

impl PageError {
    /// An API failure of the request `request_id`.
    pub fn api(error: ApiError, request_id: &str, user: Option<ChromeUser>) -> Self {
        PageFailure::Api {
            error,
            request_id: request_id.to_owned(),
            user,
        }
        .into()
    }

    /// No live session: log in, then return to `next`.
    pub fn login_needed(next: impl Into<String>) -> Self {
        PageFailure::LoginNeeded { next: next.into() }.into()
    }

    /// A login that did not complete.
    pub fn login(code: &'static str, reason: String, request_id: &str) -> Self {
        PageFailure::Login {
            code,
            reason,
            request_id: request_id.to_owned(),
        }
        .into()
    }

    /// A form refused for its CSRF token or origin.
    pub fn csrf(request_id: &str, user: Option<ChromeUser>) -> Self {
        PageFailure::Csrf {
            request_id: request_id.to_owned(),
            user,
        }
        .into()
    }

    /// A 404 page.
    pub fn not_found(request_id: &str, user: Option<ChromeUser>) -> Self {
        PageError::api(ApiError::NotFound, request_id, user)
    }

    fn page(&self) -> Option<(StatusCode, ErrorPage)> {
        let (status, code, detail, request_id, user) = match self.0.as_ref() {
            PageFailure::LoginNeeded { .. } => return None,
            PageFailure::Api {
                error,
                request_id,
                user,
            } => (
                error.status(),
                error.code().to_owned(),
                explain(error),
                request_id,
                user.clone(),
            ),
            PageFailure::Login {
                code,
                reason,
                request_id,
            } => (
                StatusCode::BAD_REQUEST,
                (*code).to_owned(),
                reason.clone(),
                request_id,
                None,
            ),
            PageFailure::Csrf { request_id, user } => (
                StatusCode::FORBIDDEN,
                String::from("csrf_failed"),
                String::from(
                    "this form did not come from this portal's own page in your session: \
                     reload the page and send it again",
                ),
                request_id,
                user.clone(),
            ),
        };
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        Some((
            status,
            ErrorPage {
                chrome: Chrome::new(title.clone(), "", user),
                status: status.as_u16(),
                title,
                detail,
                code,
                request_id: request_id.clone(),
            },
        ))
    }
}

/// The API's detail, with a plainer sentence for the failures people meet most.
fn explain(error: &ApiError) -> String {
    match error {
        ApiError::NotFound => String::from("There is no such page, or it is not yours to see."),
        ApiError::Refused { status: 403, .. } | ApiError::Refused { status: 404, .. } => {
            error.detail()
        }
        other => other.detail(),
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let PageFailure::LoginNeeded { next } = self.0.as_ref() {
            let target = format!("/login?next={}", percent_encode(next));
            let mut response = Redirect::to(&target).into_response();
            if let Ok(value) = HeaderValue::from_str(&target) {
                response.headers_mut().insert("hx-redirect", value);
            }
            return response;
        }
        let Some((status, page)) = self.page() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        match page.render() {
            Ok(html) => {
                let mut response = (status, Html(html)).into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "the error page did not render");
                status.into_response()
            }
        }
    }
}

/// `text` as a query value: unreserved characters and `/` kept, the rest `%XX`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_login_redirects_back_to_the_page() {
        let response = PageError::login_needed("/users?prefix=a b").into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers()[header::LOCATION],
            "/login?next=/users%3Fprefix%3Da%20b"
        );
    }

    #[tokio::test]
    async fn an_error_page_names_its_code_and_request_id() {
        let response = PageError::api(ApiError::NotFound, "req-1", None).into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains("not_found") && text.contains("req-1"),
            "{text}"
        );
        assert!(text.contains("<html lang=\"en\">"));
    }
}
