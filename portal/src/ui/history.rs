//! The history page (tenant admins): the tenant's issuances, filtered by user and by
//! days back, newest first, with a chart of issuances per day drawn on the server as
//! SVG (no script needed). Reads pages of the API's history handler as the person, at
//! most [`MAX_PAGES`] of them, and says so when there was more.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::render::{html, when};
use crate::api::issuances::{self, HistoryQuery};
use crate::auth::UiCaller;
use crate::chrome::Chrome;
use crate::extract::ApiQuery;
use crate::nats_call::unix_now;
use crate::page_error::PageError;
use crate::problem::RequestId;
use crate::state::AppState;

/// History pages read for one view (500 issuances each).
const MAX_PAGES: usize = 10;
/// Rows shown in the table.
const MAX_ROWS: usize = 200;
const DAY: i64 = 86_400;

/// One bar of the chart.
pub struct DayBar {
    x: u64,
    y: u64,
    height: u64,
    count: u64,
    label: String,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    chrome: Chrome,
    user: String,
    days: i64,
    rows: Vec<(String, String, String, String, String)>,
    total: usize,
    truncated: bool,
    bars: Vec<DayBar>,
    peak: u64,
    chart_width: u64,
}

/// The filter form.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    user: String,
    days: Option<i64>,
}

/// Counts per day of `times` over the `days` days ending today (UTC), oldest first.
pub fn per_day(times: &[i64], days: i64, now: i64) -> Vec<(i64, u64)> {
    let today = now - now.rem_euclid(DAY);
    let first = today - (days - 1) * DAY;
    let mut counts: Vec<(i64, u64)> = (0..days).map(|d| (first + d * DAY, 0)).collect();
    for t in times {
        let index = (t - first).div_euclid(DAY);
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| counts.get_mut(i)) {
            slot.1 += 1;
        }
    }
    counts
}

/// `GET /history`.
pub async fn page(
    State(state): State<AppState>,
    id: RequestId,
    who: UiCaller,
    Query(filter): Query<Filter>,
) -> Result<Response, PageError> {
    let days = filter.days.unwrap_or(14).clamp(1, 90);
    let now = unix_now();
    let user = filter.user.trim().to_owned();
    let mut found = Vec::new();
    let mut cursor = None;
    let mut truncated = false;
    for round in 0..MAX_PAGES {
        let query = HistoryQuery {
            user: (!user.is_empty()).then(|| user.clone()),
            since: cursor.is_none().then_some(now - days * DAY),
            limit: Some(500),
            cursor: cursor.take(),
        };
        let axum::Json(page) = issuances::list(
            State(state.clone()),
            id.clone(),
            who.caller.clone(),
            ApiQuery(query),
        )
        .await
        .map_err(|e| who.fail(e))?;
        found.extend(page.issuances);
        match page.next_cursor.filter(|c| !c.is_empty()) {
            Some(next) if round + 1 < MAX_PAGES => cursor = Some(next),
            Some(_) => truncated = true,
            None => break,
        }
    }
    let times: Vec<i64> = found.iter().map(|i| i.ts).collect();
    let counts = per_day(&times, days, now);
    let peak = counts.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let bar_width = 24u64;
    let bars = counts
        .iter()
        .zip(0u64..)
        .map(|((day, count), i)| {
            let height = count * 120 / peak;
            DayBar {
                x: i * bar_width,
                y: 130 - height,
                height,
                count: *count,
                label: when(*day).chars().take(10).collect(),
            }
        })
        .collect::<Vec<_>>();
    found.sort_by_key(|i| std::cmp::Reverse(i.ts));
    let total = found.len();
    let rows = found
        .into_iter()
        .take(MAX_ROWS)
        .map(|i| {
            let door = i.via.clone().unwrap_or_else(|| i.door.clone());
            (when(i.ts), i.name, i.user_public_key, door, when(i.expires))
        })
        .collect();
    let page = HistoryPage {
        chrome: Chrome::new("History", "history", Some(who.chrome_user())),
        user,
        days,
        rows,
        total,
        truncated,
        chart_width: bar_width * bars.len() as u64,
        bars,
        peak,
    };
    html(&who, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuances_fall_into_their_utc_day() {
        let now = 10 * DAY + 3_600;
        let counts = per_day(&[now, now - 7_200, 9 * DAY + 5, 3 * DAY], 3, now);
        assert_eq!(counts, vec![(8 * DAY, 0), (9 * DAY, 2), (10 * DAY, 1)]);
    }
}
