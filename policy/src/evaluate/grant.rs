//! What an identified request may get: rate limits, name rules, tags, TTL, quota, and
//! the concrete permissions from the tenant's templates (the conditional grants of the
//! user's tags are added after, in `entitle`).
//!
//! Substitution goes through [`crate::template`], which admits only single literal
//! tokens; a last check confirms every granted subject lies in the tenant's namespace
//! (an invariant load-time validation already guarantees) before anything is allowed.

use claims::{Permission, UserPermissionLimits};

use super::echo::quote;
use super::rule;
use super::trail::{refuse_substitution, Refusal, Trail};
use super::user_tags;
use crate::decision::{Allow, DenyCode, IdentitySource};
use crate::names::{glob_match, reserved_match};
use crate::policy::{CompiledPermissions, Tenant};
use crate::request::{Identity, NameHolder, Request};
use crate::subject;
use crate::template::{SubjectTemplate, Values};

pub(super) fn grant(
    tenant: &Tenant,
    source: IdentitySource,
    request: &Request,
    identity: &Identity,
    now: i64,
    trail: &mut Trail,
) -> Result<Allow, Refusal> {
    let legacy = source == IdentitySource::Legacy;
    rate_limits(tenant, legacy, request, trail)?;
    name(tenant, request, trail)?;
    unique(tenant, request, trail)?;
    user_tags::requested(tenant, request, trail)?;
    let (ttl_secs, expires_at) = ttl(tenant, legacy, request, now, trail)?;
    quota(tenant, request, trail)?;
    let values = values(tenant, request, identity);
    let permissions = match &tenant.permissions {
        None => {
            trail.skip(
                rule::PERMISSIONS,
                "scoped signing key: the account's scope applies",
            );
            UserPermissionLimits::default()
        }
        Some(compiled) => permissions(tenant, compiled, &values, trail)?,
    };
    let tags = user_tags::stamped(tenant, request, &values, trail)?;
    Ok(Allow {
        tenant: tenant.name().to_owned(),
        account: tenant.account().to_owned(),
        signing_key: tenant.signing_key().clone(),
        scoped: tenant.is_scoped(),
        name: request.name.clone(),
        user_public_key: request.public_key.clone(),
        bearer: permissions.bearer_token,
        permissions,
        tags,
        ttl_secs,
        expires_at,
        identity_source: source,
        explanation: Vec::new(),
    })
}

/// What the placeholders of the tenant's templates stand for in this request.
pub(super) fn values<'a>(
    tenant: &'a Tenant,
    request: &'a Request,
    identity: &'a Identity,
) -> Values<'a> {
    Values {
        name: &request.name,
        tenant: tenant.name(),
        public_key: &request.public_key,
        account: tenant.account(),
        caller_tags: &identity.caller_tags,
    }
}

fn rate_limits(
    tenant: &Tenant,
    legacy: bool,
    request: &Request,
    trail: &mut Trail,
) -> Result<(), Refusal> {
    let (limits, at) = if legacy {
        (
            tenant.legacy_rate_limits(),
            format!("{}.identity.legacy.rate_limits", tenant.place()),
        )
    } else {
        (
            &tenant.config.rate_limits,
            format!("{}.rate_limits", tenant.place()),
        )
    };
    let facts = &request.facts;
    let checks = [
        (
            rule::RATE_REQUESTER,
            "per_requester",
            limits.per_requester,
            facts.issuances_by_requester,
            "this requester",
        ),
        (
            rule::RATE_TENANT,
            "per_tenant",
            limits.per_tenant,
            facts.issuances_by_tenant,
            "this tenant",
        ),
    ];
    for (id, key, limit, count, whom) in checks {
        match limit {
            None => trail.skip(id, format!("{at}.{key} not set")),
            Some(max) if count >= max => {
                let reason = format!("too many credentials issued to {whom}, try again later");
                let note = format!("{count} of {max} in {}s ({at}.{key})", limits.window_secs);
                return Err(trail.fail(id, note, DenyCode::RateLimited, reason));
            }
            Some(max) => trail.pass(
                id,
                format!("{count} of {max} in {}s ({at}.{key})", limits.window_secs),
            ),
        }
    }
    Ok(())
}

