//! `GET /`: the overview. Who is logged in and in which tenant and role; the tenant's
//! limits with their use as bars; for admins the latest issuances and the users
//! connected now; the tenant's resources counted by state. Each part is one call of
//! the API's own handlers as the person; a part whose call fails says so and the rest
//! of the page still shows.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::render::{html, span, when};
use super::resources::{all_resources, status_name};
use crate::api::issuances::HistoryQuery;
use crate::api::users::Page as UsersPage;
use crate::api::{invites, issuances, me, users};
use crate::auth::{Role, UiCaller};
use crate::chrome::Chrome;
use crate::extract::ApiQuery;
use crate::page_error::PageError;
use crate::problem::RequestId;
use crate::state::AppState;

/// A bar of the quota section.
pub struct Bar {
    /// What is counted.
    pub label: String,
    /// How many are used.
    pub used: u64,
    /// The limit.
    pub limit: u64,
    /// `used / limit` in whole percent, at most 100.
    pub percent: u64,
}

impl Bar {
    fn new(label: &str, used: u64, limit: u64) -> Self {
        let percent = used
            .saturating_mul(100)
            .checked_div(limit)
            .map_or(100, |p| p.min(100));
        Self {
            label: label.to_owned(),
            used,
            limit,
            percent,
        }
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    name: String,
    tenant: String,
    admin: bool,
    session_ends: String,
    default_ttl: String,
    max_ttl: String,
    rate: Option<String>,
    bars: Vec<Bar>,
    recent: Vec<(String, String, String)>,
    recent_failed: bool,
    connected: Vec<(String, u32)>,
    resources: Vec<(String, usize)>,
    unreachable: Vec<String>,
}

/// `GET /`.
pub async fn page(
    State(state): State<AppState>,
    id: RequestId,
    who: UiCaller,
) -> Result<Response, PageError> {
    let caller = who.caller.clone();
    let axum::Json(me) = me::me(State(state.clone()), id.clone(), caller.clone()).await;
    let q = &me.quota;
    let mut bars = Vec::new();
    if let (Some(limit), Some(used)) = (q.max_active_users, q.active_users) {
        bars.push(Bar::new("Active users", used, limit));
    }
    let rate = q.per_tenant.map(|n| {
        format!(
            "{n} credentials per {} for the tenant",
            span(q.rate_window_secs)
        )
    });
    let admin = caller.role == Role::Admin;
    let (mut recent, mut recent_failed, mut connected) = (Vec::new(), false, Vec::new());
    if admin {
        let query = HistoryQuery {
            limit: Some(8),
            ..HistoryQuery::default()
        };
        match issuances::list(
            State(state.clone()),
            id.clone(),
            caller.clone(),
            ApiQuery(query),
        )
        .await
        {
            Ok(axum::Json(found)) => {
                recent = found
                    .issuances
                    .into_iter()
                    .map(|i| (when(i.ts), i.name, i.via.unwrap_or(i.door)))
                    .collect();
            }
            Err(_) => recent_failed = true,
        }
        if let Ok(axum::Json(found)) =
            invites::list(State(state.clone()), id.clone(), caller.clone()).await
        {
            let open = found.invites.iter().filter(|i| i.usable).count();
            let open = u64::try_from(open).unwrap_or(u64::MAX);
            bars.push(Bar::new("Open invites", open, q.max_outstanding_invites));
        }
        let page = UsersPage {
            limit: Some(200),
            ..UsersPage::default()
        };
        if let Ok(axum::Json(found)) = users::list(
            State(state.clone()),
            id.clone(),
            caller.clone(),
            ApiQuery(page),
        )
        .await
        {
            connected = found
                .users
                .into_iter()
                .filter(|u| u.connections > 0)
                .map(|u| (u.name, u.connections))
                .collect();
        }
    }
    let listed = all_resources(&state, &who).await;
    let mut resources: Vec<(String, usize)> = Vec::new();
    for record in &listed.resources {
        let name = status_name(record.status);
        match resources.iter_mut().find(|(s, _)| *s == name) {
            Some((_, n)) => *n += 1,
            None => resources.push((name, 1)),
        }
    }
    resources.sort();
    let page = OverviewPage {
        chrome: Chrome::new("Overview", "overview", Some(who.chrome_user())),
        name: me.name,
        tenant: me.tenant,
        admin,
        session_ends: when(me.token_expires_at),
        default_ttl: span(q.default_ttl_secs),
        max_ttl: span(q.max_ttl_secs),
        rate,
        bars,
        recent,
        recent_failed,
        connected,
        resources,
        unreachable: listed.unreachable,
    };
    html(&who, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_capped_and_an_empty_limit_is_full() {
        assert_eq!(Bar::new("u", 5, 10).percent, 50);
        assert_eq!(Bar::new("u", 15, 10).percent, 100);
        assert_eq!(Bar::new("u", 0, 0).percent, 100);
    }
}
