//! The conditional grants of the user's tags (`grants[]`), the last rule: once the
//! user's tags are final (stamped, the invite's, the verified credential's, the
//! requested ones), every grant whose tag the user carries (ASCII case ignored) adds its
//! allow templates, expanded like the tenant's permission template. A grant whose tag
//! the user lacks adds nothing and denies nothing.

use super::grant::{contained, values};
use super::rule;
use super::trail::{refuse_substitution, Refusal, Trail};
use crate::decision::{Allow, DenyCode};
use crate::policy::{CompiledGrant, Tenant};
use crate::request::{Identity, Request};
use crate::tags::same_tag;
use crate::template::Values;

/// Adds to `allow.permissions` the subjects of every grant whose tag is among
/// `allow.tags`, recording one step per grant.
pub(super) fn entitle(
    tenant: &Tenant,
    request: &Request,
    identity: &Identity,
    allow: &mut Allow,
    trail: &mut Trail,
) -> Result<(), Refusal> {
    let at = format!("{}.grants", tenant.place());
    if tenant.grants.is_empty() {
        trail.skip(rule::GRANTS, format!("{at} not set"));
        return Ok(());
    }
    // INVARIANT: load-time validation refuses grants for a scoped signing key, whose
    // users carry no permissions; this keeps the rule even so.
    if tenant.permissions.is_none() {
        trail.skip(
            rule::GRANTS,
            "scoped signing key: the account's scope applies",
        );
        return Ok(());
    }
    let values = values(tenant, request, identity);
    for grant in &tenant.grants {
        let at = format!("{at}[{}]", grant.index);
        if !allow.tags.iter().any(|t| same_tag(t, &grant.tag)) {
            let note = format!("{at}: the user does not carry `{}`", grant.tag);
            trail.skip(rule::GRANTS, note);
            continue;
        }
        let added = apply(tenant, grant, &values, allow, &at, trail)?;
        let note = format!(
            "{at}: the user carries `{}`, adds {}",
            grant.tag,
            added.join(", ")
        );
        trail.pass(rule::GRANTS, note);
    }
    Ok(())
}

/// Expands `grant`'s templates into `allow`'s allow lists (without duplicates); what it
/// added, as `pub …` and `sub …`, for the explanation.
fn apply(
    tenant: &Tenant,
    grant: &CompiledGrant,
    values: &Values<'_>,
    allow: &mut Allow,
    at: &str,
    trail: &mut Trail,
) -> Result<Vec<String>, Refusal> {
    let permissions = &mut allow.permissions;
    let lists = [
        (&grant.pub_allow, "pub", &mut permissions.publish.allow),
        (&grant.sub_allow, "sub", &mut permissions.subscribe.allow),
    ];
    let mut added = Vec::new();
    for (templates, key, subjects) in lists {
        for (i, template) in templates.iter().enumerate() {
            let note = format!("{at}.{key}.allow[{i}] `{}`", template.source());
            let subject = template
                .expand(values)
                .map_err(|err| refuse_substitution(err, rule::GRANTS, note.clone(), trail))?;
            // INVARIANT: load-time validation keeps every template inside the tenant;
            // this checks the expansion even so.
            if !contained(tenant, template, &subject) {
                let reason = String::from("a granted subject would leave the tenant's namespace");
                return Err(trail.fail(rule::GRANTS, note, DenyCode::SubjectUnsafe, reason));
            }
            added.push(format!("{key} `{subject}`"));
            if !subjects.contains(&subject) {
                subjects.push(subject);
            }
        }
    }
    Ok(added)
}
