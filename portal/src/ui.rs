//! The web pages, served by the same process as the API and acting exactly as it does:
//! each page establishes the person from the session cookie (`auth::UiCaller`), then
//! calls the API's own handler functions as that person, so the provisioner decides
//! through the tenant's imports and nothing here holds power of its own. One file per
//! page group; the templates are in `templates/`, compiled into the binary.
//!
//! Pages: `login` (log in and out), `overview`, `credentials`, `users`, `invites`,
//! `history`, `resources`. Forms work without JavaScript; `static/portal.js` adds the
//! live parts (resource states over server-sent events, copy buttons).

pub mod credentials;
pub mod history;
pub mod invites;
pub mod login;
pub mod overview;
pub mod render;
pub mod resources;
pub mod users;

use std::sync::Arc;

use axum::extract::State;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::assets::{content_security_policy, secure_headers};
use crate::state::AppState;

/// The pages' routes, every answer with the pages' security headers.
pub fn routes(state: &AppState) -> Router<AppState> {
    let provider = state
        .web
        .as_deref()
        .and_then(|w| reqwest::Url::parse(&w.flow.config.issuer).ok())
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let csp: Arc<str> = Arc::from(content_security_policy(&provider));
    Router::new()
        .route("/", get(overview::page))
        .route("/login", get(login::page))
        .route("/login/start", get(login::start))
        .route("/login/callback", get(login::callback))
        .route("/logout", post(login::logout))
        .route(
            "/credentials",
            get(credentials::page).post(credentials::create),
        )
        .route("/users", get(users::list))
        .route("/users/{name}", get(users::show))
        .route(
            "/users/{name}/revoke",
            get(users::confirm_revoke).post(users::revoke),
        )
        .route("/invites", get(invites::list).post(invites::create))
        .route("/invites/{id}/revoke", post(invites::revoke))
        .route("/history", get(history::page))
        .route("/resources", get(resources::list).post(resources::create))
        .route(
            "/resources/{rid}",
            get(resources::show).post(resources::change),
        )
        .route("/resources/{rid}/events", get(resources::events))
        .route("/static/{file}", get(crate::assets::serve))
        .layer(middleware::map_response_with_state(csp, with_headers))
}

async fn with_headers(State(csp): State<Arc<str>>, mut response: Response) -> Response {
    secure_headers(&mut response, &csp);
    response
}
