//! [`UiCaller`]: the extractor that establishes the person behind a web page from the
//! session cookie only (never a bearer header), by the very check the API makes
//! (`bearer::verify` of the session's ID token under the policy, then the request limit
//! per identity). Without a live session: to `/login`, and back here afterwards.
//!
//! [`PageForm`]: a form posted by a page, accepted only from this portal's own origin
//! (`Origin`, or `Sec-Fetch-Site: same-origin` where a browser sends no `Origin`) and
//! carrying the session's CSRF token; there are no exceptions by path.

use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::header::ORIGIN;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::bearer::{verify, ApiCaller, Role};
use super::session::{same_secret, Session, WebAuth};
use crate::chrome::ChromeUser;
use crate::error::ApiError;
use crate::nats_call::unix_now;
use crate::page_error::PageError;
use crate::problem::RequestId;
use crate::state::AppState;

/// The person behind a page.
#[derive(Debug, Clone)]
pub struct UiCaller {
    /// The verified caller, exactly as the API sees a bearer of the same token.
    pub caller: ApiCaller,
    /// The session.
    pub session: Session,
    /// The request id.
    pub request_id: String,
}

impl UiCaller {
    /// The page header's view of this person.
    pub fn chrome_user(&self) -> ChromeUser {
        ChromeUser {
            name: self.caller.name.clone(),
            tenant: self.caller.tenant.clone(),
            role: match self.caller.role {
                Role::Admin => "admin",
                Role::User => "user",
            },
            admin: self.caller.role == Role::Admin,
            csrf: self.session.csrf.clone(),
        }
    }

    /// An API failure as this person's error page.
    pub fn fail(&self, error: ApiError) -> PageError {
        PageError::api(error, &self.request_id, Some(self.chrome_user()))
    }

    /// The 404 page (also for what belongs to another tenant).
    pub fn not_found(&self) -> PageError {
        PageError::not_found(&self.request_id, Some(self.chrome_user()))
    }
}

fn request_id(parts: &Parts) -> String {
    parts
        .extensions
        .get::<RequestId>()
        .map_or_else(|| nuid::next().to_string(), |id| id.0.clone())
}

/// The pages' authentication of `state`, or 404 when the portal serves no pages.
fn web_auth<'a>(state: &'a AppState, parts: &Parts) -> Result<&'a WebAuth, PageError> {
    state
        .web
        .as_deref()
        .ok_or_else(|| PageError::not_found(&request_id(parts), None))
}

impl FromRequestParts<AppState> for UiCaller {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let web = web_auth(state, parts)?;
        let now = unix_now();
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let login = || PageError::login_needed(next.clone());
        let session = web.session(&parts.headers, now).ok_or_else(login)?;
        // The policy may have stopped accepting the token (a reload): the login page
        // then says why when the provider's new token is refused too.
        let caller = verify(state, session.token.clone().into(), now).map_err(|_| login())?;
        let found = UiCaller {
            caller,
            session,
            request_id: request_id(parts),
        };
        if let Some(limiter) = &state.limiter {
            let key = crate::limit::key_of(&found.caller.tenant, &found.caller.name);
            limiter.admit(&key).map_err(|e| found.fail(e))?;
        }
        Ok(found)
    }
}

/// A posted form of type `T` from a page of this session, with the person who posted it.
#[derive(Debug)]
pub struct PageForm<T> {
    /// The person.
    pub who: UiCaller,
    /// The form's fields.
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// Whether the request comes from a page of `public_url` itself.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin.eq_ignore_ascii_case(public_url),
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|site| site == "same-origin"),
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let who = UiCaller::from_request_parts(&mut parts, state).await?;
        let csrf_refused = || PageError::csrf(&who.request_id, Some(who.chrome_user()));
        let public_url = state
            .web
            .as_deref()
            .map_or("", |w| w.flow.config.public_url.as_str());
        if !same_origin(&parts.headers, public_url) {
            return Err(csrf_refused());
        }
        let bytes = axum::body::to_bytes(body, crate::config::DEFAULT_MAX_BODY_BYTES)
            .await
            .map_err(|_| who.fail(ApiError::TooLarge))?;
        let token: CsrfField = serde_urlencoded_from(&bytes).map_err(|_| csrf_refused())?;
        if token.csrf.is_empty() || !same_secret(&token.csrf, &who.session.csrf) {
            return Err(csrf_refused());
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        let Form(form) = Form::<T>::from_request(request, state).await.map_err(|e| {
            who.fail(ApiError::BadRequest {
                code: "bad_request",
                reason: e.body_text(),
            })
        })?;
        Ok(PageForm { who, form })
    }
}

/// The CSRF field of an urlencoded body (other fields ignored).
fn serde_urlencoded_from(bytes: &[u8]) -> Result<CsrfField, ()> {
    let csrf = form_urlencoded_pairs(bytes)
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
        .unwrap_or_default();
    Ok(CsrfField { csrf })
}

fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    reqwest::Url::parse("http://form.invalid/")
        .map(|mut url| {
            url.set_query(Some(&String::from_utf8_lossy(bytes)));
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_origin_or_a_same_origin_fetch_counts() {
        let mut h = HeaderMap::new();
        assert!(!same_origin(&h, "http://p:8080"));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(same_origin(&h, "http://p:8080"));
        h.insert(ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&h, "http://p:8080"));
        h.insert(ORIGIN, "http://p:8080".parse().unwrap());
        assert!(same_origin(&h, "http://p:8080"));
    }

    #[test]
    fn the_csrf_field_is_read_from_any_place_in_the_form() {
        let f = serde_urlencoded_from(b"name=a&csrf=x%2By&ttl=3").unwrap();
        assert_eq!(f.csrf, "x+y");
        assert_eq!(serde_urlencoded_from(b"name=a").unwrap().csrf, "");
    }
}
