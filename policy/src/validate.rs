//! Load-time validation: from a parsed [`PolicyFile`] to a checked [`Policy`], listing
//! every problem rather than stopping at the first.
//!
//! Checked here: the version, tenant names and accounts (duplicates too), namespaces,
//! signing keys, identity sources, name rules, TTLs, quotas and rate limits. Permission
//! and tag templates are checked in [`permissions`].

mod permissions;

use std::collections::HashMap;

use claims::KeyKind;

use crate::error::{PolicyError, PolicyErrors, Problem};
use crate::names::{escape, Charset, CharsetError};
use crate::path::Path;
use crate::policy::{Policy, SigningKeyRef, Tenant};
use crate::schema::{
    IdentityConfig, NamesConfig, OidcConfig, PolicyFile, RateLimitsConfig, SigningKeyConfig,
    TenantConfig, TtlConfig, SCHEMA_VERSION,
};
use crate::subject;

/// The longest tenant name.
pub const MAX_TENANT_NAME_LEN: usize = 64;
/// The largest `names.max_len`.
pub const MAX_NAME_LEN: usize = 256;
/// The longest credential lifetime a policy may grant: ten years.
pub const MAX_TTL_SECS: u64 = 10 * 365 * 24 * 60 * 60;
/// The longest rate-limit window: thirty days.
pub const MAX_RATE_WINDOW_SECS: u64 = 30 * 24 * 60 * 60;

/// Problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<Problem>);

impl Problems {
    pub(crate) fn push(&mut self, path: Path, error: PolicyError) {
        self.0.push(Problem::new(path, error));
    }

    fn count(&self) -> usize {
        self.0.len()
    }
}

/// Checks `file`; every problem is listed.
pub(crate) fn validate(file: PolicyFile) -> Result<Policy, PolicyErrors> {
    let mut problems = Problems::default();
    let root = Path::root();
    if file.version != SCHEMA_VERSION {
        problems.push(
            root.key("version"),
            PolicyError::UnsupportedVersion {
                found: file.version,
                supported: SCHEMA_VERSION,
            },
        );
    }
    if file.tenants.is_empty() {
        problems.push(root.key("tenants"), PolicyError::NoTenants);
    }
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut accounts: HashMap<String, usize> = HashMap::new();
    let mut tenants = Vec::new();
    for (index, config) in file.tenants.into_iter().enumerate() {
        let path = root.key("tenants").index(index);
        if names
            .insert(config.name.to_ascii_lowercase(), index)
            .is_some()
        {
            let name = config.name.clone();
            problems.push(path.key("name"), PolicyError::DuplicateTenant { name });
        }
        if accounts.insert(config.account.clone(), index).is_some() {
            let account = config.account.clone();
            problems.push(
                path.key("account"),
                PolicyError::DuplicateAccount { account },
            );
        }
        if let Some(tenant) = tenant(index, config, &path, &mut problems) {
            tenants.push(tenant);
        }
    }
    if problems.0.is_empty() {
        Ok(Policy { tenants })
    } else {
        Err(PolicyErrors::new(problems.0))
    }
}

fn tenant(
    index: usize,
    config: TenantConfig,
    path: &Path,
    problems: &mut Problems,
) -> Option<Tenant> {
    let before = problems.count();
    let name_ok = (1..=MAX_TENANT_NAME_LEN).contains(&config.name.chars().count())
        && config
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !name_ok {
        problems.push(
            path.key("name"),
            PolicyError::InvalidTenantName {
                name: config.name.clone(),
                max: MAX_TENANT_NAME_LEN,
            },
        );
    }
    if !claims::is_public_key(&config.account, KeyKind::Account) {
        let key = config.account.clone();
        problems.push(path.key("account"), PolicyError::NotAccountKey { key });
    }
    prefix(&config.namespace, path.key("namespace"), problems);
    for (i, extra) in config.extra_prefixes.iter().enumerate() {
        prefix(extra, path.key("extra_prefixes").index(i), problems);
    }
    let signing_key = signing_key(
        &config.signing_key,
        &config.account,
        &path.key("signing_key"),
        problems,
    );
    identity(&config.identity, &path.key("identity"), problems);
    if config.signing_key.scoped && config.identity.callout.config_account.is_some() {
        let at = path.key("identity").key("callout").key("config_account");
        let message = String::from(
            "a config-mode server applies no signing key scope: give this tenant a plain \
             signing key and a permission template",
        );
        problems.push(at, PolicyError::InvalidValue { message });
    }
    let charset = names(&config.names, &path.key("names"), problems);
    let compiled = permissions::compile(&config, path, problems);
    let stamp = permissions::tags(&config, &path.key("tags"), problems);
    ttl(&config.ttl, &path.key("ttl"), problems);
    let legacy = path.key("identity").key("legacy");
    if let Some(legacy_ttl) = &config.identity.legacy.ttl {
        ttl(legacy_ttl, &legacy.key("ttl"), problems);
    }
    if config.quotas.max_active_users == Some(0) {
        let at = path.key("quotas").key("max_active_users");
        problems.push(at, PolicyError::ZeroLimit);
    }
    rate_limits(&config.rate_limits, &path.key("rate_limits"), problems);
    if let Some(limits) = &config.identity.legacy.rate_limits {
        rate_limits(limits, &legacy.key("rate_limits"), problems);
    }
    if problems.count() != before {
        return None;
    }
    Some(Tenant {
        index,
        signing_key: signing_key?,
        charset: charset?,
        permissions: compiled?,
        stamp: stamp?,
        config,
    })
}

