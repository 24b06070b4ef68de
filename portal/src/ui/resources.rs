//! The resource pages: `GET /resources` (the services, sites and types the person may
//! use, found by asking the agents through the person's own connection, so what NATS
//! does not let them reach is not offered; a request form per type; the tenant's
//! resources with their state, kept live by `portal.js` over server-sent events),
//! `POST /resources` (a request: to its page), `GET /resources/{rid}` (state history
//! and the handler's details, with update and delete), `POST /resources/{rid}`
//! (`action=update|delete|retry`) and `GET /resources/{rid}/events` (the API's event stream,
//! for the session). Each calls the API's handler as the person.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::render::{html, when};
use crate::api::resource_list::{self, ResourceList};
use crate::api::resources::{self, NewResource, ResourceChange};
use crate::api::resources_wire::{ResourceRecord, RidPath};
use crate::api::{resource_events, resource_retry, services};
use crate::auth::{PageForm, UiCaller};
use crate::chrome::Chrome;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::page_error::PageError;
use crate::state::AppState;

/// A lifecycle state's wire name (`pending_approval`).
pub fn status_name(status: agent::lifecycle::Status) -> String {
    status.name().to_owned()
}

fn services_query(state: &AppState) -> services::ServicesParams {
    let names = state
        .web
        .as_deref()
        .map(|w| w.flow.config.services.clone())
        .unwrap_or_default();
    Ok(Query(
        names
            .into_iter()
            .map(|s| (String::from("service"), s))
            .collect(),
    ))
}

/// The tenant's resources at every configured service (empty when none is configured
/// or none answers).
pub async fn all_resources(state: &AppState, who: &UiCaller) -> ResourceList {
    let empty = ResourceList {
        resources: Vec::new(),
        unreachable: Vec::new(),
    };
    if state
        .web
        .as_deref()
        .is_none_or(|w| w.flow.config.services.is_empty())
    {
        return empty;
    }
    resource_list::list(
        State(state.clone()),
        who.caller.clone(),
        services_query(state),
    )
    .await
    .map_or(empty, |axum::Json(list)| list)
}

/// A row of the list.
pub struct Row {
    rid: String,
    service: String,
    site: String,
    kind: String,
    target: String,
    status: String,
    settled: bool,
    at: String,
}

impl Row {
    fn of(r: &ResourceRecord) -> Self {
        Row {
            // The record's id is the API's resource id, `<service>.<site>.<id>`.
            rid: r.id.clone(),
            service: r.service.clone(),
            site: r.site.clone(),
            kind: r.resource_type.clone(),
            target: r.target_entity.clone(),
            status: status_name(r.status),
            settled: r.status.is_settled(),
            at: when(r.accepted_at),
        }
    }
}

/// One type at one site that may be requested.
pub struct Offer {
    service: String,
    site: String,
    kind: String,
    approval: bool,
}

#[derive(Template)]
#[template(path = "resources.html")]
struct ListPage {
    chrome: Chrome,
    offers: Vec<Offer>,
    rows: Vec<Row>,
    unreachable: Vec<String>,
    configured: bool,
}

/// `GET /resources`.
pub async fn list(State(state): State<AppState>, who: UiCaller) -> Result<Response, PageError> {
    let configured = state
        .web
        .as_deref()
        .is_some_and(|w| !w.flow.config.services.is_empty());
    let mut offers = Vec::new();
    let mut unreachable = Vec::new();
    if configured {
        let found = services::list(
            State(state.clone()),
            who.caller.clone(),
            services_query(&state),
        )
        .await
        .map_err(|e| who.fail(e))?
        .0;
        for service in found.services {
            for site in service.sites {
                for kind in site.types {
                    offers.push(Offer {
                        approval: site.approval_types.contains(&kind),
                        service: service.service.clone(),
                        site: site.site.clone(),
                        kind,
                    });
                }
            }
        }
        unreachable = found.unreachable;
    }
    let listed = all_resources(&state, &who).await;
    let mut rows: Vec<Row> = listed.resources.iter().map(Row::of).collect();
    rows.sort_by(|a, b| b.at.cmp(&a.at));
    let page = ListPage {
        chrome: Chrome::new("Resources", "resources", Some(who.chrome_user())),
        offers,
        rows,
        unreachable,
        configured,
    };
    html(&who, &page)
}

/// The request form.
#[derive(Debug, Deserialize)]
pub struct RequestForm {
    /// `service/site/type`, as the form's offer value.
    offer: String,
    target_entity: String,
    #[serde(default)]
    spec: String,
}

fn spec_of(
    who: &UiCaller,
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, PageError> {
    if text.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    serde_json::from_str(text).map_err(|e| {
        who.fail(ApiError::BadRequest {
            code: "invalid_json",
            reason: format!("the specification is not a JSON object: {e}"),
        })
    })
}

/// The page of the resource the API's `Location` names.
fn to_page(response: &Response) -> Redirect {
    let target = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.strip_prefix(crate::api::API_PREFIX))
        .unwrap_or("/resources")
        .to_owned();
    Redirect::to(&target)
}

