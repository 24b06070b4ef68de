//! `invites.create`, `invites.list` and `invites.revoke`.
//!
//! An invite names the names it covers (a glob), how often it may be used, until when,
//! and which tags it stamps. The token is in the create reply only; the registry keeps
//! its hash, under the tenant's prefix. Invite tags may not include the tenant's admin
//! tag: an invite never makes an admin. A tenant holds at most
//! `quotas.max_outstanding_invites` live invites (`429 invite_limit_reached` past it),
//! and every endpoint reads the caller's tenant's invites only.

use bytes::Bytes;
use registry::invite::{
    check_pattern, is_invite_id, new_token, token_id, InviteEntry, MAX_INVITE_TAGS, MAX_INVITE_USES,
};
use registry::invites::CreateInviteError;

use crate::rejection::{echo, Rejection, Status};
use crate::tenant_admin::call::{body, registry_failed, AdminCall};
use crate::tenant_admin::wire::{InviteCreated, InviteRevoked, InviteView, InvitesReply};

/// Lifetime of an invite when the request names none: one day.
pub const DEFAULT_INVITE_TTL_SECS: u64 = 24 * 60 * 60;
/// The longest lifetime of an invite: 30 days.
pub const MAX_INVITE_TTL_SECS: u64 = 30 * 24 * 60 * 60;

/// `invites.create`.
///
/// # Errors
/// A 400 for bad settings, a 500 when the registry fails.
pub async fn create(call: &AdminCall<'_>) -> Result<Bytes, Rejection> {
    let r = &call.request;
    let pattern = r.name_pattern.clone().unwrap_or_else(|| String::from("*"));
    check_pattern(&pattern).map_err(|why| Rejection::bad_request("invite_invalid", why))?;
    let uses = r.uses.unwrap_or(1);
    if !(1..=MAX_INVITE_USES).contains(&uses) {
        return Err(Rejection::bad_request(
            "invite_invalid",
            format!("an invite has 1 to {MAX_INVITE_USES} uses"),
        ));
    }
    let ttl = r.ttl_secs.unwrap_or(DEFAULT_INVITE_TTL_SECS);
    if !(1..=MAX_INVITE_TTL_SECS).contains(&ttl) {
        return Err(Rejection::bad_request(
            "invite_invalid",
            format!("an invite lives 1 to {MAX_INVITE_TTL_SECS} seconds"),
        ));
    }
    let tags = r.tags.clone().unwrap_or_default();
    check_tags(&tags, call.tenant.admin_tag())?;
    let token = new_token(call.tenant.name()).map_err(|err| {
        tracing::error!(error = %err, "drawing an invite token failed");
        Rejection::internal()
    })?;
    let id = token_id(&token);
    let expires = call
        .now
        .saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
    let invite = InviteEntry {
        tenant: call.tenant.name().to_owned(),
        name_pattern: pattern,
        tags,
        uses,
        uses_left: uses,
        expires,
        created_at: call.now,
        created_by: call.caller_user.clone(),
        revoked: false,
        redemptions: Vec::new(),
    };
    let limit = call.tenant.config().quotas.max_outstanding_invites;
    call.registry
        .create_invite(&id, &invite, limit, call.now)
        .await
        .map_err(|err| match err {
            CreateInviteError::LimitReached { limit } => Rejection::new(
                Status::TooMany,
                "invite_limit_reached",
                format!(
                    "the tenant holds {limit} live invites, as many as its policy allows \
                     (quotas.max_outstanding_invites); revoke one, or wait for one to be \
                     used up or to expire"
                ),
            ),
            CreateInviteError::Registry(err) => registry_failed(&err),
        })?;
    tracing::info!(tenant = %invite.tenant, invite = %id, uses, expires, "invite created");
    body(&InviteCreated {
        tenant: invite.tenant,
        id,
        token,
        name_pattern: invite.name_pattern,
        tags: invite.tags,
        uses,
        expires,
    })
}