/// A namespace or extra prefix: a literal subject outside `$SYS`.
fn prefix(value: &str, at: Path, problems: &mut Problems) {
    if let Err(reason) = subject::check_literal_subject(value) {
        let subject = value.to_owned();
        problems.push(at, PolicyError::Subject { subject, reason });
    } else if subject::is_sys(value) {
        let subject = value.to_owned();
        problems.push(at, PolicyError::SysSubject { subject });
    }
}

fn signing_key(
    config: &SigningKeyConfig,
    account: &str,
    at: &Path,
    problems: &mut Problems,
) -> Option<SigningKeyRef> {
    let key = match (&config.path, &config.public_key) {
        (Some(path), None) if path.trim().is_empty() => {
            problems.push(at.key("path"), PolicyError::Empty);
            return None;
        }
        (Some(path), None) => SigningKeyRef::Path(path.clone()),
        (None, Some(key)) => {
            if !claims::is_public_key(key, KeyKind::Account) {
                let key = key.clone();
                problems.push(at.key("public_key"), PolicyError::NotAccountKey { key });
                return None;
            }
            if config.scoped && key == account {
                problems.push(at.key("scoped"), PolicyError::ScopedIdentityKey);
                return None;
            }
            SigningKeyRef::PublicKey(key.clone())
        }
        _ => {
            problems.push(at.clone(), PolicyError::SigningKeyChoice);
            return None;
        }
    };
    Some(key)
}

fn identity(config: &IdentityConfig, at: &Path, problems: &mut Problems) {
    if !config.import.enabled
        && !config.invite.enabled
        && !config.legacy.enabled
        && !config.callout.enabled
        && config.oidc.is_none()
    {
        problems.push(at.clone(), PolicyError::NoIdentitySource);
    }
    for (key, set) in [
        ("credentials", config.callout.credentials.is_some()),
        ("config_account", config.callout.config_account.is_some()),
    ] {
        if set && !config.callout.enabled {
            let needs = "identity.callout.enabled";
            problems.push(
                at.key("callout").key(key),
                PolicyError::NeedsEnabled { needs },
            );
        }
    }
    if let Some(name) = &config.callout.config_account {
        if let Err(message) = check_config_account(name) {
            let at = at.key("callout").key("config_account");
            problems.push(at, PolicyError::InvalidValue { message });
        }
    }
    if let Some(oidc) = &config.oidc {
        oidc_config(oidc, &at.key("oidc"), problems);
    }
    let import = at.key("import");
    if !config.import.require_caller_tags.is_empty() && !config.import.enabled {
        let needs = "identity.import.enabled";
        problems.push(
            import.key("require_caller_tags"),
            PolicyError::NeedsEnabled { needs },
        );
    }
    for (i, tag) in config.import.require_caller_tags.iter().enumerate() {
        if let Err(reason) = check_tag(tag) {
            let at = import.key("require_caller_tags").index(i);
            problems.push(
                at,
                PolicyError::Tag {
                    tag: tag.clone(),
                    reason,
                },
            );
        }
    }
    if config.invite.required && !config.invite.enabled {
        let needs = "identity.invite.enabled";
        let at = at.key("invite").key("required");
        problems.push(at, PolicyError::NeedsEnabled { needs });
    }
    if let Err(reason) = check_tag(&config.admin_tag) {
        let tag = config.admin_tag.clone();
        problems.push(at.key("admin_tag"), PolicyError::Tag { tag, reason });
    }
    let legacy = &config.legacy;
    if !legacy.enabled && (legacy.ttl.is_some() || legacy.rate_limits.is_some()) {
        let needs = "identity.legacy.enabled";
        problems.push(at.key("legacy"), PolicyError::NeedsEnabled { needs });
    }
}

/// The largest clock skew an `identity.oidc.leeway_secs` may accept.
pub const MAX_OIDC_LEEWAY_SECS: u64 = 600;

/// A config-mode account name as nats-server reads it from its config: printable, no
/// whitespace, not a subject wildcard.
fn check_config_account(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 256 {
        Err(String::from("an account name is 1 to 256 characters"))
    } else if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '*' | '>' | '.'))
    {
        Err(format!(
            "`{name}` is not an account name: no whitespace, control characters, `.`, `*` or `>`"
        ))
    } else {
        Ok(())
    }
}

