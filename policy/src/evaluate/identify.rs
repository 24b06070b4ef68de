//! Which tenant a request is for, and which identity source vouches for it.
//!
//! A caller account (from a trusted `Nats-Request-Info`) decides the tenant, and only
//! accounts listed in the policy count; a request's `tenant` must agree with it. Without
//! a caller account the tenant comes from the request, the invite, or (for plain-text
//! requests) the one tenant with legacy mode on. Each identity source is off unless the
//! tenant enables it; with none vouching, the request is denied.

use super::echo::quote;
use super::rule;
use super::trail::{Refusal, Trail};
use crate::decision::{Deny, DenyCode, IdentitySource};
use crate::names::glob_match;
use crate::policy::{Policy, Tenant};
use crate::request::{Identity, NameHolder, Request};
use crate::tags::{check_user_tag, Privilege};

impl Policy {
    /// The tenant `request` is for, as `evaluate` resolves it; the edge uses it to look
    /// up [`crate::RegistryFacts`] before evaluating.
    ///
    /// # Errors
    /// The [`Deny`] `evaluate` would return (`unknown_tenant`, `tenant_mismatch`,
    /// `legacy_disabled`, `bad_request`).
    pub fn resolve_tenant(&self, request: &Request, identity: &Identity) -> Result<&Tenant, Deny> {
        let mut trail = Trail::default();
        resolve_tenant(self, request, identity, &mut trail)
            .map_err(|refusal| refusal.into_deny(trail.into_steps()))
    }
}

pub(super) fn resolve_tenant<'p>(
    policy: &'p Policy,
    request: &Request,
    identity: &Identity,
    trail: &mut Trail,
) -> Result<&'p Tenant, Refusal> {
    let named = |name: &str, via: &str, trail: &mut Trail| match policy.tenant(name) {
        Some(tenant) => {
            let note = format!("{via} names {} `{}`", tenant.place(), tenant.name());
            trail.pass(rule::TENANT, note);
            Ok(tenant)
        }
        None => {
            let reason = format!("unknown tenant {}", quote(name));
            Err(trail.fail(rule::TENANT, via, DenyCode::UnknownTenant, reason))
        }
    };
    if let Some(account) = &identity.caller_account {
        let Some(tenant) = policy.tenant_by_account(account) else {
            let reason = String::from("the calling account is not served by this provisioner");
            let note = format!("caller account {}", quote(account));
            return Err(trail.fail(rule::TENANT, note, DenyCode::UnknownTenant, reason));
        };
        if let Some(name) = request.tenant.as_deref().filter(|n| *n != tenant.name()) {
            let reason = format!(
                "the request names tenant {} but comes from tenant `{}`",
                quote(name),
                tenant.name()
            );
            let note = format!("{}.account", tenant.place());
            return Err(trail.fail(rule::TENANT, note, DenyCode::TenantMismatch, reason));
        }
        let note = format!(
            "caller account is {}.account (`{}`)",
            tenant.place(),
            tenant.name()
        );
        trail.pass(rule::TENANT, note);
        return Ok(tenant);
    }
    if let Some(credential) = &request.credential {
        if let Some(name) = request
            .tenant
            .as_deref()
            .filter(|n| *n != credential.tenant)
        {
            let reason = format!(
                "the request names tenant {} but its credential is for tenant {}",
                quote(name),
                quote(&credential.tenant)
            );
            let note = "the verified credential";
            return Err(trail.fail(rule::TENANT, note, DenyCode::TenantMismatch, reason));
        }
        return named(&credential.tenant, "the verified credential", trail);
    }
    if let Some(name) = &request.tenant {
        return named(name, "the request", trail);
    }
    if let Some(invite) = &request.invite {
        return named(&invite.tenant, "the invite", trail);
    }
    if request.legacy {
        let mut legacy = policy.tenants().iter().filter(|t| t.legacy_enabled());
        return match (legacy.next(), legacy.next()) {
            (Some(tenant), None) => {
                let note = format!("{} is the one tenant with legacy mode", tenant.place());
                trail.pass(rule::TENANT, note);
                Ok(tenant)
            }
            (None, _) => {
                let reason = String::from("plain-text requests are not served");
                let note = "no tenant enables identity.legacy";
                Err(trail.fail(rule::TENANT, note, DenyCode::LegacyDisabled, reason))
            }
            (Some(_), Some(_)) => {
                let reason = String::from("the request must name its tenant");
                let note = "several tenants enable identity.legacy";
                Err(trail.fail(rule::TENANT, note, DenyCode::BadRequest, reason))
            }
        };
    }
    let reason = String::from("the request must name its tenant");
    let note = "no caller account, tenant or invite";
    Err(trail.fail(rule::TENANT, note, DenyCode::BadRequest, reason))
}

