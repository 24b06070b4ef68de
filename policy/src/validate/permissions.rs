//! Load-time checks of a tenant's permission template and tag templates.
//!
//! This is where "no request can yield a permission outside its tenant's namespace"
//! is made true: every allow template must start with the literal tokens of the
//! namespace, an extra prefix or `_INBOX`, and placeholders fill whole tokens only (see
//! [`crate::template`]). `$SYS` grants, publish-everything and empty allow lists (which
//! NATS reads as "everything") are refused.

use std::net::IpAddr;

use claims::{CidrList, ResponsePermission, TimeRange, UserPermissionLimits};

use super::problems::Problems;
use crate::error::PolicyError;
use crate::path::Path;
use crate::policy::CompiledPermissions;
use crate::schema::{PermissionsConfig, SubjectRules, TenantConfig};
use crate::subject;
use crate::template::{Placeholder, SubjectTemplate, TemplateToken};

/// Connection types NATS knows (`allowed_connection_types`).
pub const CONNECTION_TYPES: [&str; 7] = [
    "STANDARD",
    "WEBSOCKET",
    "LEAFNODE",
    "LEAFNODE_WS",
    "MQTT",
    "MQTT_WS",
    "IN_PROCESS",
];

const NANOS_PER_MILLI: u64 = 1_000_000;

/// The tenant's compiled permissions: `Some(None)` for a scoped key, `None` on problems.
pub(super) fn compile(
    config: &TenantConfig,
    tenant: &Path,
    problems: &mut Problems,
) -> Option<Option<CompiledPermissions>> {
    let at = tenant.key("permissions");
    let permissions = match (&config.permissions, config.signing_key.scoped) {
        (Some(_), true) => {
            problems.push(at, PolicyError::ScopedWithPermissions);
            return None;
        }
        (None, true) => return Some(None),
        (None, false) => {
            problems.push(at, PolicyError::MissingPermissions);
            return None;
        }
        (Some(p), false) => p,
    };
    let before = problems.count();
    let scope = Scope::of(config);
    let publish = rules(&permissions.publish, true, &scope, &at.key("pub"), problems);
    let subscribe = rules(
        &permissions.subscribe,
        false,
        &scope,
        &at.key("sub"),
        problems,
    );
    let fixed = fixed(permissions, &at, problems);
    if problems.count() != before {
        return None;
    }
    let ((pub_allow, pub_deny), (sub_allow, sub_deny)) = (publish?, subscribe?);
    Some(Some(CompiledPermissions {
        pub_allow,
        pub_deny,
        sub_allow,
        sub_deny,
        fixed: fixed?,
    }))
}

/// Where a tenant's grants may point.
pub(super) struct Scope<'a> {
    namespace: Option<&'a str>,
    extra: &'a [String],
    import: bool,
}

impl<'a> Scope<'a> {
    pub(super) fn of(config: &'a TenantConfig) -> Self {
        let namespace_ok = subject::check_literal_subject(&config.namespace).is_ok()
            && !subject::is_sys(&config.namespace);
        Scope {
            // An invalid namespace is reported once, not again for every template.
            namespace: namespace_ok.then_some(config.namespace.as_str()),
            extra: &config.extra_prefixes,
            import: config.identity.import.enabled,
        }
    }
}

type Compiled = (Vec<SubjectTemplate>, Vec<SubjectTemplate>);

fn rules(
    rules: &SubjectRules,
    publish: bool,
    scope: &Scope<'_>,
    at: &Path,
    problems: &mut Problems,
) -> Option<Compiled> {
    if rules.allow.is_empty() {
        problems.push(at.key("allow"), PolicyError::EmptyAllowList);
    }
    let allow = allow_list(&rules.allow, publish, scope, &at.key("allow"), problems);
    let mut deny = Vec::new();
    for (i, text) in rules.deny.iter().enumerate() {
        if let Some(template) = parse(text, scope, &at.key("deny").index(i), problems) {
            deny.push(template);
        }
    }
    Some((allow, deny))
}

