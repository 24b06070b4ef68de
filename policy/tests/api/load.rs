//! Load-time validation: every impossible or dangerous policy is refused with its place,
//! and every problem is listed.

use policy::schema::{RespConfig, TenantConfig, TimeWindow, TtlConfig};
use policy::template::TemplateError;
use policy::{Policy, PolicyError};

use crate::support::*;

fn oidc(file: &str, url: &str) -> policy::schema::OidcConfig {
    policy::schema::OidcConfig {
        issuer: "https://idp.example".into(),
        audience: "nats".into(),
        jwks_file: file.into(),
        jwks_url: url.into(),
        name_claim: "sub".into(),
        ..Default::default()
    }
}

fn perms(t: &mut TenantConfig) -> &mut policy::schema::PermissionsConfig {
    t.permissions.get_or_insert_with(Default::default)
}

struct Case {
    name: &'static str,
    edit: fn(&mut TenantConfig),
    path: &'static str,
    want: fn(&PolicyError) -> bool,
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use PolicyError as E;
    vec![
        Case { name: "tenant name with a dot", edit: |t| t.name = "a.b".into(), path: "tenants[0].name",
            want: |e| matches!(e, E::InvalidTenantName { .. }) },
        Case { name: "user key as account", edit: |t| t.account = ALICE.into(), path: "tenants[0].account",
            want: |e| matches!(e, E::NotAccountKey { .. }) },
        Case { name: "wildcard namespace", edit: |t| t.namespace = "tenant.*".into(), path: "tenants[0].namespace",
            want: |e| matches!(e, E::Subject { .. }) },
        Case { name: "$SYS namespace", edit: |t| t.namespace = "$SYS.x".into(), path: "tenants[0].namespace",
            want: |e| matches!(e, E::SysSubject { .. }) },
        Case { name: "$SYS extra prefix", edit: |t| t.extra_prefixes = vec!["$SYS".into()], path: "tenants[0].extra_prefixes[0]",
            want: |e| matches!(e, E::SysSubject { .. }) },
        Case { name: "signing key both ways", edit: |t| t.signing_key.public_key = Some(SIGNING.into()), path: "tenants[0].signing_key",
            want: |e| matches!(e, E::SigningKeyChoice) },
        Case { name: "signing key neither way", edit: |t| t.signing_key.path = None, path: "tenants[0].signing_key",
            want: |e| matches!(e, E::SigningKeyChoice) },
        Case { name: "empty signing key path", edit: |t| t.signing_key.path = Some(" ".into()), path: "tenants[0].signing_key.path",
            want: |e| matches!(e, E::Empty) },
        Case { name: "signing public key of a user", edit: |t| { t.signing_key.path = None; t.signing_key.public_key = Some(ALICE.into()) },
            path: "tenants[0].signing_key.public_key", want: |e| matches!(e, E::NotAccountKey { .. }) },
        Case { name: "scoped identity key", edit: |t| { t.signing_key.path = None; t.signing_key.public_key = Some(ACME.into()); t.signing_key.scoped = true; t.permissions = None },
            path: "tenants[0].signing_key.scoped", want: |e| matches!(e, E::ScopedIdentityKey) },
        Case { name: "scoped key with permissions", edit: |t| t.signing_key.scoped = true, path: "tenants[0].permissions",
            want: |e| matches!(e, E::ScopedWithPermissions) },
        Case { name: "unscoped key without permissions", edit: |t| t.permissions = None, path: "tenants[0].permissions",
            want: |e| matches!(e, E::MissingPermissions) },
        Case { name: "empty pub allow", edit: |t| perms(t).publish.allow.clear(), path: "tenants[0].permissions.pub.allow",
            want: |e| matches!(e, E::EmptyAllowList) },
        Case { name: "empty sub allow", edit: |t| perms(t).subscribe.allow.clear(), path: "tenants[0].permissions.sub.allow",
            want: |e| matches!(e, E::EmptyAllowList) },
        Case { name: "no identity source", edit: |t| t.identity = Default::default(), path: "tenants[0].identity",
            want: |e| matches!(e, E::NoIdentitySource) },
        Case { name: "caller tags without import", edit: |t| t.identity.import.enabled = false,
            path: "tenants[0].identity.import.require_caller_tags", want: |e| matches!(e, E::NeedsEnabled { .. }) },
        Case { name: "empty required caller tag", edit: |t| t.identity.import.require_caller_tags = vec![String::new()],
            path: "tenants[0].identity.import.require_caller_tags[0]", want: |e| matches!(e, E::Tag { .. }) },
        Case { name: "config account without the callout", edit: |t| t.identity.callout.config_account = Some("ACME".into()),
            path: "tenants[0].identity.callout.config_account", want: |e| matches!(e, E::NeedsEnabled { .. }) },
        Case { name: "config account with a wildcard", edit: |t| { t.identity.callout.enabled = true; t.identity.callout.config_account = Some("AC>".into()) },
            path: "tenants[0].identity.callout.config_account", want: |e| matches!(e, E::InvalidValue { .. }) },
        Case { name: "config account for a scoped key", edit: |t| { t.identity.callout.enabled = true; t.identity.callout.config_account = Some("ACME".into()); t.signing_key.scoped = true; t.permissions = None },
            path: "tenants[0].identity.callout.config_account", want: |e| matches!(e, E::InvalidValue { .. }) },
        Case { name: "oidc with a file and a URL", edit: |t| t.identity.oidc = Some(oidc("jwks.json", "https://idp.example/jwks")),
            path: "tenants[0].identity.oidc.jwks_file", want: |e| matches!(e, E::InvalidValue { .. }) },
        Case { name: "oidc with no key set", edit: |t| t.identity.oidc = Some(oidc("", "")),
            path: "tenants[0].identity.oidc.jwks_file", want: |e| matches!(e, E::InvalidValue { .. }) },
        Case { name: "oidc key set over plain http", edit: |t| t.identity.oidc = Some(oidc("", "http://idp.example/jwks")),
            path: "tenants[0].identity.oidc.jwks_url", want: |e| matches!(e, E::InvalidValue { .. }) },
        Case { name: "invite required but off", edit: |t| { t.identity.invite.enabled = false; t.identity.invite.required = true },
            path: "tenants[0].identity.invite.required", want: |e| matches!(e, E::NeedsEnabled { .. }) },
        Case { name: "legacy limits but legacy off", edit: |t| t.identity.legacy.ttl = Some(TtlConfig::default()),
            path: "tenants[0].identity.legacy", want: |e| matches!(e, E::NeedsEnabled { .. }) },
        Case { name: "publish on $SYS", edit: |t| perms(t).publish.allow.push("$SYS.>".into()), path: "tenants[0].permissions.pub.allow[2]",
            want: |e| matches!(e, E::SysSubject { .. }) },
        Case { name: "subscribe on $SYS", edit: |t| perms(t).subscribe.allow.push("$SYS.ACCOUNT.>".into()), path: "tenants[0].permissions.sub.allow[3]",
            want: |e| matches!(e, E::SysSubject { .. }) },
        Case { name: "publish on everything", edit: |t| perms(t).publish.allow.push(">".into()), path: "tenants[0].permissions.pub.allow[2]",
            want: |e| matches!(e, E::PublishEverything { .. }) },
        Case { name: "subscribe on everything", edit: |t| perms(t).subscribe.allow.push(">".into()), path: "tenants[0].permissions.sub.allow[3]",
            want: |e| matches!(e, E::OutsideNamespace { .. }) },
        Case { name: "another namespace", edit: |t| perms(t).publish.allow.push("tenant.other.x".into()), path: "tenants[0].permissions.pub.allow[2]",
            want: |e| matches!(e, E::OutsideNamespace { .. }) },
        Case { name: "namespace prefix of a token", edit: |t| perms(t).publish.allow.push("tenant.acmex.y".into()), path: "tenants[0].permissions.pub.allow[2]",
            want: |e| matches!(e, E::OutsideNamespace { .. }) },
        Case { name: "placeholder in the namespace part", edit: |t| perms(t).publish.allow.push("tenant.{tenant}.y".into()), path: "tenants[0].permissions.pub.allow[2]",
            want: |e| matches!(e, E::OutsideNamespace { .. }) },
        Case { name: "wildcard in the namespace part", edit: |t| perms(t).subscribe.allow.push("tenant.*.y".into()), path: "tenants[0].permissions.sub.allow[3]",
            want: |e| matches!(e, E::OutsideNamespace { .. }) },
        Case { name: "placeholder in part of a token", edit: |t| perms(t).publish.allow.push("tenant.acme.x{name}".into()), path: "tenants[0].permissions.pub.allow[2]",
            want: |e| matches!(e, E::Template { reason: TemplateError::PartialToken { .. }, .. }) },
        Case { name: "unknown placeholder", edit: |t| perms(t).publish.deny.push("tenant.acme.{user}".into()), path: "tenants[0].permissions.pub.deny[1]",
            want: |e| matches!(e, E::Template { reason: TemplateError::UnknownPlaceholder { .. }, .. }) },
        Case { name: "invalid subject", edit: |t| perms(t).subscribe.allow.push("tenant.acme..x".into()), path: "tenants[0].permissions.sub.allow[3]",
            want: |e| matches!(e, E::Template { reason: TemplateError::Subject(_), .. }) },
        Case { name: "caller tag placeholder without import", edit: |t| { t.identity.import = Default::default(); perms(t).publish.allow.push("tenant.acme.{tag:site}".into()) },
            path: "tenants[0].permissions.pub.allow[2]", want: |e| matches!(e, E::TagPlaceholderWithoutImport { .. }) },
        Case { name: "unsafe name characters", edit: |t| t.names.allowed_chars = "a-z.".into(), path: "tenants[0].names.allowed_chars",
            want: |e| matches!(e, E::UnsafeCharset { .. }) },
        Case { name: "backwards charset range", edit: |t| t.names.allowed_chars = "z-a".into(), path: "tenants[0].names.allowed_chars",
            want: |e| matches!(e, E::Charset { .. }) },
        Case { name: "zero min_len", edit: |t| t.names.min_len = 0, path: "tenants[0].names.min_len",
            want: |e| matches!(e, E::NameLengths { .. }) },
        Case { name: "max_len below min_len", edit: |t| { t.names.min_len = 5; t.names.max_len = 4 }, path: "tenants[0].names.max_len",
            want: |e| matches!(e, E::NameLengths { .. }) },
        Case { name: "empty name pattern", edit: |t| t.names.pattern = Some(String::new()), path: "tenants[0].names.pattern",
            want: |e| matches!(e, E::Empty) },
        Case { name: "empty reserved name", edit: |t| t.names.reserved = vec![String::new()], path: "tenants[0].names.reserved[0]",
            want: |e| matches!(e, E::Empty) },
        Case { name: "re-issue without uniqueness", edit: |t| { t.names.unique = false; t.names.reissue_to_other_key = true },
            path: "tenants[0].names.reissue_to_other_key", want: |e| matches!(e, E::NeedsEnabled { .. }) },
        Case { name: "ttl max below default", edit: |t| t.ttl = TtlConfig { default_secs: 60, max_secs: 30 }, path: "tenants[0].ttl.max_secs",
            want: |e| matches!(e, E::TtlMaxBelowDefault { default: 60, max: 30 }) },
        Case { name: "zero ttl", edit: |t| t.ttl.default_secs = 0, path: "tenants[0].ttl.default_secs",
            want: |e| matches!(e, E::OutOfRange { .. }) },
        Case { name: "legacy ttl max below default", edit: |t| { t.identity.legacy.enabled = true; t.identity.legacy.ttl = Some(TtlConfig { default_secs: 9, max_secs: 1 }) },
            path: "tenants[0].identity.legacy.ttl.max_secs", want: |e| matches!(e, E::TtlMaxBelowDefault { .. }) },
        Case { name: "zero user quota", edit: |t| t.quotas.max_active_users = Some(0), path: "tenants[0].quotas.max_active_users",
            want: |e| matches!(e, E::ZeroLimit) },
        Case { name: "zero invite cap", edit: |t| t.quotas.max_outstanding_invites = 0, path: "tenants[0].quotas.max_outstanding_invites",
            want: |e| matches!(e, E::OutOfRange { .. }) },
        Case { name: "invite cap too large", edit: |t| t.quotas.max_outstanding_invites = 100_001, path: "tenants[0].quotas.max_outstanding_invites",
            want: |e| matches!(e, E::OutOfRange { .. }) },
        Case { name: "zero rate limit", edit: |t| t.rate_limits.per_tenant = Some(0), path: "tenants[0].rate_limits.per_tenant",
            want: |e| matches!(e, E::ZeroLimit) },
        Case { name: "zero rate window", edit: |t| t.rate_limits.window_secs = 0, path: "tenants[0].rate_limits.window_secs",
            want: |e| matches!(e, E::OutOfRange { .. }) },
        Case { name: "negative resp max", edit: |t| perms(t).resp = Some(RespConfig { max: -1, ttl_ms: 0 }), path: "tenants[0].permissions.resp.max",
            want: |e| matches!(e, E::OutOfRange { .. }) },
        Case { name: "resp ttl overflow", edit: |t| perms(t).resp = Some(RespConfig { max: 1, ttl_ms: u64::MAX }), path: "tenants[0].permissions.resp.ttl_ms",
            want: |e| matches!(e, E::OutOfRange { .. }) },
        Case { name: "limit below -1", edit: |t| perms(t).payload = -2, path: "tenants[0].permissions.payload",
            want: |e| matches!(e, E::Limit { value: -2 }) },
        Case { name: "bad cidr", edit: |t| perms(t).src = vec!["10.0.0.0/40".into()], path: "tenants[0].permissions.src[0]",
            want: |e| matches!(e, E::Cidr { .. }) },
        Case { name: "bad time", edit: |t| perms(t).times = vec![TimeWindow { start: "25:00:00".into(), end: "01:00:00".into() }],
            path: "tenants[0].permissions.times[0].start", want: |e| matches!(e, E::TimeOfDay { .. }) },
        Case { name: "bad time zone", edit: |t| perms(t).times_location = "Mars Base".into(), path: "tenants[0].permissions.times_location",
            want: |e| matches!(e, E::TimeLocation { .. }) },
        Case { name: "unknown connection type", edit: |t| perms(t).connection_types = vec!["CARRIER_PIGEON".into()],
            path: "tenants[0].permissions.connection_types[0]", want: |e| matches!(e, E::ConnectionType { .. }) },
        Case { name: "bad stamp template", edit: |t| t.tags.stamp = vec!["x:{who}".into()], path: "tenants[0].tags.stamp[0]",
            want: |e| matches!(e, E::Template { .. }) },
        Case { name: "stamp tag with a space", edit: |t| t.tags.stamp = vec!["a b".into()], path: "tenants[0].tags.stamp[0]",
            want: |e| matches!(e, E::Tag { .. }) },
        Case { name: "empty admin tag", edit: |t| t.identity.admin_tag = String::new(), path: "tenants[0].identity.admin_tag",
            want: |e| matches!(e, E::Tag { .. }) },
        Case { name: "empty requestable glob", edit: |t| t.tags.requestable = vec![String::new()], path: "tenants[0].tags.requestable[0]",
            want: |e| matches!(e, E::Tag { .. }) },
        // tag values that templates could widen, and tags that grant power (issue 21)
        Case { name: "requestable glob with a dotted value", edit: |t| t.tags.requestable = vec!["team:a.*".into()],
            path: "tenants[0].tags.requestable[0]", want: |e| matches!(e, E::Tag { .. }) },
        Case { name: "requestable glob with a full wildcard value", edit: |t| t.tags.requestable = vec!["team:>".into()],
            path: "tenants[0].tags.requestable[0]", want: |e| matches!(e, E::Tag { .. }) },
        Case { name: "stamp whose value holds a dot", edit: |t| t.tags.stamp = vec!["team:{name}.x".into()],
            path: "tenants[0].tags.stamp[0]", want: |e| matches!(e, E::Tag { .. }) },
        Case { name: "stamp with a wildcard value", edit: |t| t.tags.stamp = vec!["team:*".into()],
            path: "tenants[0].tags.stamp[0]", want: |e| matches!(e, E::Tag { .. }) },
        Case { name: "requestable glob reaching the admin tag", edit: |t| t.tags.requestable = vec!["role:*".into()],
            path: "tenants[0].tags.requestable[0]", want: |e| e.to_string().contains("can produce `role:admin`") },
        Case { name: "requestable glob reaching the admin tag in another case", edit: |t| t.tags.requestable = vec!["ROLE:ADM?N".into()],
            path: "tenants[0].tags.requestable[0]", want: |e| e.to_string().contains("can produce `role:admin`") },
        Case { name: "requestable glob reaching everything", edit: |t| t.tags.requestable = vec!["*".into()],
            path: "tenants[0].tags.requestable[0]", want: |e| e.to_string().contains("can produce `role:enroller`") },
        Case { name: "requestable glob reaching a required caller tag", edit: |t| t.tags.requestable = vec!["role:en*".into()],
            path: "tenants[0].tags.requestable[0]", want: |e| e.to_string().contains("can produce `role:enroller`") },
        Case { name: "custom admin tag reached", edit: |t| { t.identity.admin_tag = "ops:boss".into(); t.tags.requestable = vec!["ops:*".into()] },
            path: "tenants[0].tags.requestable[0]", want: |e| e.to_string().contains("can produce `ops:boss`") },
        Case { name: "stamp of the admin tag", edit: |t| t.tags.stamp = vec!["Role:Admin".into()],
            path: "tenants[0].tags.stamp[0]", want: |e| e.to_string().contains("can produce `role:admin`") },
        Case { name: "stamp making the name a role", edit: |t| t.tags.stamp = vec!["role:{name}".into()],
            path: "tenants[0].tags.stamp[0]", want: |e| e.to_string().contains("can produce `role:admin`") },
        Case { name: "stamp copying a caller tag into a role", edit: |t| t.tags.stamp = vec!["role:{tag:site}".into()],
            path: "tenants[0].tags.stamp[0]", want: |e| e.to_string().contains("can produce `role:enroller`") },
    ]
}