/// How the import judged the caller.
enum ImportVerdict {
    Vouches,
    NotApplicable(String),
    MissingTag(String),
}

pub(super) fn identify(
    tenant: &Tenant,
    request: &Request,
    identity: &Identity,
    trail: &mut Trail,
) -> Result<IdentitySource, Refusal> {
    let cfg = &tenant.config.identity;
    let at = format!("{}.identity", tenant.place());
    if request.legacy {
        if !cfg.legacy.enabled {
            let reason = String::from("plain-text requests are not served for this tenant");
            let note = format!("{at}.legacy.enabled = false");
            return Err(trail.fail(
                rule::IDENTITY_LEGACY,
                note,
                DenyCode::LegacyDisabled,
                reason,
            ));
        }
        if request.invite.is_some() {
            let reason = String::from("a plain-text request cannot carry an invite");
            let note = "legacy request with an invite";
            return Err(trail.fail(rule::IDENTITY_LEGACY, note, DenyCode::BadRequest, reason));
        }
        trail.pass(rule::IDENTITY_LEGACY, format!("{at}.legacy.enabled"));
        return Ok(IdentitySource::Legacy);
    }
    trail.skip(rule::IDENTITY_LEGACY, "not a plain-text request");

    let import = if !cfg.import.enabled {
        ImportVerdict::NotApplicable(format!("{at}.import.enabled = false"))
    } else if identity.caller_account.as_deref() != Some(tenant.account()) {
        ImportVerdict::NotApplicable(String::from("not through the tenant's import"))
    } else {
        let missing = cfg.import.require_caller_tags.iter().find(|want| {
            // NATS tooling has lowercased tags in some versions; compare as NATS does.
            !identity
                .caller_tags
                .iter()
                .any(|have| have.eq_ignore_ascii_case(want))
        });
        match missing {
            Some(tag) => ImportVerdict::MissingTag(tag.clone()),
            None => ImportVerdict::Vouches,
        }
    };
    match &import {
        ImportVerdict::Vouches => {
            let note =
                format!("caller came through the import with {at}.import.require_caller_tags");
            trail.pass(rule::IDENTITY_IMPORT, note);
        }
        ImportVerdict::NotApplicable(why) => trail.skip(rule::IDENTITY_IMPORT, why.clone()),
        ImportVerdict::MissingTag(tag) => {
            let note = format!("caller lacks `{tag}` ({at}.import.require_caller_tags)");
            trail.skip(rule::IDENTITY_IMPORT, note);
        }
    }

    let credential = super::credential::judge(tenant, request, trail)?;

    let renewal = renewal(tenant, request, identity);
    match &renewal {
        Ok(()) => {
            let note = format!("the caller is the user holding the name ({at}.renewal.enabled)");
            trail.pass(rule::IDENTITY_RENEWAL, note);
        }
        Err(why) => trail.skip(rule::IDENTITY_RENEWAL, why.clone()),
    }

    let invite_vouches = match &request.invite {
        None if renewal.is_ok() => {
            trail.skip(rule::IDENTITY_INVITE, "no invite: a renewal needs none");
            false
        }
        None if cfg.invite.required => {
            let reason = String::from("this tenant requires an invite");
            let note = format!("{at}.invite.required");
            return Err(trail.fail(
                rule::IDENTITY_INVITE,
                note,
                DenyCode::InviteRequired,
                reason,
            ));
        }
        None => {
            trail.skip(rule::IDENTITY_INVITE, "no invite");
            false
        }
        Some(_) if !cfg.invite.enabled => {
            let reason = String::from("this tenant does not accept invites");
            let note = format!("{at}.invite.enabled = false");
            let code = DenyCode::InviteNotConfigured;
            return Err(trail.fail(rule::IDENTITY_INVITE, note, code, reason));
        }
        Some(invite) if invite.tenant != tenant.name() => {
            let reason = String::from("the invite is for another tenant");
            let note = format!("invite tenant {}", quote(&invite.tenant));
            let code = DenyCode::InviteMismatch;
            return Err(trail.fail(rule::IDENTITY_INVITE, note, code, reason));
        }
        Some(invite) if !glob_match(&invite.name_pattern, &request.name) => {
            let reason = format!("the invite does not cover name {}", quote(&request.name));
            let note = format!("invite name pattern {}", quote(&invite.name_pattern));
            let code = DenyCode::InviteMismatch;
            return Err(trail.fail(rule::NAME_INVITE, note, code, reason));
        }
        Some(invite) => {
            for tag in &invite.tags {
                if let Err(why) = check_user_tag(tag) {
                    let reason = format!("the invite carries an invalid tag {}: {why}", quote(tag));
                    let code = super::user_tags::code_for(why);
                    return Err(trail.fail(rule::IDENTITY_INVITE, "invite tags", code, reason));
                }
                // Invites are created without the admin tag; this keeps the rule even so.
                if tenant.privilege_of(tag) == Some(Privilege::Admin) {
                    let reason =
                        format!("the invite carries the tenant's admin tag {}", quote(tag));
                    let code = DenyCode::TagNotAllowed;
                    return Err(trail.fail(rule::IDENTITY_INVITE, "invite tags", code, reason));
                }
            }
            let note = format!(
                "invite for `{}` covers the name ({at}.invite.enabled)",
                tenant.name()
            );
            trail.pass(rule::IDENTITY_INVITE, note);
            true
        }
    };

    if let (false, Some(source)) = (matches!(import, ImportVerdict::Vouches), credential) {
        trail.pass(rule::IDENTITY, "vouched for by the verified credential");
        return Ok(source);
    }
    match import {
        ImportVerdict::Vouches => {
            trail.pass(rule::IDENTITY, "vouched for by the import");
            Ok(IdentitySource::Import)
        }
        _ if invite_vouches => {
            trail.pass(rule::IDENTITY, "vouched for by the invite");
            Ok(IdentitySource::Invite)
        }
        _ if renewal.is_ok() => {
            trail.pass(rule::IDENTITY, "vouched for as a renewal");
            Ok(IdentitySource::Renewal)
        }
        ImportVerdict::MissingTag(tag) => {
            let reason = format!("the caller lacks the required tag `{tag}`");
            let note = format!("{at}.import.require_caller_tags");
            Err(trail.fail(rule::IDENTITY, note, DenyCode::CallerTagMissing, reason))
        }
        ImportVerdict::NotApplicable(_) => {
            let reason = String::from("no accepted identity: use the tenant's import or an invite");
            let note = format!("{at}: no enabled source vouches");
            Err(trail.fail(rule::IDENTITY, note, DenyCode::IdentityRequired, reason))
        }
    }
}

