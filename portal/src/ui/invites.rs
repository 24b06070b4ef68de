//! The invites page (tenant admins): `GET /invites` lists the tenant's invites, `POST
//! /invites` makes one and shows its code once (with a copy button), `POST
//! /invites/{id}/revoke` withdraws one. Each calls the API's handler as the person.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use provisioner::tenant_admin::wire::{InviteCreated, InviteView};
use serde::Deserialize;

use super::render::{html, when};
use crate::api::invites::{self, NewInvite};
use crate::auth::{PageForm, UiCaller};
use crate::chrome::Chrome;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::page_error::PageError;
use crate::problem::RequestId;
use crate::state::AppState;

/// A row of the list.
pub struct InviteRow {
    id: String,
    pattern: String,
    uses: String,
    expires: String,
    by: String,
    usable: bool,
}

impl InviteRow {
    fn of(i: &InviteView) -> Self {
        InviteRow {
            id: i.id.clone(),
            pattern: i.name_pattern.clone(),
            uses: format!("{} of {} left", i.uses_left, i.uses),
            expires: when(i.expires),
            by: i.created_by.clone(),
            usable: i.usable,
        }
    }
}

#[derive(Template)]
#[template(path = "invites.html")]
struct InvitesPage {
    chrome: Chrome,
    rows: Vec<InviteRow>,
    /// The code of the invite just made. Secret: shown once.
    created: Option<(String, String)>,
}

async fn invites_page(
    state: AppState,
    id: RequestId,
    who: UiCaller,
    created: Option<InviteCreated>,
) -> Result<Response, PageError> {
    let axum::Json(found) = invites::list(State(state), id, who.caller.clone())
        .await
        .map_err(|e| who.fail(e))?;
    let page = InvitesPage {
        chrome: Chrome::new("Invites", "invites", Some(who.chrome_user())),
        rows: found.invites.iter().map(InviteRow::of).collect(),
        created: created.map(|c| (c.token, c.name_pattern)),
    };
    html(&who, &page)
}

/// `GET /invites`.
pub async fn list(
    State(state): State<AppState>,
    id: RequestId,
    who: UiCaller,
) -> Result<Response, PageError> {
    invites_page(state, id, who, None).await
}

/// The new-invite form.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    name_pattern: String,
    #[serde(default)]
    uses: String,
    #[serde(default)]
    hours: String,
}

fn number(field: &str, text: &str) -> Result<Option<u64>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| ApiError::BadRequest {
            code: "bad_request",
            reason: format!("{field} is a whole number"),
        }),
    }
}

/// `POST /invites`.
pub async fn create(
    State(state): State<AppState>,
    id: RequestId,
    PageForm { who, form }: PageForm<InviteForm>,
) -> Result<Response, PageError> {
    let uses = number("uses", &form.uses).map_err(|e| who.fail(e))?;
    let hours = number("hours", &form.hours).map_err(|e| who.fail(e))?;
    let invite = NewInvite {
        name_pattern: Some(form.name_pattern.trim().to_owned()).filter(|p| !p.is_empty()),
        uses,
        ttl_secs: hours.map(|h| h.saturating_mul(3_600)),
        tags: None,
    };
    let response = invites::create(
        State(state.clone()),
        id.clone(),
        who.caller.clone(),
        ApiJson(invite),
    )
    .await
    .map_err(|e| who.fail(e))?;
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map_err(|_| who.fail(ApiError::Internal))?;
    let created: InviteCreated =
        serde_json::from_slice(&body).map_err(|_| who.fail(ApiError::Internal))?;
    invites_page(state, id, who, Some(created)).await
}

/// The revoke form has only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {}

/// `POST /invites/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    request_id: RequestId,
    Path(invite): Path<String>,
    PageForm { who, .. }: PageForm<RevokeForm>,
) -> Result<Response, PageError> {
    let _withdrawn = invites::revoke(
        State(state),
        request_id,
        who.caller.clone(),
        ApiPath(invite),
    )
    .await
    .map_err(|e| who.fail(e))?;
    Ok(Redirect::to("/invites").into_response())
}