fn oidc_config(config: &OidcConfig, at: &Path, problems: &mut Problems) {
    match (
        config.jwks_file.trim().is_empty(),
        config.jwks_url.trim().is_empty(),
    ) {
        (true, true) | (false, false) => {
            let message = String::from("give exactly one of `jwks_file` and `jwks_url`");
            problems.push(at.key("jwks_file"), PolicyError::InvalidValue { message });
        }
        (true, false) => {
            if let Err(message) = check_jwks_url(&config.jwks_url) {
                problems.push(at.key("jwks_url"), PolicyError::InvalidValue { message });
            }
        }
        (false, true) => {}
    }
    let required = [
        ("issuer", &config.issuer),
        ("audience", &config.audience),
        ("name_claim", &config.name_claim),
    ];
    for (key, value) in required {
        if value.trim().is_empty() {
            problems.push(at.key(key), PolicyError::Empty);
        }
    }
    for (key, value) in [
        ("tags_claim", &config.tags_claim),
        ("tenant_claim", &config.tenant_claim),
    ] {
        if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
            problems.push(at.key(key), PolicyError::Empty);
        }
    }
    if config.leeway_secs > MAX_OIDC_LEEWAY_SECS {
        let message = format!("the clock skew is at most {MAX_OIDC_LEEWAY_SECS} seconds");
        problems.push(at.key("leeway_secs"), PolicyError::InvalidValue { message });
    }
}

/// A JWKS URL: `https://`, or `http://` to a loopback host (a key set fetched in the
/// clear from elsewhere could be swapped on the way).
fn check_jwks_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(String::from("a URL holds no whitespace"));
    }
    if let Some(rest) = url.strip_prefix("https://") {
        return if rest.is_empty() {
            Err(String::from("the URL names no host"))
        } else {
            Ok(())
        };
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!("`{url}` is neither https:// nor http://"));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if matches!(host, "127.0.0.1" | "localhost" | "::1") {
        Ok(())
    } else {
        Err(format!(
            "`{url}`: plain http is only for a loopback host; use https"
        ))
    }
}

/// A tag: non-empty, no whitespace or control characters.
pub(crate) fn check_tag(tag: &str) -> Result<(), &'static str> {
    if tag.is_empty() {
        Err("a tag cannot be empty")
    } else if tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("a tag cannot hold whitespace or control characters")
    } else if tag.chars().count() > MAX_TAG_LEN {
        Err("a tag is at most 255 characters")
    } else {
        Ok(())
    }
}

/// The longest tag.
pub const MAX_TAG_LEN: usize = 255;

fn names(config: &NamesConfig, at: &Path, problems: &mut Problems) -> Option<Charset> {
    let charset = match Charset::parse(&config.allowed_chars) {
        Ok(charset) => Some(charset),
        Err(err) => {
            let set = config.allowed_chars.clone();
            let error = match err {
                CharsetError::Invalid(reason) => PolicyError::Charset { set, reason },
                CharsetError::Unsafe(c) => PolicyError::UnsafeCharset {
                    set,
                    found: escape(c),
                },
            };
            problems.push(at.key("allowed_chars"), error);
            None
        }
    };
    let (min, max) = (config.min_len, config.max_len);
    if min < 1 || max < min || max > MAX_NAME_LEN {
        let limit = MAX_NAME_LEN;
        let key = if min < 1 { "min_len" } else { "max_len" };
        problems.push(at.key(key), PolicyError::NameLengths { min, max, limit });
    }
    if config.pattern.as_deref().is_some_and(str::is_empty) {
        problems.push(at.key("pattern"), PolicyError::Empty);
    }
    for (i, name) in config.reserved.iter().enumerate() {
        if name.is_empty() {
            problems.push(at.key("reserved").index(i), PolicyError::Empty);
        }
    }
    if config.reissue_to_other_key && !config.unique {
        let needs = "names.unique";
        problems.push(
            at.key("reissue_to_other_key"),
            PolicyError::NeedsEnabled { needs },
        );
    }
    charset
}

fn ttl(config: &TtlConfig, at: &Path, problems: &mut Problems) {
    for (key, value) in [
        ("default_secs", config.default_secs),
        ("max_secs", config.max_secs),
    ] {
        if value == 0 || value > MAX_TTL_SECS {
            problems.push(
                at.key(key),
                PolicyError::OutOfRange {
                    value: value.to_string(),
                    reason: "a lifetime is 1 second to 10 years",
                },
            );
        }
    }
    if config.max_secs < config.default_secs {
        problems.push(
            at.key("max_secs"),
            PolicyError::TtlMaxBelowDefault {
                default: config.default_secs,
                max: config.max_secs,
            },
        );
    }
}

fn rate_limits(config: &RateLimitsConfig, at: &Path, problems: &mut Problems) {
    if config.window_secs == 0 || config.window_secs > MAX_RATE_WINDOW_SECS {
        problems.push(
            at.key("window_secs"),
            PolicyError::OutOfRange {
                value: config.window_secs.to_string(),
                reason: "a window is 1 second to 30 days",
            },
        );
    }
    for (key, value) in [
        ("per_requester", config.per_requester),
        ("per_tenant", config.per_tenant),
    ] {
        if value == Some(0) {
            problems.push(at.key(key), PolicyError::ZeroLimit);
        }
    }
}