/// Allow templates (`at` is the list's place): each lies in the namespace, `_INBOX` or an
/// extra prefix, and none grants `$SYS` or (for publish) every subject. The templates
/// that pass; the others are problems.
pub(super) fn allow_list(
    texts: &[String],
    publish: bool,
    scope: &Scope<'_>,
    at: &Path,
    problems: &mut Problems,
) -> Vec<SubjectTemplate> {
    let mut allow = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let at = at.index(i);
        let Some(template) = parse(text, scope, &at, problems) else {
            continue;
        };
        let subject = text.clone();
        if subject::is_sys(text) {
            problems.push(at, PolicyError::SysSubject { subject });
        } else if publish && template.tokens().first() == Some(&TemplateToken::FullWildcard) {
            problems.push(at, PolicyError::PublishEverything { subject });
        } else if let Some(namespace) = scope.namespace.filter(|ns| {
            !(template.is_within(ns)
                || template.is_within(subject::INBOX_PREFIX)
                || scope.extra.iter().any(|p| template.is_within(p)))
        }) {
            let namespace = namespace.to_owned();
            problems.push(at, PolicyError::OutsideNamespace { subject, namespace });
        } else {
            allow.push(template);
        }
    }
    allow
}

fn parse(
    text: &str,
    scope: &Scope<'_>,
    at: &Path,
    problems: &mut Problems,
) -> Option<SubjectTemplate> {
    match SubjectTemplate::parse(text) {
        Ok(template) => {
            let before = problems.count();
            tag_placeholders(template.placeholders(), scope.import, at, problems);
            (problems.count() == before).then_some(template)
        }
        Err(reason) => {
            let template = text.to_owned();
            problems.push(at.clone(), PolicyError::Template { template, reason });
            None
        }
    }
}

/// `{tag:…}` values come from `Nats-Request-Info`, so only the import provides them.
pub(super) fn tag_placeholders<'a>(
    placeholders: impl Iterator<Item = &'a Placeholder>,
    import: bool,
    at: &Path,
    problems: &mut Problems,
) {
    for placeholder in placeholders {
        if matches!(placeholder, Placeholder::Tag(_)) && !import {
            let placeholder = placeholder.to_string();
            problems.push(
                at.clone(),
                PolicyError::TagPlaceholderWithoutImport { placeholder },
            );
        }
    }
}

/// Everything but the subject lists, in claims form.
fn fixed(
    config: &PermissionsConfig,
    at: &Path,
    problems: &mut Problems,
) -> Option<UserPermissionLimits> {
    let before = problems.count();
    let mut out = UserPermissionLimits::unlimited();
    if let Some(resp) = &config.resp {
        if resp.max < 0 {
            let value = resp.max.to_string();
            let reason = "a response count is 0 (server default) or more";
            problems.push(
                at.key("resp").key("max"),
                PolicyError::OutOfRange { value, reason },
            );
        }
        let ttl = resp
            .ttl_ms
            .checked_mul(NANOS_PER_MILLI)
            .and_then(|ns| i64::try_from(ns).ok());
        if ttl.is_none() {
            let value = resp.ttl_ms.to_string();
            let reason = "a response lifetime must fit in 292 years";
            problems.push(
                at.key("resp").key("ttl_ms"),
                PolicyError::OutOfRange { value, reason },
            );
        }
        out.resp = Some(ResponsePermission {
            max: resp.max,
            ttl: ttl.unwrap_or_default(),
        });
    }
    for (key, value) in [
        ("subs", config.subs),
        ("data", config.data),
        ("payload", config.payload),
    ] {
        if value < claims::NO_LIMIT {
            problems.push(at.key(key), PolicyError::Limit { value });
        }
    }
    (out.subs, out.data, out.payload) = (config.subs, config.data, config.payload);
    let mut src = CidrList::default();
    for (i, cidr) in config.src.iter().enumerate() {
        if is_cidr(cidr) {
            src.add(cidr);
        } else {
            let cidr = cidr.clone();
            problems.push(at.key("src").index(i), PolicyError::Cidr { cidr });
        }
    }
    out.src = src;
    for (i, window) in config.times.iter().enumerate() {
        for (key, time) in [("start", &window.start), ("end", &window.end)] {
            if !is_time_of_day(time) {
                let at = at.key("times").index(i).key(key);
                problems.push(at, PolicyError::TimeOfDay { time: time.clone() });
            }
        }
        out.times.push(TimeRange {
            start: window.start.clone(),
            end: window.end.clone(),
        });
    }
    if !config.times_location.is_empty() && !is_zone_name(&config.times_location) {
        let location = config.times_location.clone();
        problems.push(
            at.key("times_location"),
            PolicyError::TimeLocation { location },
        );
    }
    out.times_location = config.times_location.clone();
    for (i, kind) in config.connection_types.iter().enumerate() {
        if !CONNECTION_TYPES.contains(&kind.as_str()) {
            problems.push(
                at.key("connection_types").index(i),
                PolicyError::ConnectionType {
                    value: kind.clone(),
                    expected: CONNECTION_TYPES.join(", "),
                },
            );
        }
    }
    out.allowed_connection_types = config.connection_types.clone();
    out.bearer_token = config.bearer;
    (problems.count() == before).then_some(out)
}