/// Whether the caller is the user renewing the name its key holds: renewal is on, the
/// request came through the tenant's import from that very user (its own JWT, so still
/// valid), for the name in that JWT, and the registry says the key holds the name.
fn renewal(tenant: &Tenant, request: &Request, identity: &Identity) -> Result<(), String> {
    let at = format!("{}.identity.renewal", tenant.place());
    if !tenant.renewal_enabled() {
        return Err(format!("{at}.enabled = false"));
    }
    if identity.caller_account.as_deref() != Some(tenant.account()) {
        return Err(String::from("not through the tenant's import"));
    }
    if identity.caller_user.as_deref() != Some(request.public_key.as_str())
        || identity.caller_name.as_deref() != Some(request.name.as_str())
    {
        return Err(String::from(
            "the caller is not the user with this name and key",
        ));
    }
    if request.facts.name_holder != NameHolder::SameKey {
        return Err(String::from("the key does not hold the name"));
    }
    Ok(())
}

pub(super) fn proof(tenant: &Tenant, request: &Request, trail: &mut Trail) -> Result<(), Refusal> {
    let at = format!("{}.identity.proof.required", tenant.place());
    if request.legacy {
        trail.skip(rule::PROOF, "legacy: the provisioner makes the key pair");
    } else if !tenant.config.identity.proof.required {
        trail.skip(rule::PROOF, format!("{at} = false"));
    } else if request.proof_verified && request.proof_v1 && !tenant.config.identity.proof.accept_v1
    {
        let reason = String::from(
            "this tenant accepts only nats-provisioner-proof-v2 proofs, which bind the token, \
             ID token, TTL and tags too; sign the v2 string and send \"proof_version\": 2",
        );
        let note = format!("{}.identity.proof.accept_v1 = false", tenant.place());
        return Err(trail.fail(rule::PROOF, note, DenyCode::ProofOutdated, reason));
    } else if request.proof_verified {
        let v1 = if request.proof_v1 {
            ", v1 accepted"
        } else {
            ""
        };
        trail.pass(rule::PROOF, format!("verified ({at}{v1})"));
    } else {
        let reason = String::from("a proof of possession of the public key is required");
        return Err(trail.fail(rule::PROOF, at, DenyCode::ProofRequired, reason));
    }
    Ok(())
}