/// `POST /resources`.
pub async fn create(
    State(state): State<AppState>,
    PageForm { who, form }: PageForm<RequestForm>,
) -> Result<Response, PageError> {
    let mut parts = form.offer.splitn(3, '/');
    let (Some(service), Some(site), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(who.fail(ApiError::BadRequest {
            code: "bad_request",
            reason: String::from("choose a resource type"),
        }));
    };
    let new = NewResource {
        service: service.to_owned(),
        site: site.to_owned(),
        resource_type: kind.to_owned(),
        target_entity: form.target_entity,
        spec: Some(spec_of(&who, &form.spec)?),
    };
    let response = resources::create(State(state), who.caller.clone(), ApiJson(new))
        .await
        .map_err(|e| who.fail(e))?;
    Ok(to_page(&response).into_response())
}

#[derive(Template)]
#[template(path = "resource.html")]
struct DetailPage {
    chrome: Chrome,
    row: Row,
    spec: String,
    error: Option<String>,
    details: Vec<(String, String)>,
    history: Vec<(String, String, String, String)>,
    live: bool,
    /// A change was asked from this page and no agent has taken it yet.
    waiting: bool,
}

/// `?asked=N` on a detail page: a change was queued from it while the record had `N`
/// moves. Until an agent takes the change (a move is added) the record still shows the
/// settled state it was in, which no event stream follows, so the page reloads itself.
#[derive(Debug, Default, Deserialize)]
pub struct AskedQuery {
    asked: Option<usize>,
}

/// How often a page waiting for an agent to take a queued change loads itself again.
const WAITING_REFRESH_SECS: u32 = 1;

/// `GET /resources/{rid}`.
pub async fn show(
    State(state): State<AppState>,
    who: UiCaller,
    Path(rid): Path<String>,
    Query(query): Query<AskedQuery>,
) -> Result<Response, PageError> {
    let axum::Json(record) =
        resources::show(State(state), who.caller.clone(), ApiPath(RidPath { rid }))
            .await
            .map_err(|e| who.fail(e))?;
    let details = record
        .details
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    let history = record
        .history
        .iter()
        .map(|m| {
            (
                when(m.at),
                status_name(m.to),
                m.event.clone(),
                m.note.clone().unwrap_or_default(),
            )
        })
        .collect();
    let spec = record
        .specification
        .as_ref()
        .and_then(|s| serde_json::to_string_pretty(s).ok())
        .unwrap_or_else(|| String::from("{}"));
    let row = Row::of(&record);
    let waiting = row.settled && query.asked.is_some_and(|n| record.history.len() <= n);
    let mut chrome = Chrome::new(
        format!("Resource {}", record.id),
        "resources",
        Some(who.chrome_user()),
    );
    chrome.refresh_secs = waiting.then_some(WAITING_REFRESH_SECS);
    let page = DetailPage {
        chrome,
        waiting,
        live: !row.settled,
        row,
        spec,
        error: record.error,
        details,
        history,
    };
    html(&who, &page)
}

/// The detail page's forms.
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    action: String,
    #[serde(default)]
    spec: String,
}

/// `POST /resources/{rid}` (`action=update|delete|retry`).
pub async fn change(
    State(state): State<AppState>,
    Path(rid): Path<String>,
    PageForm { who, form }: PageForm<ChangeForm>,
) -> Result<Response, PageError> {
    // The moves before the change: the page it leads to waits for the next one.
    let axum::Json(before) = resources::show(
        State(state.clone()),
        who.caller.clone(),
        ApiPath(RidPath { rid: rid.clone() }),
    )
    .await
    .map_err(|e| who.fail(e))?;
    let path = ApiPath(RidPath { rid: rid.clone() });
    let caller = who.caller.clone();
    let response = match form.action.as_str() {
        "update" => {
            let spec = spec_of(&who, &form.spec)?;
            resources::update(State(state), caller, path, ApiJson(ResourceChange { spec })).await
        }
        "delete" => resources::delete(State(state), caller, path).await,
        "retry" => resource_retry::retry(State(state), caller, path).await,
        _ => Err(ApiError::BadRequest {
            code: "bad_request",
            reason: String::from("`action` is `update`, `delete` or `retry`"),
        }),
    };
    response.map_err(|e| who.fail(e))?;
    let asked = before.history.len();
    Ok(Redirect::to(&format!("/resources/{rid}?asked={asked}")).into_response())
}

/// `GET /resources/{rid}/events`.
pub async fn events(
    State(state): State<AppState>,
    who: UiCaller,
    Path(rid): Path<String>,
) -> Result<Response, PageError> {
    resource_events::events(State(state), who.caller.clone(), ApiPath(RidPath { rid }))
        .await
        .map(IntoResponse::into_response)
        .map_err(|e| who.fail(e))
}