/// `address/prefix`, as Go's `net.ParseCIDR` reads it.
fn is_cidr(text: &str) -> bool {
    let Some((address, bits)) = text.trim().split_once('/') else {
        return false;
    };
    let Ok(address) = address.parse::<IpAddr>() else {
        return false;
    };
    let max = if address.is_ipv4() { 32 } else { 128 };
    !bits.is_empty()
        && bits.chars().all(|c| c.is_ascii_digit())
        && bits.parse::<u8>().is_ok_and(|b| b <= max)
}

/// `HH:MM:SS`, 24-hour.
fn is_time_of_day(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return false;
    };
    let field = |v: &str, max: u8| {
        v.len() == 2
            && v.chars().all(|c| c.is_ascii_digit())
            && v.parse::<u8>().is_ok_and(|n| n <= max)
    };
    field(h, 23) && field(m, 59) && field(s, 59)
}

/// The shape of an IANA zone name (`UTC`, `Europe/Berlin`, `America/Argentina/Salta`,
/// `Etc/GMT+1`). Whether the zone exists is for whoever reads the time zone database.
fn is_zone_name(text: &str) -> bool {
    text.len() <= MAX_ZONE_NAME_LEN
        && text.split('/').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

const MAX_ZONE_NAME_LEN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_times_and_zones() {
        for ok in [
            "10.0.0.0/8",
            "192.168.1.1/32",
            "::1/128",
            "2001:db8::/32",
            " 10.0.0.0/0 ",
        ] {
            assert!(is_cidr(ok), "{ok}");
        }
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "::/129",
            "x/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
        ] {
            assert!(!is_cidr(bad), "{bad}");
        }
        for ok in ["00:00:00", "23:59:59", "08:30:00"] {
            assert!(is_time_of_day(ok), "{ok}");
        }
        for bad in [
            "24:00:00",
            "8:00:00",
            "08:60:00",
            "08:00",
            "08:00:00:00",
            "aa:bb:cc",
        ] {
            assert!(!is_time_of_day(bad), "{bad}");
        }
        for ok in [
            "UTC",
            "Europe/Berlin",
            "America/Argentina/Salta",
            "Etc/GMT+1",
        ] {
            assert!(is_zone_name(ok), "{ok}");
        }
        for bad in ["", "Europe/", "/Berlin", "Europe Berlin", "../etc/passwd"] {
            assert!(!is_zone_name(bad), "{bad}");
        }
    }
}
