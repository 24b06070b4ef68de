//! The allow and the deny path of every rule, table-driven.

use policy::schema::{RateLimitsConfig, TenantConfig, TtlConfig};
use policy::{
    evaluate, rule, Allow, DenyCode, Identity, InviteGrant, NameHolder, Request, StepOutcome,
};

use crate::support::*;

enum Want {
    /// Allowed, and the check holds.
    Allow(fn(&Allow) -> bool),
    /// Denied with this code by this rule.
    Deny(DenyCode, &'static str),
}

struct Case {
    name: &'static str,
    tenant: fn(&mut TenantConfig),
    request: fn(&mut Request),
    identity: fn(&mut Identity),
    want: Want,
}

fn keep<T>(_: &mut T) {}

fn anonymous(id: &mut Identity) {
    *id = Identity::anonymous();
}

fn invite(r: &mut Request) {
    r.invite = Some(InviteGrant {
        tenant: "acme".into(),
        name_pattern: "*".into(),
        tags: vec!["invited:yes".into()],
    });
}

fn legacy_on(t: &mut TenantConfig) {
    t.identity.legacy.enabled = true;
}

fn legacy(r: &mut Request) {
    r.legacy = true;
    r.proof_verified = false;
}

fn renewal_on(t: &mut TenantConfig) {
    t.identity.renewal.enabled = true;
}

/// A request for `alice` by the key that holds the name.
fn renewing(r: &mut Request) {
    r.facts.name_holder = NameHolder::SameKey;
}

/// The caller is `alice` herself, through the import, without the enroller tag.
fn the_user(i: &mut Identity) {
    i.caller_tags.clear();
    i.caller_user = Some(ALICE.into());
    i.caller_name = Some("alice".into());
}

fn any(_: &Allow) -> bool {
    true
}

fn limits(per_requester: Option<u64>, per_tenant: Option<u64>) -> RateLimitsConfig {
    RateLimitsConfig {
        per_requester,
        per_tenant,
        ..RateLimitsConfig::default()
    }
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use DenyCode as D;
    use Want::{Allow as A, Deny as X};
    vec![
        // request shape
        Case { name: "valid request", tenant: keep, request: keep, identity: keep,
            want: A(|a| a.name == "alice" && a.user_public_key == ALICE && a.account == ACME) },
        Case { name: "account key as user key", tenant: keep, request: |r| r.public_key = ACME.into(), identity: keep,
            want: X(D::BadRequest, rule::REQUEST) },
        Case { name: "garbage user key", tenant: keep, request: |r| r.public_key = "U x".into(), identity: keep,
            want: X(D::BadRequest, rule::REQUEST) },
        Case { name: "requested tag with a space", tenant: keep, request: |r| r.tags = vec!["a b".into()], identity: keep,
            want: X(D::BadRequest, rule::REQUEST) },
        // tenant resolution
        Case { name: "caller account not in policy", tenant: keep, request: keep,
            identity: |i| i.caller_account = Some(STRANGER.into()), want: X(D::UnknownTenant, rule::TENANT) },
        Case { name: "request tenant disagrees with caller account", tenant: keep, request: |r| r.tenant = Some("other".into()),
            identity: keep, want: X(D::TenantMismatch, rule::TENANT) },
        Case { name: "request tenant agrees with caller account", tenant: keep, request: |r| r.tenant = Some("acme".into()),
            identity: keep, want: A(|a| a.tenant == "acme") },
        Case { name: "caller account decides the tenant", tenant: keep, request: keep,
            identity: |i| *i = Identity::through_import(OTHER, ["role:enroller"]), want: A(|a| a.tenant == "other") },
        Case { name: "anonymous unknown tenant", tenant: keep, request: |r| r.tenant = Some("nope".into()),
            identity: anonymous, want: X(D::UnknownTenant, rule::TENANT) },
        Case { name: "anonymous without tenant", tenant: keep, request: keep, identity: anonymous,
            want: X(D::BadRequest, rule::TENANT) },
        Case { name: "legacy with no legacy tenant", tenant: keep, request: legacy, identity: anonymous,
            want: X(D::LegacyDisabled, rule::TENANT) },
        Case { name: "legacy resolves the one legacy tenant", tenant: legacy_on, request: legacy, identity: anonymous,
            want: A(|a| a.tenant == "acme" && a.identity_source == policy::IdentitySource::Legacy) },
        // identity sources
        Case { name: "legacy on a tenant without legacy mode", tenant: keep,
            request: |r| { legacy(r); r.tenant = Some("acme".into()) }, identity: anonymous,
            want: X(D::LegacyDisabled, rule::IDENTITY_LEGACY) },
        Case { name: "legacy request carrying an invite", tenant: legacy_on, request: |r| { legacy(r); invite(r) },
            identity: anonymous, want: X(D::BadRequest, rule::IDENTITY_LEGACY) },
        Case { name: "caller lacks the required tag", tenant: keep, request: keep,
            identity: |i| i.caller_tags = vec!["role:viewer".into()], want: X(D::CallerTagMissing, rule::IDENTITY) },
        Case { name: "required tag in another case", tenant: keep, request: keep,
            identity: |i| i.caller_tags = vec!["Role:Enroller".into()], want: A(any) },
        Case { name: "import vouches", tenant: keep, request: keep, identity: keep,
            want: A(|a| a.identity_source == policy::IdentitySource::Import) },
        Case { name: "import disabled, no invite", tenant: |t| { t.identity.import = Default::default() }, request: keep,
            identity: keep, want: X(D::IdentityRequired, rule::IDENTITY) },
        Case { name: "anonymous without invite", tenant: keep, request: |r| r.tenant = Some("acme".into()),
            identity: anonymous, want: X(D::IdentityRequired, rule::IDENTITY) },
        Case { name: "invite vouches and stamps its tags", tenant: keep, request: invite, identity: anonymous,
            want: A(|a| a.identity_source == policy::IdentitySource::Invite && a.tags.contains(&"invited:yes".into())) },
        Case { name: "invite covers caller lacking tags", tenant: keep, request: invite,
            identity: |i| i.caller_tags.clear(), want: A(|a| a.identity_source == policy::IdentitySource::Invite) },
        Case { name: "invite for another tenant", tenant: keep,
            request: |r| { invite(r); r.tenant = Some("acme".into()); if let Some(i) = &mut r.invite { i.tenant = "other".into() } },
            identity: anonymous, want: X(D::InviteMismatch, rule::IDENTITY_INVITE) },
        Case { name: "invite pattern excludes the name", tenant: keep,
            request: |r| { invite(r); if let Some(i) = &mut r.invite { i.name_pattern = "dev-*".into() } },
            identity: anonymous, want: X(D::InviteMismatch, rule::NAME_INVITE) },
        Case { name: "invite pattern covers the name", tenant: keep,
            request: |r| { invite(r); r.name = "dev-alice".into(); if let Some(i) = &mut r.invite { i.name_pattern = "dev-*".into() } },
            identity: anonymous, want: A(|a| a.name == "dev-alice") },
        Case { name: "invite where invites are off", tenant: |t| t.identity.invite.enabled = false, request: invite,
            identity: anonymous, want: X(D::InviteNotConfigured, rule::IDENTITY_INVITE) },
        Case { name: "invite required and missing", tenant: |t| t.identity.invite.required = true, request: keep,
            identity: keep, want: X(D::InviteRequired, rule::IDENTITY_INVITE) },
        Case { name: "invite required and present", tenant: |t| t.identity.invite.required = true, request: invite,
            identity: keep, want: A(|a| a.identity_source == policy::IdentitySource::Import) },
        Case { name: "invite with an invalid tag", tenant: keep,
            request: |r| { invite(r); if let Some(i) = &mut r.invite { i.tags = vec![String::new()] } },
            identity: anonymous, want: X(D::BadRequest, rule::IDENTITY_INVITE) },
        Case { name: "invite with a wildcard tag value", tenant: keep,
            request: |r| { invite(r); if let Some(i) = &mut r.invite { i.tags = vec!["team:*".into()] } },
            identity: anonymous, want: X(D::SubjectUnsafe, rule::IDENTITY_INVITE) },
        Case { name: "invite with a dotted tag value", tenant: keep,
            request: |r| { invite(r); if let Some(i) = &mut r.invite { i.tags = vec!["team:a.b".into()] } },
            identity: anonymous, want: X(D::SubjectUnsafe, rule::IDENTITY_INVITE) },
        Case { name: "invite with the admin tag", tenant: keep,
            request: |r| { invite(r); if let Some(i) = &mut r.invite { i.tags = vec!["ROLE:admin".into()] } },
            identity: anonymous, want: X(D::TagNotAllowed, rule::IDENTITY_INVITE) },
        // renewal
        Case { name: "renewal by the user holding the name", tenant: renewal_on, request: renewing,
            identity: the_user, want: A(|a| a.identity_source == policy::IdentitySource::Renewal) },
        Case { name: "renewal when renewal is off", tenant: |t| { renewal_on(t); t.identity.renewal.enabled = false },
            request: renewing, identity: the_user, want: X(D::CallerTagMissing, rule::IDENTITY) },
        Case { name: "renewal of a name the key does not hold", tenant: renewal_on,
            request: |r| { renewing(r); r.facts.name_holder = NameHolder::Free }, identity: the_user,
            want: X(D::CallerTagMissing, rule::IDENTITY) },
        Case { name: "renewal by another user", tenant: renewal_on, request: |r| { renewing(r); r.public_key = BOB.into() },
            identity: the_user, want: X(D::CallerTagMissing, rule::IDENTITY) },
        Case { name: "renewal needs no invite where invites are required",
            tenant: |t| { renewal_on(t); t.identity.invite.required = true }, request: renewing, identity: the_user,
            want: A(|a| a.identity_source == policy::IdentitySource::Renewal) },
        // proof
        Case { name: "proof missing", tenant: keep, request: |r| r.proof_verified = false, identity: keep,
            want: X(D::ProofRequired, rule::PROOF) },
        Case { name: "proof not required", tenant: |t| t.identity.proof.required = false,
            request: |r| r.proof_verified = false, identity: keep, want: A(any) },
        // rate limits
        Case { name: "requester at its limit", tenant: |t| t.rate_limits = limits(Some(5), None),
            request: |r| r.facts.issuances_by_requester = 5, identity: keep, want: X(D::RateLimited, rule::RATE_REQUESTER) },
        Case { name: "requester under its limit", tenant: |t| t.rate_limits = limits(Some(5), None),
            request: |r| r.facts.issuances_by_requester = 4, identity: keep, want: A(any) },
        Case { name: "tenant at its limit", tenant: |t| t.rate_limits = limits(None, Some(100)),
            request: |r| r.facts.issuances_by_tenant = 100, identity: keep, want: X(D::RateLimited, rule::RATE_TENANT) },
        Case { name: "tenant under its limit", tenant: |t| t.rate_limits = limits(None, Some(100)),
            request: |r| r.facts.issuances_by_tenant = 99, identity: keep, want: A(any) },
        Case { name: "legacy has its own rate limit",
            tenant: |t| { legacy_on(t); t.identity.legacy.rate_limits = Some(limits(None, Some(3))) },
            request: |r| { legacy(r); r.facts.issuances_by_tenant = 3 }, identity: anonymous,
            want: X(D::RateLimited, rule::RATE_TENANT) },
        // names
        Case { name: "name too long", tenant: |t| t.names.max_len = 4, request: keep, identity: keep,
            want: X(D::NameInvalid, rule::NAME_LENGTH) },
        Case { name: "name too short", tenant: |t| t.names.min_len = 6, request: keep, identity: keep,
            want: X(D::NameInvalid, rule::NAME_LENGTH) },
        Case { name: "empty name", tenant: keep, request: |r| r.name.clear(), identity: keep,
            want: X(D::NameInvalid, rule::NAME_LENGTH) },
        Case { name: "name at the length bounds", tenant: |t| { t.names.min_len = 5; t.names.max_len = 5 }, request: keep,
            identity: keep, want: A(any) },
        Case { name: "name with a dot", tenant: keep, request: |r| r.name = "a.b".into(), identity: keep,
            want: X(D::NameInvalid, rule::NAME_CHARS) },
        Case { name: "name with a wildcard", tenant: keep, request: |r| r.name = ">".into(), identity: keep,
            want: X(D::NameInvalid, rule::NAME_CHARS) },
        Case { name: "name outside the charset", tenant: |t| t.names.allowed_chars = "a-z".into(),
            request: |r| r.name = "Alice".into(), identity: keep, want: X(D::NameInvalid, rule::NAME_CHARS) },
        Case { name: "name inside the charset", tenant: |t| t.names.allowed_chars = "a-z".into(), request: keep,
            identity: keep, want: A(any) },
        Case { name: "name misses the pattern", tenant: |t| t.names.pattern = Some("dev-*".into()), request: keep,
            identity: keep, want: X(D::NameInvalid, rule::NAME_PATTERN) },
        Case { name: "name matches the pattern", tenant: |t| t.names.pattern = Some("dev-*".into()),
            request: |r| r.name = "dev-a".into(), identity: keep, want: A(|a| a.name == "dev-a") },
        Case { name: "reserved name, any case", tenant: |t| t.names.reserved = vec!["admin".into()],
            request: |r| r.name = "Admin".into(), identity: keep, want: X(D::NameReserved, rule::NAME_RESERVED) },
        Case { name: "name held by another key", tenant: keep, request: |r| r.facts.name_holder = NameHolder::OtherKey,
            identity: keep, want: X(D::NameTaken, rule::NAME_UNIQUE) },
        Case { name: "re-issue to the same key", tenant: keep, request: |r| r.facts.name_holder = NameHolder::SameKey,
            identity: keep, want: A(any) },
        Case { name: "re-issue to another key when configured", tenant: |t| t.names.reissue_to_other_key = true,
            request: |r| r.facts.name_holder = NameHolder::OtherKey, identity: keep, want: A(any) },
        Case { name: "names not unique", tenant: |t| t.names.unique = false,
            request: |r| r.facts.name_holder = NameHolder::OtherKey, identity: keep, want: A(any) },
        // requested tags
        Case { name: "requestable tag", tenant: |t| t.tags.requestable = vec!["team:*".into()],
            request: |r| r.tags = vec!["team:red".into()], identity: keep, want: A(|a| a.tags == ["team:red"]) },
        Case { name: "tag not requestable", tenant: |t| t.tags.requestable = vec!["team:*".into()],
            request: |r| r.tags = vec!["admin:yes".into()], identity: keep, want: X(D::TagNotAllowed, rule::TAGS_REQUESTED) },
        Case { name: "requested tag with a wildcard value", tenant: |t| t.tags.requestable = vec!["team:*".into()],
            request: |r| r.tags = vec!["team:*".into()], identity: keep, want: X(D::SubjectUnsafe, rule::REQUEST) },
        Case { name: "requested tag with a full wildcard value", tenant: |t| t.tags.requestable = vec!["team:*".into()],
            request: |r| r.tags = vec!["team:>".into()], identity: keep, want: X(D::SubjectUnsafe, rule::REQUEST) },
        Case { name: "requested tag with a dotted value", tenant: |t| t.tags.requestable = vec!["team:*".into()],
            request: |r| r.tags = vec!["team:a.b".into()], identity: keep, want: X(D::SubjectUnsafe, rule::REQUEST) },
        Case { name: "requested tag with an empty value", tenant: |t| t.tags.requestable = vec!["team:*".into()],
            request: |r| r.tags = vec!["team:".into()], identity: keep, want: X(D::SubjectUnsafe, rule::REQUEST) },
        // ttl
        Case { name: "default ttl", tenant: keep, request: keep, identity: keep,
            want: A(|a| a.ttl_secs == 3600 && a.expires_at == NOW + 3600) },
        Case { name: "shorter ttl requested", tenant: keep, request: |r| r.ttl_secs = Some(10), identity: keep,
            want: A(|a| a.ttl_secs == 10 && a.expires_at == NOW + 10) },
        Case { name: "longer ttl capped", tenant: |t| t.ttl = TtlConfig { default_secs: 60, max_secs: 120 },
            request: |r| r.ttl_secs = Some(99_999), identity: keep, want: A(|a| a.ttl_secs == 120) },
        Case { name: "zero ttl", tenant: keep, request: |r| r.ttl_secs = Some(0), identity: keep,
            want: X(D::TtlInvalid, rule::TTL) },
        Case { name: "legacy ttl", tenant: |t| { legacy_on(t); t.identity.legacy.ttl = Some(TtlConfig { default_secs: 5, max_secs: 5 }) },
            request: legacy, identity: anonymous, want: A(|a| a.ttl_secs == 5) },
        // quota
        Case { name: "tenant full", tenant: |t| t.quotas.max_active_users = Some(10),
            request: |r| r.facts.active_users = 10, identity: keep, want: X(D::QuotaExceeded, rule::QUOTA) },
        Case { name: "tenant has room", tenant: |t| t.quotas.max_active_users = Some(10),
            request: |r| r.facts.active_users = 9, identity: keep, want: A(any) },
        Case { name: "full tenant, re-issue", tenant: |t| t.quotas.max_active_users = Some(10),
            request: |r| { r.facts.active_users = 10; r.facts.name_holder = NameHolder::SameKey }, identity: keep, want: A(any) },
        // permissions
        Case { name: "subjects filled in", tenant: keep, request: keep, identity: keep, want: A(|a| {
            let p = &a.permissions;
            p.publish.allow == ["tenant.acme.alice.>", "tenant.acme.chat.*"]
                && p.publish.deny == ["tenant.acme.alice.admin"]
                && p.subscribe.allow == ["tenant.acme.alice.>", &format!("tenant.acme.dm.{ALICE}"), "_INBOX.>"]
                && p.subs == -1 && p.payload == -1 && !a.bearer
        }) },
        Case { name: "caller tag fills a subject", tenant: |t| t.permissions.as_mut().unwrap().publish.allow = vec!["tenant.acme.{tag:site}.{name}".into()],
            request: keep, identity: keep, want: A(|a| a.permissions.publish.allow == ["tenant.acme.ber.alice"]) },
        Case { name: "caller tag missing", tenant: |t| t.permissions.as_mut().unwrap().publish.allow = vec!["tenant.acme.{tag:site}".into()],
            request: keep, identity: |i| i.caller_tags = vec!["role:enroller".into()], want: X(D::CallerTagMissing, rule::PERMISSIONS) },
        Case { name: "caller tag with a dot", tenant: |t| t.permissions.as_mut().unwrap().publish.allow = vec!["tenant.acme.{tag:site}".into()],
            request: keep, identity: |i| i.caller_tags = vec!["role:enroller".into(), "site:a.>".into()], want: X(D::SubjectUnsafe, rule::PERMISSIONS) },
        Case { name: "scoped key grants no permissions", tenant: |t| { t.signing_key.scoped = true; t.permissions = None },
            request: keep, identity: keep, want: A(|a| a.scoped && a.permissions == claims::UserPermissionLimits::default()) },
        Case { name: "bearer when configured", tenant: |t| t.permissions.as_mut().unwrap().bearer = true,
            request: keep, identity: keep, want: A(|a| a.bearer && a.permissions.bearer_token) },
        // stamped tags
        Case { name: "stamped tags", tenant: |t| t.tags.stamp = vec!["tenant:{tenant}".into(), "site:{tag:site}".into()],
            request: keep, identity: keep, want: A(|a| a.tags == ["tenant:acme", "site:ber"]) },
        Case { name: "stamped tag needs a missing caller tag", tenant: |t| t.tags.stamp = vec!["site:{tag:site}".into()],
            request: keep, identity: |i| i.caller_tags = vec!["role:enroller".into()], want: X(D::CallerTagMissing, rule::TAGS_STAMP) },
        Case { name: "stamped tag from a caller tag with a wildcard", tenant: |t| t.tags.stamp = vec!["site:{tag:site}".into()],
            request: keep, identity: |i| i.caller_tags = vec!["role:enroller".into(), "site:*".into()], want: X(D::SubjectUnsafe, rule::TAGS_STAMP) },
        Case { name: "stamped tag from a caller tag with a dot", tenant: |t| t.tags.stamp = vec!["site:{tag:site}".into()],
            request: keep, identity: |i| i.caller_tags = vec!["role:enroller".into(), "site:a.b".into()], want: X(D::SubjectUnsafe, rule::TAGS_STAMP) },
    ]
}

#[test]
fn every_rule_allows_and_denies() {
    for case in cases() {
        let policy = policy_with(case.tenant);
        let mut request = request();
        (case.request)(&mut request);
        let mut identity = caller();
        (case.identity)(&mut identity);
        let decision = evaluate(&policy, &request, &identity, NOW);
        match (&case.want, &decision) {
            (Want::Allow(check), policy::Decision::Allow(allow)) => {
                assert!(
                    check(allow),
                    "{}: allowed, but not as expected:\n{decision}",
                    case.name
                );
                assert!(allow
                    .explanation
                    .iter()
                    .all(|s| s.outcome != StepOutcome::Failed));
            }
            (Want::Deny(code, rule), policy::Decision::Deny(deny)) => {
                assert_eq!(deny.code, *code, "{}:\n{decision}", case.name);
                let last = deny.explanation.last().unwrap();
                assert_eq!(
                    (last.rule, last.outcome),
                    (*rule, StepOutcome::Failed),
                    "{}",
                    case.name
                );
                assert!(!deny.reason.is_empty() && !deny.reason.contains('\n'));
            }
            _ => panic!("{}: unexpected decision:\n{decision}", case.name),
        }
    }
}

#[test]
fn several_legacy_tenants_need_a_named_tenant() {
    let mut a = acme();
    legacy_on(&mut a);
    let mut b = other();
    legacy_on(&mut b);
    let policy = policy::Policy::from_file(file(vec![a, b])).unwrap();
    let mut r = request();
    legacy(&mut r);
    let d = evaluate(&policy, &r, &Identity::anonymous(), NOW);
    assert_eq!(d.deny_code(), Some(DenyCode::BadRequest));
    r.tenant = Some("other".into());
    let d = evaluate(&policy, &r, &Identity::anonymous(), NOW);
    assert_eq!(d.allow().map(|a| a.tenant.as_str()), Some("other"));
}

#[test]
fn ttl_overflow_is_denied_not_panicked() {
    let policy = policy_with(keep);
    let d = evaluate(&policy, &request(), &caller(), i64::MAX - 10);
    assert_eq!(d.deny_code(), Some(DenyCode::BadRequest));
}

#[test]
fn resolve_tenant_matches_evaluate() {
    let policy = policy_with(keep);
    let tenant = policy.resolve_tenant(&request(), &caller()).unwrap();
    assert_eq!((tenant.name(), tenant.rate_window_secs()), ("acme", 3600));
    let stranger = Identity::through_import(STRANGER, ["role:enroller"]);
    let deny = policy.resolve_tenant(&request(), &stranger).unwrap_err();
    assert_eq!(deny.code, DenyCode::UnknownTenant);
    assert_eq!(deny.explanation.len(), 1);
}

#[test]
fn allow_builds_user_claims() {
    let policy = policy_with(|t| t.tags.stamp = vec!["tenant:{tenant}".into()]);
    let d = evaluate(&policy, &request(), &caller(), NOW);
    let allow = d.allow().unwrap();
    let claims = allow.user_claims();
    assert_eq!(claims.sub, ALICE);
    assert_eq!(claims.name, "alice");
    assert_eq!(claims.exp, NOW + 3600);
    assert_eq!(claims.nats.issuer_account, ACME);
    assert_eq!(claims.nats.tags, ["tenant:acme"]);
    assert_eq!(claims.nats.permissions, allow.permissions);
    assert_eq!(
        allow.signing_key,
        policy::SigningKeyRef::Path("/keys/acme.nk".into())
    );
    let shown = d.to_string();
    assert!(
        shown.starts_with("ALLOW `alice` in tenant `acme`"),
        "{shown}"
    );
    assert!(shown.contains("pass identity.import"), "{shown}");
}

#[test]
fn reasons_never_echo_long_or_control_input() {
    let policy = policy_with(keep);
    let mut r = request();
    r.name = "al\u{7}ce".into();
    let deny = evaluate(&policy, &r, &caller(), NOW)
        .deny()
        .cloned()
        .unwrap();
    assert_eq!(deny.code, DenyCode::NameInvalid);
    assert!(
        !deny.reason.contains('\u{7}') && deny.reason.contains("\\u{7}"),
        "{}",
        deny.reason
    );
    let mut r = request();
    r.public_key = "U".repeat(5000);
    let deny = evaluate(&policy, &r, &caller(), NOW)
        .deny()
        .cloned()
        .unwrap();
    assert_eq!(deny.code, DenyCode::BadRequest);
    assert!(deny.reason.chars().count() < 200, "{}", deny.reason);
}
