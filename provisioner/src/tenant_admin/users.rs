//! `users.list`, `users.show` and `users.revoke`: the tenant's issued users, and revoking
//! one by name (see `registry::revoke` for what a revocation does).

use bytes::Bytes;
use registry::revoke::{held_keys, PushError, Revoker};

use std::collections::BTreeSet;

use crate::renew_notice::{NoticeReason, Notices};
use crate::tenant_admin::jwt_budget;

use crate::rejection::{echo, Rejection, Status};
use crate::tenant_admin::call::{body, cursor_of, registry_failed, required_name, AdminCall};
use crate::tenant_admin::wire::{RevokeReply, UserStatus, UserView, UsersReply};

/// Users a `users.list` page holds unless the request says otherwise.
pub const DEFAULT_PAGE: u64 = 100;
/// The most users one page may hold.
pub const MAX_PAGE: u64 = 1_000;

/// `users.list`: one page of the tenant's users (`limit`, `cursor`), read without
/// loading the others, optionally only those whose name starts with `prefix` or in one
/// `status`.
///
/// # Errors
/// A 400 for a bad `limit` or `cursor`, a 500 when the registry fails.
pub async fn list(call: &AdminCall<'_>) -> Result<Bytes, Rejection> {
    let limit = call.request.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Rejection::bad_request(
            "bad_request",
            format!("`limit` must be between 1 and {MAX_PAGE}"),
        ));
    }
    let after = cursor_of(&call.request)?;
    let limit = usize::try_from(limit).unwrap_or(100);
    let wanted = Wanted::of(call);
    let (mut views, mut cursor) = (Vec::new(), Some(after));
    let mut scanned = 0;
    // With a filter, pages are read until this one is full, the tenant's users end, or
    // SCAN_BOUND entries were read; the reply's cursor then continues where it stopped
    // (a page may come back short, even empty, with a cursor).
    while let Some(after) = cursor.filter(|_| views.len() < limit && scanned < SCAN_BOUND) {
        let (users, next) = call
            .registry
            .users_page(call.tenant.name(), after, limit - views.len())
            .await
            .map_err(|e| registry_failed(&e))?;
        scanned += users.len();
        views.extend(
            users
                .iter()
                .map(|u| UserView::of(&u.value, call.now))
                .filter(|v| wanted.matches(v)),
        );
        cursor = next;
    }
    with_presence(call, &mut views).await;
    body(&UsersReply {
        tenant: call.tenant.name().to_owned(),
        users: views,
        next_cursor: cursor.map(|n| n.to_string()),
    })
}

/// Presence lookups made at once for one page.
const PRESENCE_LOOKUPS: usize = 16;

/// Fills in each user's presence. Presence is a view of the server's events, not a
/// fact issuance depends on: a failed lookup leaves the user shown as not connected,
/// logged, instead of failing the page.
async fn with_presence(call: &AdminCall<'_>, views: &mut [UserView]) {
    for chunk in views.chunks_mut(PRESENCE_LOOKUPS) {
        let lookups = chunk.iter().map(|v| presence_of(call, &v.name));
        let found = futures::future::join_all(lookups).await;
        for (view, presence) in chunk.iter_mut().zip(found) {
            match presence {
                Ok(p) => {
                    view.connections = p.connections;
                    view.last_seen = p.last_seen;
                }
                Err(err) => tracing::warn!(error = %err, "reading presence failed"),
            }
        }
    }
}

async fn presence_of(
    call: &AdminCall<'_>,
    name: &str,
) -> Result<registry::presence::Presence, registry::RegistryError> {
    let name = call.tenant.config().names.unique_form(name);
    call.registry.presence.of(call.tenant.name(), &name).await
}

/// The most entries one filtered `users.list` call reads.
const SCAN_BOUND: usize = 5_000;

/// What `users.list` keeps: names starting with `prefix` (compared as the tenant
/// compares names) in state `status`.
struct Wanted<'a> {
    prefix: Option<String>,
    status: Option<UserStatus>,
    names: &'a policy::schema::NamesConfig,
}

impl<'a> Wanted<'a> {
    fn of(call: &'a AdminCall<'_>) -> Self {
        let names = &call.tenant.config().names;
        Wanted {
            prefix: call
                .request
                .prefix
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(|p| names.unique_form(p)),
            status: call.request.status,
            names,
        }
    }

    fn matches(&self, view: &UserView) -> bool {
        self.status.is_none_or(|s| s == UserStatus::of(view))
            && self
                .prefix
                .as_ref()
                .is_none_or(|p| self.names.unique_form(&view.name).starts_with(p.as_str()))
    }
}

/// `users.show`.
///
/// # Errors
/// A 400 without a name, a 404 for an unknown one, a 500 when the registry fails.
pub async fn show(call: &AdminCall<'_>) -> Result<Bytes, Rejection> {
    let name = &registry_name(call, required_name(&call.request)?);
    let users = call
        .registry
        .users_named(call.tenant.name(), name, unique(call))
        .await
        .map_err(|e| registry_failed(&e))?;
    if users.is_empty() {
        return Err(not_found(name));
    }
    let mut views: Vec<UserView> = users
        .iter()
        .map(|u| UserView::of(&u.value, call.now))
        .collect();
    with_presence(call, &mut views).await;
    body(&UsersReply {
        tenant: call.tenant.name().to_owned(),
        users: views,
        next_cursor: None,
    })
}

