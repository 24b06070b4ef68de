//! `init --portal`: the estate wired for the tenant self-service HTTP API (`portal serve`,
//! `portal/README.md`). The portal holds no creds of its own: it connects to nats-server
//! with each caller's ID token, which the provisioner's auth callout turns into a user of
//! the caller's tenant (so `--portal` needs `--callout`), and calls the credential
//! service through that tenant's imports as that user. On top of a callout estate:
//!
//! - each tenant's policy entry lets its minted users reach the imports: `extra_prefixes`
//!   gains `creds`, `permissions.pub.allow` gains `creds.request` and `creds.admin.>`
//!   (the provisioner still answers admin calls only for the tenant's admin tag);
//! - each tenant trusts the callers' OpenID Connect issuer: `identity.oidc` with
//!   `device_names` (a token for `dana` covers `dana-laptop`) and, with a tags claim,
//!   `admin_from_tags_claim` (the issuer decides who administers the tenant). Without an
//!   issuer the line is written commented out for the operator to fill in, and the portal
//!   refuses to start until a tenant has one;
//! - `portal.toml` for `portal serve --config` (paths relative to it).
//!
//! `tenant add` on such an estate (one with `portal.toml`) gives the new tenant the same
//! permissions and the first tenant's `identity.oidc` line. Scoped signing keys are
//! refused: the server then applies the key's template, not the policy's permissions,
//! and the template grants no `creds.*` subject.

use std::fmt::Write as _;

use crate::error::EstateError;
use crate::layout::POLICY_TOML;
use crate::toml_text::toml_string;
use crate::topology::{ADMIN_SUBJECT, REQUEST_SUBJECT};

/// The policy `extra_prefixes` entry covering the credential service's subjects.
pub const CREDS_PREFIX: &str = "creds";
/// What the portal's callers publish to through their tenant's imports.
pub const CALLER_PUB: [&str; 2] = [REQUEST_SUBJECT, ADMIN_SUBJECT];
/// Where the portal's API listens (`portal.toml`'s `listen`).
pub const LISTEN: &str = "127.0.0.1:8080";
/// Where the portal's `/healthz`, `/readyz` and `/metrics` listen (the provisioner's
/// are on 9090).
pub const ADMIN_ADDR: &str = "127.0.0.1:9091";
/// The start of a tenant's ID token issuer line in `policy.toml`.
const OIDC_KEY: &str = "identity.oidc = ";

/// The portal's wiring: the callers' issuer when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalSettings {
    /// The OpenID Connect issuer every tenant trusts; `None` leaves it to the operator.
    pub oidc: Option<OidcIssuer>,
    /// The web pages, logging people in at that issuer; `None`: the API only.
    pub pages: Option<Pages>,
}

/// The portal's web pages (`portal.toml`'s `[login]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pages {
    /// The portal's origin as browsers reach it (`https://portal.example.com`).
    pub public_url: String,
    /// The provisioning services the resource pages offer.
    pub services: Vec<String>,
}

/// An OpenID Connect issuer as the policy's `identity.oidc` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIssuer {
    /// `issuer`: the tokens' `iss`.
    pub issuer: String,
    /// `audience`: the client id the tokens' `aud` holds.
    pub audience: String,
    /// Where its keys are.
    pub jwks: Jwks,
    /// `tenant_claim`: a claim that must hold the tenant's name (tenants sharing it).
    pub tenant_claim: Option<String>,
    /// `tags_claim`: a claim whose values become tags; it may carry the admin tag.
    pub tags_claim: Option<String>,
}

/// An issuer's JSON Web Key Set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jwks {
    /// `jwks_file`: relative to the estate directory (where `policy.toml` is).
    File(String),
    /// `jwks_url`: fetched and refreshed by the provisioner and the portal.
    Url(String),
}

/// Refuses a portal on an estate that cannot carry it.
///
/// # Errors
/// [`EstateError::Options`] without the callout, or with scoped signing keys.
pub fn check(callout: bool, scoped_keys: bool) -> Result<(), EstateError> {
    if !callout {
        return Err(EstateError::Options {
            reason: String::from(
                "--portal needs --callout: the portal holds no creds and connects to \
                 nats-server as each caller, through the provisioner's auth callout",
            ),
        });
    }
    if scoped_keys {
        return Err(EstateError::Options {
            reason: String::from(
                "--portal does not work with --scoped-keys: a scoped key's template, not \
                 the policy, sets minted users' permissions, and it grants no creds.request",
            ),
        });
    }
    Ok(())
}