#[test]
fn every_dangerous_or_impossible_setting_is_refused_at_its_place() {
    for case in cases() {
        let mut t = acme();
        (case.edit)(&mut t);
        let errors = Policy::from_file(file(vec![t])).unwrap_err();
        let found = errors
            .problems()
            .iter()
            .any(|p| p.path.to_string() == case.path && (case.want)(&p.error));
        assert!(
            found,
            "{}: expected a problem at {}, got:\n{errors}",
            case.name, case.path
        );
    }
}

#[test]
fn the_base_fixture_is_valid() {
    assert!(Policy::from_file(file(vec![acme(), other()])).is_ok());
}

#[test]
fn the_admin_tag_defaults_to_role_admin_and_renewal_to_off() {
    let policy = Policy::from_file(file(vec![acme()])).unwrap();
    let tenant = &policy.tenants()[0];
    assert_eq!(tenant.admin_tag(), policy::schema::DEFAULT_ADMIN_TAG);
    assert!(!tenant.renewal_enabled());
    let mut t = acme();
    t.identity.admin_tag = "ops:tenant-admin".into();
    t.identity.renewal.enabled = true;
    let policy = Policy::from_file(file(vec![t])).unwrap();
    assert_eq!(policy.tenants()[0].admin_tag(), "ops:tenant-admin");
    assert!(policy.tenants()[0].renewal_enabled());
}

