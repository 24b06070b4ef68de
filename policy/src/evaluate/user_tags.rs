//! The tags a user gets: requested tags must be requestable and never privileged;
//! stamped, invite, credential and requested tags must all follow the tag rules, with
//! values that stay one literal subject token ([`crate::tags`]).

use super::echo::quote;
use super::rule;
use super::trail::{refuse_substitution, Refusal, Trail};
use crate::decision::DenyCode;
use crate::names::glob_match;
use crate::policy::Tenant;
use crate::request::{CredentialKind, Request};
use crate::tags::{check_user_tag, same_tag, Privilege, TagError};
use crate::template::Values;

/// The deny code for a tag refused by [`check_user_tag`]: `subject_unsafe` when only its
/// value is unsafe in a subject, `bad_request` when the tag itself is malformed.
pub(super) fn code_for(why: TagError) -> DenyCode {
    if why.is_unsafe_value() {
        DenyCode::SubjectUnsafe
    } else {
        DenyCode::BadRequest
    }
}

/// Requested tags match `tags.requestable` and grant no power in the tenant.
pub(super) fn requested(
    tenant: &Tenant,
    request: &Request,
    trail: &mut Trail,
) -> Result<(), Refusal> {
    let at = format!("{}.tags.requestable", tenant.place());
    if request.tags.is_empty() {
        trail.skip(rule::TAGS_REQUESTED, "no tags requested");
        return Ok(());
    }
    let requestable = &tenant.config.tags.requestable;
    if let Some(tag) = request
        .tags
        .iter()
        .find(|t| !requestable.iter().any(|g| glob_match(g, t)))
    {
        let reason = format!("tag {} cannot be requested", quote(tag));
        return Err(trail.fail(rule::TAGS_REQUESTED, at, DenyCode::TagNotAllowed, reason));
    }
    // INVARIANT: load-time validation refuses globs that match a privileged tag; this
    // keeps the rule even so.
    if let Some((tag, privilege)) = request
        .tags
        .iter()
        .find_map(|t| tenant.privilege_of(t).map(|p| (t, p)))
    {
        let reason = format!("tag {} cannot be requested", quote(tag));
        let note = format!("{} is {privilege}", quote(tag));
        return Err(trail.fail(rule::TAGS_REQUESTED, note, DenyCode::TagNotAllowed, reason));
    }
    // INVARIANT: load-time validation refuses globs that match a grant's tag; this keeps
    // the rule even so.
    if let Some(tag) = request
        .tags
        .iter()
        .find(|t| tenant.grant_tags().any(|g| same_tag(g, t)))
    {
        let reason = format!("tag {} cannot be requested", quote(tag));
        let note = format!("{} is {}", quote(tag), Privilege::Grant);
        return Err(trail.fail(rule::TAGS_REQUESTED, note, DenyCode::TagNotAllowed, reason));
    }
    trail.pass(
        rule::TAGS_REQUESTED,
        format!("every requested tag matches {at}"),
    );
    Ok(())
}

/// Whether the tenant lets its ID token issuer grant `privilege` through the tags claim
/// (`identity.oidc.admin_from_tags_claim`): only the admin tag, only from an ID token.
fn issuer_grants_admin(tenant: &Tenant, request: &Request, privilege: Privilege) -> bool {
    let from_id_token = request
        .credential
        .as_ref()
        .is_some_and(|c| c.kind == CredentialKind::IdToken);
    let allowed = tenant
        .config
        .identity
        .oidc
        .as_ref()
        .is_some_and(|o| o.admin_from_tags_claim);
    privilege == Privilege::Admin && from_id_token && allowed
}

/// Every tag of the user: stamped (expanded), then the invite's, the credential's and
/// the requested ones, without duplicates.
pub(super) fn stamped(
    tenant: &Tenant,
    request: &Request,
    values: &Values<'_>,
    trail: &mut Trail,
) -> Result<Vec<String>, Refusal> {
    let at = format!("{}.tags.stamp", tenant.place());
    let mut out: Vec<String> = Vec::new();
    for (i, template) in tenant.stamp.iter().enumerate() {
        let note = format!("{at}[{i}] `{}`", template.source());
        let tag = template
            .expand(values)
            .map_err(|err| refuse_substitution(err, rule::TAGS_STAMP, note, trail))?;
        if let Err(why) = check_user_tag(&tag) {
            let reason = format!("a stamped tag would be invalid: {why}");
            return Err(trail.fail(rule::TAGS_STAMP, at, code_for(why), reason));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    let credential_tags = request.credential.iter().flat_map(|c| c.tags.iter());
    for tag in credential_tags.clone() {
        let note = "the verified credential's tags";
        if let Err(why) = check_user_tag(tag) {
            let reason = format!(
                "the credential carries an invalid tag {}: {why}",
                quote(tag)
            );
            return Err(trail.fail(rule::TAGS_STAMP, note, code_for(why), reason));
        }
        if let Some(privilege) = tenant
            .privilege_of(tag)
            .filter(|p| !issuer_grants_admin(tenant, request, *p))
        {
            let reason = format!(
                "the credential carries tag {}, which is {privilege}; a credential cannot grant it",
                quote(tag)
            );
            return Err(trail.fail(rule::TAGS_STAMP, note, DenyCode::TagNotAllowed, reason));
        }
    }
    let invite_tags = request.invite.iter().flat_map(|i| i.tags.iter());
    for tag in invite_tags
        .chain(credential_tags)
        .chain(request.tags.iter())
    {
        if !out.contains(tag) {
            out.push(tag.clone());
        }
    }
    trail.pass(
        rule::TAGS_STAMP,
        format!(
            "{} tag(s) from {at}, the invite, the credential and the request",
            out.len()
        ),
    );
    Ok(out)
}