/// The policy's `identity.oidc` line for `oidc`, or, without one, commented lines saying
/// what to fill in.
pub fn oidc_line(oidc: Option<&OidcIssuer>) -> String {
    let Some(oidc) = oidc else {
        return String::from(
            "# The portal's callers' OpenID Connect issuer (nsc-setup init --portal was given\n\
             # none): fill in and uncomment, then SIGHUP the provisioner and start the portal.\n\
             # identity.oidc = { issuer = \"https://idp.example.com\", audience = \"<client id>\", \
             jwks_url = \"https://idp.example.com/jwks.json\", tenant_claim = \"tenant\", \
             tags_claim = \"groups\", admin_from_tags_claim = true, device_names = true }\n",
        );
    };
    let mut fields = vec![
        format!("issuer = {}", toml_string(&oidc.issuer)),
        format!("audience = {}", toml_string(&oidc.audience)),
        match &oidc.jwks {
            Jwks::File(path) => format!("jwks_file = {}", toml_string(path)),
            Jwks::Url(url) => format!("jwks_url = {}", toml_string(url)),
        },
    ];
    if let Some(claim) = &oidc.tenant_claim {
        fields.push(format!("tenant_claim = {}", toml_string(claim)));
    }
    if let Some(claim) = &oidc.tags_claim {
        fields.push(format!("tags_claim = {}", toml_string(claim)));
        fields.push(String::from("admin_from_tags_claim = true"));
    }
    fields.push(String::from("device_names = true"));
    format!("{OIDC_KEY}{{ {} }}\n", fields.join(", "))
}

/// The `identity.oidc` line a tenant added to a portal estate gets: the first tenant's of
/// `policy` (the text of `policy.toml`), else the commented one.
pub fn oidc_line_of(policy: &str) -> String {
    policy
        .lines()
        .find(|line| line.starts_with(OIDC_KEY))
        .map_or_else(|| oidc_line(None), |line| format!("{line}\n"))
}

/// `portal.toml` for an estate whose server listens at `nats_url`, wired as `settings`
/// say (with the `[login]` of its pages when it has an issuer and pages).
pub fn portal_toml(nats_url: &str, settings: &PortalSettings) -> String {
    let issuer_set = settings.oidc.is_some();
    let mut out = String::from(
        "# The tenant self-service HTTP API: portal serve --config <this file>\n\
         # (written by nsc-setup init --portal; flags and PORTAL_* variables win over these\n\
         # keys; paths are relative to this file). The portal holds no NATS creds: it\n\
         # connects as each caller, with the caller's ID token, through the auth callout.\n",
    );
    if !issuer_set {
        out.push_str(
            "#\n\
             # No OpenID Connect issuer was given: the policy's `identity.oidc` lines are\n\
             # commented out. Fill one in for each tenant (issuer, audience, jwks_url or\n\
             # jwks_file, ...) first: until a tenant accepts ID tokens the portal refuses to\n\
             # start (it would have no callers).\n",
        );
    }
    let entries = [
        ("policy", POLICY_TOML),
        ("nats_url", nats_url),
        ("listen", LISTEN),
        ("admin_addr", ADMIN_ADDR),
        ("request_subject", REQUEST_SUBJECT),
        ("admin_subject_prefix", admin_prefix()),
    ];
    for (key, value) in entries {
        let _ = writeln!(out, "{key} = {}", toml_string(value));
    }
    if let (Some(oidc), Some(pages)) = (&settings.oidc, &settings.pages) {
        out.push_str(&login_table(oidc, pages));
    }
    out
}

/// The `[login]` table: people log in at the callers' issuer, as its client whose id is
/// the tokens' audience (a public client using PKCE).
fn login_table(oidc: &OidcIssuer, pages: &Pages) -> String {
    let services: Vec<String> = pages.services.iter().map(|s| toml_string(s)).collect();
    format!(
        "\n# The web pages: people log in at the issuer (authorization code flow with PKCE)\n\
         # as its client `client_id`, which must list `<public_url>/login/callback` as a\n\
         # redirect URI and `<public_url>/` as a post-logout one. Without\n\
         # `session_key_file` (64 random bytes or more) sessions end with the process.\n\
         [login]\nissuer = {}\nclient_id = {}\npublic_url = {}\nservices = [{}]\n",
        toml_string(&oidc.issuer),
        toml_string(&oidc.audience),
        toml_string(pages.public_url.trim_end_matches('/')),
        services.join(", ")
    )
}

/// The admin subjects' prefix: [`ADMIN_SUBJECT`] without its `.>`.
fn admin_prefix() -> &'static str {
    ADMIN_SUBJECT.strip_suffix(".>").unwrap_or(ADMIN_SUBJECT)
}

