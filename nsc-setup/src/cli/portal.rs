//! `init --portal` and its `--oidc-*` flags: the estate wired for the tenant self-service
//! HTTP API, and the callers' OpenID Connect issuer when the operator knows it already.

use clap::{ArgGroup, Args};
use nsc_setup::portal::{Jwks, OidcIssuer, Pages, PortalSettings};

/// The portal's flags of `init`.
#[derive(Debug, Clone, Default, Args)]
#[command(group(ArgGroup::new("oidc_jwks").args(["oidc_jwks_url", "oidc_jwks_file"])))]
pub struct PortalArgs {
    /// Wire the estate for the portal (`portal serve --config <dir>/portal.toml`): writes
    /// `portal.toml`, lets tenants' minted users reach `creds.request` and `creds.admin.>`
    /// through their imports and each tenant trust the callers' ID tokens. Needs
    /// `--callout` (the portal connects as each caller through the auth callout).
    #[arg(long, env = "NSC_SETUP_PORTAL")]
    pub portal: bool,
    /// The callers' OpenID Connect issuer (`iss`). Without it each tenant's
    /// `identity.oidc` is written commented out, to fill in.
    #[arg(
        long,
        env = "NSC_SETUP_OIDC_ISSUER",
        requires_all = ["portal", "oidc_audience", "oidc_jwks"]
    )]
    pub oidc_issuer: Option<String>,
    /// The audience (client id) the callers' ID tokens carry.
    #[arg(long, env = "NSC_SETUP_OIDC_AUDIENCE", requires = "oidc_issuer")]
    pub oidc_audience: Option<String>,
    /// The issuer's JWKS URL (https, or http to a loopback address).
    #[arg(long, env = "NSC_SETUP_OIDC_JWKS_URL", requires = "oidc_issuer")]
    pub oidc_jwks_url: Option<String>,
    /// The issuer's JWKS file, as the policy's `jwks_file`: a relative path is relative to
    /// the estate directory. It need not exist yet; the provisioner and the portal read it
    /// when they start.
    #[arg(long, env = "NSC_SETUP_OIDC_JWKS_FILE", requires = "oidc_issuer")]
    pub oidc_jwks_file: Option<String>,
    /// A claim that must hold the tenant's name (tenants sharing one issuer).
    #[arg(long, env = "NSC_SETUP_OIDC_TENANT_CLAIM", requires = "oidc_issuer")]
    pub oidc_tenant_claim: Option<String>,
    /// A claim whose values become the caller's tags; it may carry the tenant's admin tag
    /// (`role:admin`), which makes the caller a tenant admin in the portal.
    #[arg(long, env = "NSC_SETUP_OIDC_TAGS_CLAIM", requires = "oidc_issuer")]
    pub oidc_tags_claim: Option<String>,
    /// Serve the web pages too, at this origin (`https://portal.example.com`): writes
    /// `portal.toml`'s `[login]`, where people log in at the issuer as its client whose id
    /// is `--oidc-audience`. The resource pages offer the `--service` services.
    #[arg(long, env = "NSC_SETUP_PORTAL_URL", requires = "oidc_issuer")]
    pub portal_url: Option<String>,
}

impl PortalArgs {
    /// The portal's settings, when `--portal` was given; the pages offer `services`.
    pub fn settings(&self, services: &[String]) -> Option<PortalSettings> {
        if !self.portal {
            return None;
        }
        let jwks = match (&self.oidc_jwks_url, &self.oidc_jwks_file) {
            (Some(url), _) => Some(Jwks::Url(url.clone())),
            (None, Some(file)) => Some(Jwks::File(file.clone())),
            (None, None) => None,
        };
        let oidc = match (&self.oidc_issuer, &self.oidc_audience, jwks) {
            (Some(issuer), Some(audience), Some(jwks)) => Some(OidcIssuer {
                issuer: issuer.clone(),
                audience: audience.clone(),
                jwks,
                tenant_claim: self.oidc_tenant_claim.clone(),
                tags_claim: self.oidc_tags_claim.clone(),
            }),
            _ => None,
        };
        let pages = self.portal_url.as_ref().map(|url| Pages {
            public_url: url.clone(),
            services: services.to_vec(),
        });
        Some(PortalSettings { oidc, pages })
    }
}