fn name(tenant: &Tenant, request: &Request, trail: &mut Trail) -> Result<(), Refusal> {
    let cfg = &tenant.config.names;
    let at = format!("{}.names", tenant.place());
    let name = request.name.as_str();
    let len = name.chars().count();
    if len < cfg.min_len || len > cfg.max_len {
        let reason = format!("a name has {} to {} characters", cfg.min_len, cfg.max_len);
        let note = format!("{at}.min_len/max_len");
        return Err(trail.fail(rule::NAME_LENGTH, note, DenyCode::NameInvalid, reason));
    }
    trail.pass(
        rule::NAME_LENGTH,
        format!("{len} characters ({at}.min_len/max_len)"),
    );
    let outside = tenant.charset.first_outside(name);
    // INVARIANT: the charset was checked at load to admit only token-safe characters;
    // the token check keeps names safe even so.
    if outside.is_some() || !subject::is_literal_token(name) {
        let found = outside.map(|c| quote(&c.to_string())).unwrap_or_default();
        let reason = format!(
            "name contains {found}, allowed characters are `{}`",
            cfg.allowed_chars
        );
        let note = format!("{at}.allowed_chars");
        return Err(trail.fail(rule::NAME_CHARS, note, DenyCode::NameInvalid, reason));
    }
    trail.pass(
        rule::NAME_CHARS,
        format!("{at}.allowed_chars = `{}`", cfg.allowed_chars),
    );
    match &cfg.pattern {
        None => trail.skip(rule::NAME_PATTERN, format!("{at}.pattern not set")),
        Some(glob) if glob_match(glob, name) => {
            trail.pass(rule::NAME_PATTERN, format!("{at}.pattern = `{glob}`"));
        }
        Some(glob) => {
            let reason = format!("name does not match the tenant's pattern `{glob}`");
            let note = format!("{at}.pattern");
            return Err(trail.fail(rule::NAME_PATTERN, note, DenyCode::NameInvalid, reason));
        }
    }
    if let Some(i) = cfg.reserved.iter().position(|r| reserved_match(r, name)) {
        let reason = format!("name {} is reserved", quote(name));
        let note = format!("{at}.reserved[{i}]");
        return Err(trail.fail(rule::NAME_RESERVED, note, DenyCode::NameReserved, reason));
    }
    trail.pass(rule::NAME_RESERVED, format!("not in {at}.reserved"));
    Ok(())
}

fn unique(tenant: &Tenant, request: &Request, trail: &mut Trail) -> Result<(), Refusal> {
    let cfg = &tenant.config.names;
    let at = format!("{}.names", tenant.place());
    if !cfg.unique {
        trail.skip(rule::NAME_UNIQUE, format!("{at}.unique = false"));
        return Ok(());
    }
    match request.facts.name_holder {
        NameHolder::Free => trail.pass(rule::NAME_UNIQUE, "the name is free"),
        NameHolder::SameKey => {
            trail.pass(rule::NAME_UNIQUE, "re-issue to the key holding the name")
        }
        NameHolder::OtherKey if cfg.reissue_to_other_key => {
            let note = format!("held by another key, allowed by {at}.reissue_to_other_key");
            trail.pass(rule::NAME_UNIQUE, note);
        }
        NameHolder::OtherKey => {
            let reason = format!(
                "name {} is held by another public key",
                quote(&request.name)
            );
            let note = format!("{at}.unique");
            return Err(trail.fail(rule::NAME_UNIQUE, note, DenyCode::NameTaken, reason));
        }
    }
    Ok(())
}

fn ttl(
    tenant: &Tenant,
    legacy: bool,
    request: &Request,
    now: i64,
    trail: &mut Trail,
) -> Result<(u64, i64), Refusal> {
    let (cfg, at) = if legacy {
        (
            tenant.legacy_ttl(),
            format!("{}.identity.legacy.ttl", tenant.place()),
        )
    } else {
        (&tenant.config.ttl, format!("{}.ttl", tenant.place()))
    };
    let ttl = match request.ttl_secs {
        Some(0) => {
            let reason = String::from("a requested lifetime is at least 1 second");
            return Err(trail.fail(rule::TTL, "requested ttl 0", DenyCode::TtlInvalid, reason));
        }
        Some(asked) => asked.min(cfg.max_secs),
        None => cfg.default_secs,
    };
    let Some(expires_at) = i64::try_from(ttl).ok().and_then(|t| now.checked_add(t)) else {
        let reason = String::from("the lifetime overflows the clock");
        return Err(trail.fail(rule::TTL, at, DenyCode::BadRequest, reason));
    };
    let how = match request.ttl_secs {
        Some(asked) if asked > ttl => format!("requested {asked}s capped at {at}.max_secs"),
        Some(_) => String::from("as requested"),
        None => format!("{at}.default_secs"),
    };
    // Credentials never outlive the credential that vouched for them (an ID token).
    match request.credential.as_ref().and_then(|c| c.not_after) {
        Some(limit) if limit <= now => {
            let reason = String::from("the credential has expired");
            let note = "the verified credential's expiry";
            Err(trail.fail(rule::TTL, note, DenyCode::TtlInvalid, reason))
        }
        Some(limit) if limit < expires_at => {
            let capped = u64::try_from(limit - now).unwrap_or(ttl);
            let note = format!("{capped}s, {how}, capped at the verified credential's expiry");
            trail.pass(rule::TTL, note);
            Ok((capped, limit))
        }
        _ => {
            trail.pass(rule::TTL, format!("{ttl}s, {how}"));
            Ok((ttl, expires_at))
        }
    }
}

