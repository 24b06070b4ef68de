//! `issuances`: the tenant's issuance history ("who got credentials, for which key, when,
//! by which door"), one page at a time, oldest first: from a time (`since`), after a
//! cursor, for every user or one (`name`). Read from the history stream
//! (`registry::history`), which only the provisioner's account holds; a tenant reads its
//! own records and never another's, whatever it asks.

use bytes::Bytes;
use registry::history::{From, History, MAX_PAGE};

use crate::rejection::{Rejection, Status};
use crate::tenant_admin::call::{body, cursor_of, registry_failed, AdminCall};
use crate::tenant_admin::wire::IssuancesReply;

/// 9999-12-31T23:59:59Z, the last second JetStream start times can name.
const LAST_SECOND: i64 = 253_402_300_799;

/// Issuances a page holds unless the request says otherwise.
pub const DEFAULT_PAGE: u64 = 100;

/// `issuances`.
///
/// # Errors
/// A 400 for a bad `limit`, `cursor` or `since`, a 503 when no history is kept, a 500
/// when reading it fails.
pub async fn issuances(
    call: &AdminCall<'_>,
    history: Option<&History>,
) -> Result<Bytes, Rejection> {
    let history = history.ok_or_else(|| {
        Rejection::new(
            Status::Unavailable,
            "history_disabled",
            "this provisioner keeps no issuance history (history_max_age_secs)",
        )
    })?;
    let request = &call.request;
    let limit = request.limit.unwrap_or(DEFAULT_PAGE);
    let max = u64::try_from(MAX_PAGE).unwrap_or(u64::MAX);
    if !(1..=max).contains(&limit) {
        return Err(Rejection::bad_request(
            "bad_request",
            format!("`limit` must be between 1 and {MAX_PAGE}"),
        ));
    }
    let from = match (cursor_of(request)?, request.since) {
        (0, None) => From::Start,
        (0, Some(since)) if since < 0 => {
            return Err(Rejection::bad_request(
                "bad_request",
                "`since` must be Unix seconds, not negative",
            ))
        }
        // Past the last second a timestamp can name, nothing was issued: the end.
        (0, Some(since)) => From::Since(since.min(LAST_SECOND)),
        (after, _) => From::After(after),
    };

    let name = request
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| call.tenant.config().names.unique_form(n));
    let page = history
        .page(
            call.tenant.name(),
            name.as_deref(),
            from,
            usize::try_from(limit).unwrap_or(MAX_PAGE),
        )
        .await
        .map_err(|e| registry_failed(&e))?;
    body(&IssuancesReply {
        tenant: call.tenant.name().to_owned(),
        issuances: page.records.into_iter().map(|(_, r)| r).collect(),
        next_cursor: page.next.map(|n| n.to_string()),
    })
}