/// `describe`'s portal line for an estate with `portal.toml` (its text) and `policy`
/// (the text of `policy.toml`): the command, where it listens, which issuers it trusts.
pub fn describe_line(config_path: &str, portal: &str, policy: &str) -> String {
    let key = |name: &str| {
        portal
            .lines()
            .filter_map(|line| line.split_once(" = "))
            .find(|(k, _)| k.trim() == name)
            .map_or_else(
                || String::from("-"),
                |(_, v)| v.trim().trim_matches('"').to_owned(),
            )
    };
    let mut issuers: Vec<String> = Vec::new();
    if let Ok(policy) = policy.parse::<toml::Table>() {
        let tenants = policy.get("tenants").and_then(toml::Value::as_array);
        for tenant in tenants.into_iter().flatten() {
            let issuer = tenant
                .get("identity")
                .and_then(|i| i.get("oidc"))
                .and_then(|o| o.get("issuer"))
                .and_then(toml::Value::as_str);
            if let Some(issuer) = issuer.filter(|i| !issuers.iter().any(|s| s == i)) {
                issuers.push(issuer.to_owned());
            }
        }
    }
    let issuers = if issuers.is_empty() {
        String::from("none yet: fill in identity.oidc in policy.toml")
    } else {
        issuers.join(", ")
    };
    format!(
        "Portal\n  run             portal serve --config {config_path}\n  \
         listen          {} (admin {})\n  OIDC issuers    {issuers}\n\n",
        key("listen"),
        key("admin_addr"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> OidcIssuer {
        OidcIssuer {
            issuer: String::from("https://idp.example.com"),
            audience: String::from("portal"),
            jwks: Jwks::File(String::from("jwks.json")),
            tenant_claim: Some(String::from("tenant")),
            tags_claim: Some(String::from("groups")),
        }
    }

    #[test]
    fn the_oidc_line_names_every_given_field() {
        assert_eq!(
            oidc_line(Some(&issuer())),
            "identity.oidc = { issuer = \"https://idp.example.com\", audience = \"portal\", \
             jwks_file = \"jwks.json\", tenant_claim = \"tenant\", tags_claim = \"groups\", \
             admin_from_tags_claim = true, device_names = true }\n"
        );
        let bare = OidcIssuer {
            jwks: Jwks::Url(String::from("https://idp.example.com/keys")),
            tenant_claim: None,
            tags_claim: None,
            ..issuer()
        };
        let line = oidc_line(Some(&bare));
        assert!(line.contains("jwks_url = \"https://idp.example.com/keys\", device_names = true }"));
        assert!(!line.contains("admin_from_tags_claim"), "{line}");
        let missing = oidc_line(None);
        assert!(missing.lines().all(|l| l.starts_with('#')), "{missing}");
    }

    #[test]
    fn a_new_tenant_copies_the_first_issuer_line() {
        let line = oidc_line(Some(&issuer()));
        let policy = format!("version = 1\n[[tenants]]\nname = \"a\"\n{line}");
        assert_eq!(oidc_line_of(&policy), line);
        let unset = format!("version = 1\n{}", oidc_line(None));
        assert_eq!(oidc_line_of(&unset), oidc_line(None));
    }

    #[test]
    fn portal_toml_has_the_keys_portal_serve_reads() {
        let settings = PortalSettings {
            oidc: Some(issuer()),
            pages: None,
        };
        let text = portal_toml("nats://127.0.0.1:4222", &settings);
        let table: toml::Table = text.parse().unwrap();
        let keys: Vec<&str> = table.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "admin_addr",
                "admin_subject_prefix",
                "listen",
                "nats_url",
                "policy",
                "request_subject"
            ]
        );
        assert_eq!(table["admin_subject_prefix"].as_str(), Some("creds.admin"));
        assert!(!text.contains("No OpenID Connect issuer"));
        assert!(portal_toml("nats://x:1", &PortalSettings::default())
            .contains("No OpenID Connect issuer"));
        let with_pages = PortalSettings {
            pages: Some(Pages {
                public_url: String::from("https://portal.example/"),
                services: vec![String::from("storage")],
            }),
            ..settings
        };
        let pages: toml::Table = portal_toml("nats://x:1", &with_pages).parse().unwrap();
        assert_eq!(
            pages["login"]["public_url"].as_str(),
            Some("https://portal.example")
        );
        assert_eq!(pages["login"]["client_id"].as_str(), Some("portal"));
        assert_eq!(pages["login"]["services"][0].as_str(), Some("storage"));
        let line = describe_line("/e/portal.toml", &text, "version = 1\n");
        assert!(
            line.contains("portal serve --config /e/portal.toml"),
            "{line}"
        );
        assert!(
            line.contains("127.0.0.1:8080 (admin 127.0.0.1:9091)"),
            "{line}"
        );
        assert!(line.contains("none yet"), "{line}");
    }

    #[test]
    fn a_portal_needs_the_callout_and_plain_keys() {
        assert!(check(true, false).is_ok());
        assert!(check(false, false)
            .unwrap_err()
            .to_string()
            .contains("--portal needs --callout"));
        assert!(check(true, true).is_err());
    }
}
