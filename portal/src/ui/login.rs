//! The login pages: `GET /login` (a page with the provider's button), `GET /login/start`
//! (to the provider, with a fresh `state`, nonce and PKCE challenge kept in the
//! `portal_login` cookie), `GET /login/callback` (the provider's answer: the `state`
//! checked, the code exchanged with the verifier, the ID token verified by the provider
//! check and then by the policy, exactly as the API verifies a bearer; then the session
//! cookie, and back to the page that asked) and `POST /logout` (CSRF-checked: the session
//! ended here, its NATS connection closed, then the provider's own logout where it
//! offers one).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::bearer::verify;
use crate::auth::session::{
    random_token, same_secret, PendingLogin, Session, WebAuth, LOGIN_MAX_SECS,
};
use crate::auth::{PageForm, UiCaller};
use crate::chrome::Chrome;
use crate::nats_call::unix_now;
use crate::page_error::PageError;
use crate::problem::RequestId;
use crate::state::AppState;

/// Where to go back to: a local path only (never another site, never `//host`).
fn local_path(next: Option<&str>) -> String {
    match next {
        // Printable ASCII only: it becomes a `Location` header.
        Some(path)
            if path.chars().all(|c| c.is_ascii_graphic())
                && path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/login") =>
        {
            path.to_owned()
        }
        _ => String::from("/"),
    }
}

/// `?next=`.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    provider: String,
}

/// The pages' login of `state`; 404 where the portal serves no pages.
fn web_auth<'a>(state: &'a AppState, id: &RequestId) -> Result<&'a WebAuth, PageError> {
    state
        .web
        .as_deref()
        .ok_or_else(|| PageError::not_found(&id.0, None))
}

fn page_failure(id: &RequestId, code: &'static str, reason: String) -> PageError {
    PageError::login(code, reason, &id.0)
}

/// `GET /login`.
pub async fn page(
    State(state): State<AppState>,
    id: RequestId,
    Query(next): Query<Next>,
) -> Result<Response, PageError> {
    let web = web_auth(&state, &id)?;
    let provider = reqwest::Url::parse(&web.flow.config.issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| web.flow.config.issuer.clone());
    let page = LoginPage {
        chrome: Chrome::new("Log in", "", None),
        next: local_path(next.next.as_deref()),
        provider,
    };
    let html = page
        .render()
        .map_err(|_| PageError::api(crate::error::ApiError::Internal, &id.0, None))?;
    Ok(Html(html).into_response())
}

/// `GET /login/start`.
pub async fn start(
    State(state): State<AppState>,
    id: RequestId,
    Query(next): Query<Next>,
) -> Result<Response, PageError> {
    let web = web_auth(&state, &id)?;
    let started = web
        .flow
        .start()
        .await
        .map_err(|e| page_failure(&id, "login_provider", e.to_string()))?;
    let pending = PendingLogin {
        state: started.state,
        nonce: started.nonce,
        verifier: started.verifier,
        next: local_path(next.next.as_deref()),
        exp: unix_now() + LOGIN_MAX_SECS,
    };
    Ok((web.start_login(&pending), Redirect::to(&started.url)).into_response())
}

/// The provider's answer.
#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /login/callback`.
pub async fn callback(
    State(state): State<AppState>,
    id: RequestId,
    headers: HeaderMap,
    Query(answer): Query<Callback>,
) -> Result<Response, PageError> {
    let web = web_auth(&state, &id)?;
    let now = unix_now();
    let pending = web.pending_login(&headers, now).ok_or_else(|| {
        page_failure(
            &id,
            "login_expired",
            String::from("this login was not started here or took too long: log in again"),
        )
    })?;
    if let Some(error) = answer.error {
        let why = answer.error_description.unwrap_or_default();
        return Err(page_failure(
            &id,
            "login_failed",
            format!("the provider said `{error}` {why}")
                .trim()
                .to_owned(),
        ));
    }
    let (Some(code), Some(returned)) = (answer.code, answer.state) else {
        return Err(page_failure(
            &id,
            "login_failed",
            String::from("the provider's answer has no code"),
        ));
    };
    if !same_secret(&returned, &pending.state) {
        return Err(page_failure(
            &id,
            "login_failed",
            String::from("the answer does not belong to this login: log in again"),
        ));
    }
    let token = web
        .flow
        .finish(code, pending.verifier, pending.nonce)
        .await
        .map_err(|e| page_failure(&id, "login_failed", e.to_string()))?;
    // The same check every API call makes: a token the policy refuses opens nothing.
    let caller = verify(&state, token.clone().into(), now)
        .map_err(|e| page_failure(&id, "login_refused", e.detail()))?;
    tracing::info!(tenant = %caller.tenant, name = %caller.name, "logged in");
    let session = Session {
        sid: random_token(),
        token,
        exp: caller.expires_at,
        csrf: random_token(),
    };
    Ok((
        web.start_session(&session, now),
        Redirect::to(&pending.next),
    )
        .into_response())
}

/// The logout form has only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    PageForm { who, .. }: PageForm<LogoutForm>,
) -> Result<Response, PageError> {
    let UiCaller {
        caller, session, ..
    } = who;
    let web = state
        .web
        .as_deref()
        .ok_or_else(|| PageError::login_needed("/"))?;
    let jar = web.end_session(Some(&session), unix_now());
    state.sessions.forget(caller.token.expose()).await;
    tracing::info!(tenant = %caller.tenant, name = %caller.name, "logged out");
    let target = web
        .flow
        .logout_url(&session.token)
        .await
        .unwrap_or_else(|| String::from("/login"));
    Ok((jar, Redirect::to(&target)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path(Some("/users?prefix=a")), "/users?prefix=a");
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil",
            "users",
            "/login",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }
}