/// `invites.list`.
///
/// # Errors
/// A 500 when the registry fails.
pub async fn list(call: &AdminCall<'_>) -> Result<Bytes, Rejection> {
    let invites = call
        .registry
        .tenant_invites(call.tenant.name())
        .await
        .map_err(|e| registry_failed(&e))?;
    body(&InvitesReply {
        tenant: call.tenant.name().to_owned(),
        invites: invites
            .iter()
            .map(|(id, i)| InviteView::of(id, i, call.now))
            .collect(),
    })
}

/// `invites.revoke`: the invite can no longer be redeemed.
///
/// The id is looked up under the caller's tenant's prefix only, so another tenant's
/// invite gets exactly the answer an unknown id gets (a 404 naming the id) and is left
/// alone: the reply must not tell a tenant admin which ids exist in other tenants.
///
/// # Errors
/// A 400 without a well-formed id, a 404 for an unknown id or another tenant's invite, a
/// 500 when the registry fails.
pub async fn revoke(call: &AdminCall<'_>) -> Result<Bytes, Rejection> {
    let id = call
        .request
        .id
        .as_deref()
        .ok_or_else(|| Rejection::bad_request("id_required", "the request needs an `id`"))?;
    if !is_invite_id(id) {
        return Err(Rejection::bad_request(
            "id_invalid",
            format!("{} is not an invite id (64 hex digits)", echo(id)),
        ));
    }
    let Some((key, _)) = call
        .registry
        .tenant_invite(call.tenant.name(), id)
        .await
        .map_err(|e| registry_failed(&e))?
    else {
        return Err(not_found(id));
    };
    let revoked = call
        .registry
        .revoke_invite(&key, call.now)
        .await
        .map_err(|e| registry_failed(&e))?
        .ok_or_else(|| not_found(id))?;
    tracing::info!(tenant = %revoked.tenant, invite = %id, "invite revoked");
    body(&InviteRevoked {
        tenant: call.tenant.name().to_owned(),
        invite: InviteView::of(id, &revoked, call.now),
    })
}

fn check_tags(tags: &[String], admin_tag: &str) -> Result<(), Rejection> {
    if tags.len() > MAX_INVITE_TAGS {
        return Err(Rejection::bad_request(
            "invite_invalid",
            format!("an invite stamps at most {MAX_INVITE_TAGS} tags"),
        ));
    }
    for tag in tags {
        // The tag rules of the policy, subject-safe values included: a redeemed invite's
        // tags are stamped on the user as they are.
        if let Err(why) = policy::tags::check_user_tag(tag) {
            return Err(Rejection::bad_request(
                "invite_invalid",
                format!("tag {} is not a valid tag: {why}", echo(tag)),
            ));
        }
        if tag.eq_ignore_ascii_case(admin_tag) {
            return Err(Rejection::denied(
                "invite_invalid",
                "an invite cannot stamp the tenant's admin tag",
            ));
        }
    }
    Ok(())
}

fn not_found(id: &str) -> Rejection {
    Rejection::new(
        Status::NotFound,
        "invite_not_found",
        format!("no invite {} in this tenant", echo(id)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_tags_are_valid_and_never_the_admin_tag() {
        assert!(check_tags(&["team:red".into()], "role:admin").is_ok());
        assert_eq!(
            check_tags(&["Role:Admin".into()], "role:admin")
                .unwrap_err()
                .status,
            Status::Denied
        );
        assert!(check_tags(&["a b".into()], "role:admin").is_err());
        assert!(check_tags(&["team:*".into()], "role:admin").is_err());
        assert!(check_tags(&["team:a.b".into()], "role:admin").is_err());
        assert!(check_tags(&[String::new()], "role:admin").is_err());
        let many: Vec<String> = (0..=MAX_INVITE_TAGS).map(|i| format!("t:{i}")).collect();
        assert!(check_tags(&many, "role:admin").is_err());
    }
}