/// `users.revoke`: marks the name revoked (never issued again) and, with a revoker,
/// pushes the account's revocations so the server closes and refuses the user.
///
/// # Errors
/// A 400 without a name, a 404 for an unknown one, a 409 `self_revocation` for the
/// caller's own name, a 500 when the registry fails. A failed push is not an error: the reply says `pushed: false` and why.
pub async fn revoke(
    call: &AdminCall<'_>,
    revoker: Option<&Revoker>,
    notices: &Notices,
) -> Result<Bytes, Rejection> {
    let name = &registry_name(call, required_name(&call.request)?);
    if *name == registry_name(call, &call.caller_name) {
        // The push would close the very connection waiting for this reply, and lock the
        // admin out: another admin must do it.
        return Err(Rejection::new(
            Status::Conflict,
            "self_revocation",
            "an admin cannot revoke its own name; ask another admin of the tenant",
        ));
    }
    let tenant = call.tenant.name();
    let mut revoked = call
        .registry
        .mark_revoked(tenant, name, unique(call), call.now)
        .await
        .map_err(|e| registry_failed(&e))?;
    if revoked.is_empty() {
        return Err(not_found(name));
    }
    // Before the push closes its connections: a live client hears it and its renewal
    // is refused at once (`name_revoked`), whatever the push's outcome.
    for user_name in revoked
        .iter()
        .map(|u| u.name.as_str())
        .collect::<BTreeSet<_>>()
    {
        notices
            .send(
                call.tenant.account(),
                user_name,
                NoticeReason::AdminAction,
                call.now,
            )
            .await;
    }
    // Auth callout logins: the keys of their logins whose JWTs may still be valid.
    let mut capture_failed = None;
    if let Some(revoker) = revoker {
        if let Err(err) = revoker
            .capture_logins(
                call.registry,
                tenant,
                (unique(call), call.now),
                &mut revoked,
            )
            .await
        {
            tracing::warn!(tenant, error = %err, "finding the live connections of a revoked login failed");
            capture_failed = Some(err.to_string());
        }
    }
    let public_keys: Vec<String> = revoked.iter().flat_map(held_keys).collect();
    // The keys just found (logins, keys the name moved away from) are refused under any
    // name from now on, as the entries' own keys already are; marks already there stay.
    if let Err(err) = call
        .registry
        .write_marks(tenant, name, &public_keys, call.now)
        .await
    {
        tracing::warn!(tenant, error = %err, "marking the keys of a revoked name failed");
    }
    let revoked_at = revoked
        .iter()
        .filter_map(|u| u.revoked_at)
        .max()
        .unwrap_or(call.now);
    let last_exp = revoked.iter().map(|u| u.max_exp).max().unwrap_or(0);
    let mut reply = RevokeReply {
        tenant: tenant.to_owned(),
        name: name.to_owned(),
        public_keys,
        revoked_at,
        pushed: false,
        revocations: None,
        pruned: None,
        note: String::new(),
    };
    let until = if last_exp == 0 {
        String::from("never expire")
    } else {
        format!("stay valid until they expire at {last_exp}")
    };
    match revoker {
        None => {
            reply.note = format!(
                "marked revoked: the name is never renewed, but this provisioner has no \
                 operator signing key and system account user, so its credentials {until}"
            );
        }
        Some(revoker) => {
            match revoker
                .push(call.registry, tenant, call.tenant.account(), call.now)
                .await
            {
                Ok(report) => {
                    jwt_budget::pushed(tenant, report.jwt_bytes, revoker.budget);
                    reply.pushed = true;
                    reply.revocations = Some(report.revocations);
                    reply.pruned = Some(report.pruned);
                    reply.note = match &capture_failed {
                        None => String::from(
                            "revoked: the account's revocations were pushed; the server \
                             closes and refuses the user",
                        ),
                        Some(err) => format!(
                            "revoked and pushed, but the keys of its auth callout logins \
                             could not be listed ({err}): their connections stay until \
                             their JWTs expire"
                        ),
                    };
                }
                Err(err) => {
                    match &err {
                        PushError::OverBudget { over, .. } => jwt_budget::refused(tenant, over),
                        _ => tracing::warn!(tenant, error = %err, "pushing revocations failed"),
                    }
                    reply.note = format!(
                        "marked revoked: the name is never renewed, but the push failed \
                         ({err}), so its credentials {until}"
                    );
                }
            }
        }
    }
    tracing::info!(tenant, name, pushed = reply.pushed, "user revoked");
    body(&reply)
}

/// The name as the registry knows it: folded where the tenant ignores case
/// (`registry::fold`), so that any spelling finds the user.
fn registry_name(call: &AdminCall<'_>, name: &str) -> String {
    call.tenant.config().names.unique_form(name)
}

fn unique(call: &AdminCall<'_>) -> bool {
    call.tenant.config().names.unique
}

fn not_found(name: &str) -> Rejection {
    Rejection::new(
        Status::NotFound,
        "user_not_found",
        format!("no user named {} in this tenant", echo(name)),
    )
}