fn quota(tenant: &Tenant, request: &Request, trail: &mut Trail) -> Result<(), Refusal> {
    let at = format!("{}.quotas.max_active_users", tenant.place());
    let active = request.facts.active_users;
    match tenant.config.quotas.max_active_users {
        None => trail.skip(rule::QUOTA, format!("{at} not set")),
        Some(_) if request.facts.name_holder == NameHolder::SameKey => {
            trail.pass(rule::QUOTA, format!("a re-issue adds no user ({at})"));
        }
        Some(max) if active >= max => {
            let reason = String::from("the tenant has as many active users as it may");
            let note = format!("{active} of {max} ({at})");
            return Err(trail.fail(rule::QUOTA, note, DenyCode::QuotaExceeded, reason));
        }
        Some(max) => trail.pass(rule::QUOTA, format!("{active} of {max} ({at})")),
    }
    Ok(())
}

fn permissions(
    tenant: &Tenant,
    compiled: &CompiledPermissions,
    values: &Values<'_>,
    trail: &mut Trail,
) -> Result<UserPermissionLimits, Refusal> {
    let at = format!("{}.permissions", tenant.place());
    let lists = [
        (&compiled.pub_allow, "pub.allow", true),
        (&compiled.pub_deny, "pub.deny", false),
        (&compiled.sub_allow, "sub.allow", true),
        (&compiled.sub_deny, "sub.deny", false),
    ];
    let mut expanded: Vec<Vec<String>> = Vec::with_capacity(lists.len());
    for (templates, key, grants) in lists {
        let mut subjects = Vec::with_capacity(templates.len());
        for (i, template) in templates.iter().enumerate() {
            let note = format!("{at}.{key}[{i}] `{}`", template.source());
            let subject = template
                .expand(values)
                .map_err(|err| refuse_substitution(err, rule::PERMISSIONS, note.clone(), trail))?;
            if grants && !contained(tenant, template, &subject) {
                let reason = String::from("a granted subject would leave the tenant's namespace");
                return Err(trail.fail(rule::PERMISSIONS, note, DenyCode::SubjectUnsafe, reason));
            }
            if !subjects.contains(&subject) {
                subjects.push(subject);
            }
        }
        expanded.push(subjects);
    }
    let mut lists = expanded.into_iter();
    let mut next = || lists.next().unwrap_or_default();
    let mut out = compiled.fixed.clone();
    out.publish = Permission {
        allow: next(),
        deny: next(),
    };
    out.subscribe = Permission {
        allow: next(),
        deny: next(),
    };
    trail.pass(
        rule::PERMISSIONS,
        format!(
            "{at} expanded, every subject within `{}`",
            tenant.namespace()
        ),
    );
    Ok(out)
}

/// Defence in depth: `subject` lies where its template allows and has exactly the
/// template's wildcards.
pub(super) fn contained(tenant: &Tenant, template: &SubjectTemplate, subject: &str) -> bool {
    let cfg = &tenant.config;
    let within = subject::is_within(subject, &cfg.namespace)
        || subject::is_within(subject, subject::INBOX_PREFIX)
        || cfg
            .extra_prefixes
            .iter()
            .any(|p| subject::is_within(subject, p));
    let template_wildcards = template
        .tokens()
        .iter()
        .filter(|t| {
            matches!(
                t,
                crate::template::TemplateToken::Wildcard
                    | crate::template::TemplateToken::FullWildcard
            )
        })
        .count();
    within
        && subject::check_subject(subject).is_ok()
        && subject::wildcard_count(subject) == template_wildcards
        && subject.split(subject::SEPARATOR).count() == template.tokens().len()
}