#[test]
fn file_level_problems() {
    let errors = Policy::from_file(file(Vec::new())).unwrap_err();
    assert!(matches!(errors.problems()[0].error, PolicyError::NoTenants));
    let mut f = file(vec![acme()]);
    f.version = 2;
    let errors = Policy::from_file(f).unwrap_err();
    assert!(matches!(
        errors.problems()[0].error,
        PolicyError::UnsupportedVersion { found: 2, .. }
    ));

    let mut dup = acme();
    dup.name = "ACME".into();
    let errors = Policy::from_file(file(vec![acme(), dup])).unwrap_err();
    let paths: Vec<String> = errors
        .problems()
        .iter()
        .map(|p| p.path.to_string())
        .collect();
    assert!(matches!(
        errors.problems()[0].error,
        PolicyError::DuplicateTenant { .. }
    ));
    assert!(matches!(
        errors.problems()[1].error,
        PolicyError::DuplicateAccount { .. }
    ));
    assert_eq!(paths, ["tenants[1].name", "tenants[1].account"]);
}

#[test]
fn every_problem_is_listed_at_once() {
    let text = format!(
        r#"
version = 1
[[tenants]]
name = "acme"
account = "{ACME}"
namespace = "tenant.acme"
signing_key = {{ path = "k", scoped = true }}
identity.import = {{ enabled = true }}
ttl = {{ default_secs = 100, max_secs = 10 }}
[tenants.permissions]
pub.allow = ["$SYS.>", ">", "tenant.acme.{{nobody}}"]
sub.allow = ["_INBOX.>"]

[[tenants]]
name = "acme"
account = "{ACME}"
namespace = "tenant.b"
signing_key.path = "k"
identity.import.enabled = true
permissions.pub.allow = ["tenant.b.x"]
permissions.sub.allow = ["tenant.b.x"]
"#
    );
    let errors = Policy::from_toml_str(&text).unwrap_err();
    let got: Vec<(String, usize)> = errors
        .problems()
        .iter()
        .map(|p| {
            (
                p.path.to_string(),
                p.location.map(|l| l.line).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("tenants[0].ttl.max_secs".to_owned(), 9),
            ("tenants[0].permissions".to_owned(), 10),
            ("tenants[1].name".to_owned(), 15),
            ("tenants[1].account".to_owned(), 16),
        ],
        "{errors}"
    );
    // Scoped keys make the template moot; without `scoped` every template problem shows.
    let errors = Policy::from_toml_str(&text.replace(", scoped = true", "")).unwrap_err();
    let shown = errors.to_string();
    for want in [
        "tenants[0].permissions.pub.allow[0] (line 11, column 14): `$SYS.>` grants a system account (`$SYS`) subject",
        "tenants[0].permissions.pub.allow[1] (line 11, column 24): `>` grants publishing to every subject",
        "tenants[0].permissions.pub.allow[2] (line 11, column 29): invalid template `tenant.acme.{nobody}`: unknown placeholder `{nobody}`",
        "tenants[0].ttl.max_secs (line 9, column 29): `max_secs` (10) is below `default_secs` (100)",
    ] {
        assert!(shown.contains(want), "missing {want:?} in:\n{shown}");
    }
}

#[test]
fn a_jwks_url_is_https_or_loopback_http_and_a_config_account_a_plain_name() {
    for url in [
        "https://idp.example/.well-known/jwks.json",
        "http://127.0.0.1:8080/jwks",
        "http://localhost/jwks",
        "http://[::1]:9/jwks",
    ] {
        let mut tenant = acme();
        tenant.identity.oidc = Some(oidc("", url));
        assert!(Policy::from_file(file(vec![tenant])).is_ok(), "{url}");
    }
    for url in [
        "ftp://idp/jwks",
        "http://10.0.0.1/jwks",
        "https://",
        "https://a b",
    ] {
        let mut tenant = acme();
        tenant.identity.oidc = Some(oidc("", url));
        assert!(Policy::from_file(file(vec![tenant])).is_err(), "{url}");
    }
    let mut tenant = acme();
    tenant.identity.callout.enabled = true;
    tenant.identity.callout.config_account = Some("ACME_1".into());
    assert!(Policy::from_file(file(vec![tenant])).is_ok());
}

#[test]
fn tag_templates_and_globs_that_cannot_reach_a_privileged_tag_load() {
    let mut t = acme();
    t.tags.requestable = vec!["team:*".into(), "site:?".into(), "x*".into()];
    t.tags.stamp = vec![
        "tenant:{tenant}".into(),
        "who:{name}".into(),
        "site:{tag:site}".into(),
        "key:{public_key}".into(),
    ];
    Policy::from_file(file(vec![t])).unwrap();
    // A name character set without `:` cannot spell `role:admin` from `{name}` alone.
    let mut t = acme();
    t.tags.stamp = vec!["{name}".into()];
    Policy::from_file(file(vec![t])).unwrap();
    let mut t = acme();
    t.names.allowed_chars = "a-z:".into();
    t.tags.stamp = vec!["{name}".into()];
    let errors = Policy::from_file(file(vec![t])).unwrap_err();
    assert!(
        errors
            .problems()
            .iter()
            .any(|p| p.error.to_string().contains("can produce `role:admin`")),
        "{errors}"
    );
}
