//! Load-time validation: from a parsed [`PolicyFile`] to a checked [`Policy`], listing
//! every problem rather than stopping at the first.
//!
//! Checked here: the version, tenant names and accounts (duplicates too), namespaces and
//! signing keys. Identity sources are checked in [`identity`]; name rules, TTLs and rate
//! limits in [`limits`]; permission templates in [`permissions`]; conditional grants in
//! [`grants`]; stamped and requestable tags in [`tag`]. Each records what it finds in
//! [`Problems`].

mod grants;
mod identity;
mod limits;
mod permissions;
mod problems;
mod tag;

use std::collections::HashMap;

use claims::KeyKind;

use crate::error::{PolicyError, PolicyErrors};
use crate::path::Path;
use crate::policy::{Policy, SigningKeyRef, Tenant};
use crate::schema::{PolicyFile, SigningKeyConfig, TenantConfig, SCHEMA_VERSION};
use crate::subject;
use identity::identity;
pub use identity::MAX_OIDC_LEEWAY_SECS;
use limits::{names, rate_limits, ttl};
pub use limits::{MAX_NAME_LEN, MAX_RATE_WINDOW_SECS, MAX_TTL_SECS};
use problems::Problems;

impl Policy {
    /// Checks a policy built in code.
    ///
    /// # Errors
    /// [`PolicyErrors`] listing every validation problem with its schema path.
    pub fn from_file(file: PolicyFile) -> Result<Policy, PolicyErrors> {
        validate(file)
    }
}

/// The longest tenant name.
pub const MAX_TENANT_NAME_LEN: usize = 64;
/// The largest `quotas.max_outstanding_invites`: every invite creation counts the
/// tenant's invites, so the cap also bounds that count.
pub const MAX_OUTSTANDING_INVITES: u64 = 100_000;

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
    problems.finish(Policy { tenants })
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
    let grants = grants::compile(&config, path, problems);
    let stamp = tag::tags(&config, charset.as_ref(), &path.key("tags"), problems);
    ttl(&config.ttl, &path.key("ttl"), problems);
    let legacy = path.key("identity").key("legacy");
    if let Some(legacy_ttl) = &config.identity.legacy.ttl {
        ttl(legacy_ttl, &legacy.key("ttl"), problems);
    }
    if config.quotas.max_active_users == Some(0) {
        let at = path.key("quotas").key("max_active_users");
        problems.push(at, PolicyError::ZeroLimit);
    }
    let invites = config.quotas.max_outstanding_invites;
    if !(1..=MAX_OUTSTANDING_INVITES).contains(&invites) {
        problems.push(
            path.key("quotas").key("max_outstanding_invites"),
            PolicyError::OutOfRange {
                value: invites.to_string(),
                reason: "a tenant may hold 1 to 100000 live invites",
            },
        );
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
        grants: grants?,
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
