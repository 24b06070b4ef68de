//! Checks of a tenant's identity sources: at least one on, settings only with their
//! source enabled, callout and OIDC settings, required caller tags and the admin tag.

use super::problems::Problems;
use crate::error::PolicyError;
use crate::path::Path;
use crate::schema::{IdentityConfig, OidcConfig};
use crate::tags::check_tag;

pub(super) fn identity(config: &IdentityConfig, at: &Path, problems: &mut Problems) {
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
        if let Err(err) = check_tag(tag) {
            let at = import.key("require_caller_tags").index(i);
            problems.push(
                at,
                PolicyError::Tag {
                    tag: tag.clone(),
                    reason: err.reason(),
                },
            );
        }
    }
    if config.invite.required && !config.invite.enabled {
        let needs = "identity.invite.enabled";
        let at = at.key("invite").key("required");
        problems.push(at, PolicyError::NeedsEnabled { needs });
    }
    if let Err(err) = check_tag(&config.admin_tag) {
        let tag = config.admin_tag.clone();
        let reason = err.reason();
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
    if config.admin_from_tags_claim && config.tags_claim.is_none() {
        let message = String::from("`admin_from_tags_claim` needs `tags_claim`");
        problems.push(
            at.key("admin_from_tags_claim"),
            PolicyError::InvalidValue { message },
        );
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
