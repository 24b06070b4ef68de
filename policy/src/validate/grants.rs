//! Load-time checks of a tenant's conditional grants (`grants[]`): each names a valid
//! user tag and adds allow templates that follow the rules of `permissions.*.allow`
//! (inside the namespace, `_INBOX` or an extra prefix; never `$SYS`, never publish on
//! `>`). A scoped signing key's users carry no permissions, so it takes no grants.
//!
//! That no request hands a grant's tag to its own user (through `tags.requestable` or
//! `tags.stamp`) is checked with the other powerful tags in `tag`.

use super::permissions::{allow_list, Scope};
use super::problems::Problems;
use crate::error::PolicyError;
use crate::path::Path;
use crate::policy::CompiledGrant;
use crate::schema::TenantConfig;
use crate::tags::check_user_tag;

/// The tenant's compiled grants; `None` on problems.
pub(super) fn compile(
    config: &TenantConfig,
    tenant: &Path,
    problems: &mut Problems,
) -> Option<Vec<CompiledGrant>> {
    let before = problems.count();
    let scope = Scope::of(config);
    let mut out = Vec::with_capacity(config.grants.len());
    for (index, grant) in config.grants.iter().enumerate() {
        let at = tenant.key("grants").index(index);
        if config.signing_key.scoped {
            problems.push(at, PolicyError::ScopedWithGrants);
            continue;
        }
        if let Err(err) = check_user_tag(&grant.tag) {
            let tag = grant.tag.clone();
            let reason = err.reason();
            problems.push(at.key("tag"), PolicyError::Tag { tag, reason });
        }
        if grant.publish.allow.is_empty() && grant.subscribe.allow.is_empty() {
            problems.push(at.clone(), PolicyError::GrantsNothing);
        }
        let pub_at = at.key("pub").key("allow");
        let pub_allow = allow_list(&grant.publish.allow, true, &scope, &pub_at, problems);
        let sub_at = at.key("sub").key("allow");
        let sub_allow = allow_list(&grant.subscribe.allow, false, &scope, &sub_at, problems);
        out.push(CompiledGrant {
            index,
            tag: grant.tag.clone(),
            pub_allow,
            sub_allow,
        });
    }
    (problems.count() == before).then_some(out)
}
