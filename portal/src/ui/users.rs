//! The users pages (tenant admins): `GET /users` (searchable by name prefix and status,
//! paginated by the provisioner's cursor), `GET /users/{name}`, and revocation with a
//! confirmation page (`GET /users/{name}/revoke`, then its form). Each calls the API's
//! handler as the person; the provisioner refuses non-admins (and the page says so).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use provisioner::tenant_admin::wire::{UserStatus, UserView};
use serde::Deserialize;

use super::render::{html, when};
use crate::api::users::{self, Page};
use crate::auth::{PageForm, UiCaller};
use crate::chrome::Chrome;
use crate::extract::{ApiPath, ApiQuery};
use crate::page_error::PageError;
use crate::problem::RequestId;
use crate::state::AppState;

/// Users shown per page.
const PAGE_SIZE: u64 = 25;

/// A row of the table.
pub struct UserRow {
    name: String,
    key: String,
    issued: String,
    expires: String,
    presence: String,
    connected: bool,
    status: &'static str,
}

impl UserRow {
    fn of(u: &UserView) -> Self {
        let status = if u.revoked {
            "revoked"
        } else if u.active {
            "active"
        } else {
            "expired"
        };
        let presence = match (u.connections, u.last_seen) {
            (0, Some(at)) => format!("last seen {}", when(at)),
            (0, None) => String::from("never seen"),
            (1, _) => String::from("connected now"),
            (n, _) => format!("connected now ({n})"),
        };
        UserRow {
            name: u.name.clone(),
            key: u.public_key.clone(),
            issued: when(u.iat),
            expires: when(u.exp),
            connected: u.connections > 0,
            presence,
            status,
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<UserRow>,
    prefix: String,
    status: String,
    next: Option<String>,
}

/// The search form.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    status: String,
    cursor: Option<String>,
}

/// `GET /users`.
pub async fn list(
    State(state): State<AppState>,
    id: RequestId,
    who: UiCaller,
    Query(search): Query<Search>,
) -> Result<Response, PageError> {
    let status = match search.status.as_str() {
        "active" => Some(UserStatus::Active),
        "expired" => Some(UserStatus::Expired),
        "revoked" => Some(UserStatus::Revoked),
        _ => None,
    };
    let prefix = search.prefix.trim().to_owned();
    let page = Page {
        limit: Some(PAGE_SIZE),
        cursor: search.cursor.filter(|c| !c.is_empty()),
        prefix: (!prefix.is_empty()).then(|| prefix.clone()),
        status,
    };
    let axum::Json(found) = users::list(State(state), id, who.caller.clone(), ApiQuery(page))
        .await
        .map_err(|e| who.fail(e))?;
    let next = found.next_cursor.map(|cursor| {
        let mut url = reqwest::Url::parse("http://portal.invalid/users").ok();
        if let Some(url) = url.as_mut() {
            url.query_pairs_mut()
                .append_pair("prefix", &prefix)
                .append_pair("status", &search.status)
                .append_pair("cursor", &cursor);
        }
        url.map(|u| format!("/users?{}", u.query().unwrap_or_default()))
            .unwrap_or_default()
    });
    let page = ListPage {
        chrome: Chrome::new("Users", "users", Some(who.chrome_user())),
        rows: found.users.iter().map(UserRow::of).collect(),
        prefix,
        status: search.status,
        next,
    };
    html(&who, &page)
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    name: String,
    keys: Vec<UserRow>,
    confirm: bool,
}

async fn user_page(
    state: AppState,
    id: RequestId,
    who: UiCaller,
    name: String,
    confirm: bool,
) -> Result<Response, PageError> {
    let axum::Json(found) =
        users::show(State(state), id, who.caller.clone(), ApiPath(name.clone()))
            .await
            .map_err(|e| who.fail(e))?;
    if found.users.is_empty() {
        return Err(who.not_found());
    }
    let page = UserPage {
        chrome: Chrome::new(format!("User {name}"), "users", Some(who.chrome_user())),
        keys: found.users.iter().map(UserRow::of).collect(),
        name,
        confirm,
    };
    html(&who, &page)
}

/// `GET /users/{name}`.
pub async fn show(
    State(state): State<AppState>,
    id: RequestId,
    who: UiCaller,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user_page(state, id, who, name, false).await
}

/// `GET /users/{name}/revoke`: the confirmation.
pub async fn confirm_revoke(
    State(state): State<AppState>,
    id: RequestId,
    who: UiCaller,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    user_page(state, id, who, name, true).await
}

/// The revocation form has only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {}

/// `POST /users/{name}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    id: RequestId,
    Path(name): Path<String>,
    PageForm { who, .. }: PageForm<RevokeForm>,
) -> Result<Response, PageError> {
    let _revoked = users::revoke(State(state), id, who.caller.clone(), ApiPath(name.clone()))
        .await
        .map_err(|e| who.fail(e))?;
    let back = format!("/users/{}", crate::page_error::percent_encode(&name));
    Ok(Redirect::to(&back).into_response())
}
