//! `GET /resources/{rid}/events`: server-sent events of a resource's state. The record is
//! read through the caller's own connection first (a `404` before any event, as `GET
//! /resources/{rid}`), sent as an event `state`, then read again every
//! [`POLL`] and sent each time its status changes. The stream ends after a settled state
//! (`created`, `error`, `denied`, `deleted`), when the record is gone, or after
//! [`LIFETIME`]; a keep-alive comment every [`KEEP_ALIVE`] holds proxies open.

use std::convert::Infallible;
use std::time::Duration;

use async_nats::Client;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream};
use tokio::time::Instant;

use agent::lifecycle::Status;

use super::resource_site::{find, record};
use super::resources_wire::{caller_client, ResourceRecord, Rid, RidPath};
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::problem::Problem;
use crate::state::AppState;

/// How often the record is read.
pub const POLL: Duration = Duration::from_millis(250);
/// How long one stream lasts at most.
pub const LIFETIME: Duration = Duration::from_secs(300);
/// How often a keep-alive comment is sent.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The event naming a state.
const STATE_EVENT: &str = "state";

struct Watch {
    state: AppState,
    client: Client,
    rid: Rid,
    /// The record to send next, if any.
    next: Option<ResourceRecord>,
    /// The status last sent.
    sent: Option<Status>,
    until: Instant,
    done: bool,
}

impl Watch {
    /// The next record whose status differs from the last one sent; `None` to end.
    async fn advance(&mut self) -> Option<ResourceRecord> {
        if let Some(first) = self.next.take() {
            return Some(first);
        }
        loop {
            if self.done || Instant::now() + POLL > self.until {
                return None;
            }
            tokio::time::sleep(POLL).await;
            match record(&self.state, &self.client, &self.rid).await {
                Ok(found) if Some(found.status) != self.sent => return Some(found),
                Ok(_) => {}
                // The record is gone (or never was): nothing more will come.
                Err(ApiError::Refused { status: 404, .. }) => return None,
                // Anything else may pass: read again on the next round.
                Err(err) => tracing::debug!(error = %err, "reading a watched record failed"),
            }
        }
    }
}

fn event_of(found: &ResourceRecord) -> Event {
    Event::default()
        .event(STATE_EVENT)
        .json_data(found)
        .unwrap_or_else(|_| Event::default().event(STATE_EVENT))
}

/// The record's states as they change.
#[utoipa::path(
    get,
    path = "/resources/{rid}/events",
    operation_id = "resource_events",
    tag = "resources",
    params(RidPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Server-sent events `state`, each the record (as `GET /resources/{rid}` answers it) when its status changed; the stream ends after a settled state or five minutes", body = String, content_type = "text/event-stream"),
        (status = "4XX", description = "Refused (404 resource_not_found)", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiPath(path): ApiPath<RidPath>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let client = caller_client(&state, &caller).await?;
    let (rid, first) = find(&state, &client, &caller.tenant, &path.rid).await?;
    let watch = Watch {
        state,
        client,
        rid,
        next: Some(first),
        sent: None,
        until: Instant::now() + LIFETIME,
        done: false,
    };
    let stream = stream::unfold(watch, |mut watch| async move {
        let found = watch.advance().await?;
        watch.sent = Some(found.status);
        watch.done = found.status.is_settled();
        Some((Ok(event_of(&found)), watch))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
