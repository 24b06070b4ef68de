//! `portal serve`'s options: every one a flag, a `PORTAL_*` variable (clap `env`) and a
//! key of the `--config` TOML file (flag or variable over file over default; paths in
//! the file are relative to it). [`ServeArgs::resolve`] checks every value before
//! anything binds or connects; a bad value is a [`ConfigError`] naming its field, which
//! the binary prints as one line and exits 64.
//!
//! Flags are read as text and parsed here, so that a bad value from a flag, a variable
//! or the file is refused the same way. Not here: loading the policy and JWKS (`serve`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

pub use checks::ConfigError;
use checks::{check_subject, check_url, in_range, invalid, parse_addr};
pub use login::{LoginConfig, LoginFile};

mod checks;
mod login;

/// Where the API listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The NATS server by default.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
/// The credential request subject (`nsc-setup` estates).
pub const DEFAULT_REQUEST_SUBJECT: &str = "creds.request";
/// The tenant admin subjects' prefix (`nsc-setup` estates).
pub const DEFAULT_ADMIN_PREFIX: &str = "creds.admin";
/// Budget of one NATS call (connect or request), milliseconds.
pub const DEFAULT_NATS_TIMEOUT_MS: u64 = 5_000;
/// Callers' NATS connections kept at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1_000;
/// The largest request body read.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024;
/// How long shutdown waits for requests in flight, milliseconds.
pub const DEFAULT_SHUTDOWN_GRACE_MS: u64 = 10_000;

/// `portal serve`'s flags.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML file with any of the options below (keys: the long flag names with `_`).
    #[arg(long, env = "PORTAL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address the HTTP API listens on [default: 127.0.0.1:8080].
    #[arg(long, env = "PORTAL_LISTEN")]
    pub listen: Option<String>,
    /// Address of `/healthz`, `/readyz` and `/metrics` (off unless given).
    #[arg(long, env = "PORTAL_ADMIN_ADDR")]
    pub admin_addr: Option<String>,
    /// NATS URL [default: nats://127.0.0.1:4222].
    #[arg(short = 's', long = "server", env = "PORTAL_NATS_URL")]
    pub nats_url: Option<String>,
    /// The provisioner's policy file: the tenants, their ID token issuers and admin tags.
    #[arg(long, env = "PORTAL_POLICY")]
    pub policy: Option<PathBuf>,
    /// PEM bundle of CAs trusted besides the system's for `identity.oidc.jwks_url`.
    #[arg(long, env = "PORTAL_JWKS_CA")]
    pub jwks_ca: Option<PathBuf>,
    /// Credential request subject [default: creds.request].
    #[arg(long, env = "PORTAL_REQUEST_SUBJECT")]
    pub request_subject: Option<String>,
    /// Tenant admin subject prefix [default: creds.admin].
    #[arg(long, env = "PORTAL_ADMIN_SUBJECT_PREFIX")]
    pub admin_subject_prefix: Option<String>,
    /// Budget of one NATS call in milliseconds, 1 to 60000 [default: 5000]; past it 504.
    #[arg(long, env = "PORTAL_NATS_TIMEOUT_MS")]
    pub nats_timeout_ms: Option<String>,
    /// Callers' NATS connections kept at once, 1 to 100000 [default: 1000].
    #[arg(long, env = "PORTAL_MAX_CONNECTIONS")]
    pub max_connections: Option<String>,
    /// Largest request body in bytes, 1024 to 1048576 [default: 16384].
    #[arg(long, env = "PORTAL_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<String>,
    /// Milliseconds shutdown waits for requests in flight [default: 10000].
    #[arg(long, env = "PORTAL_SHUTDOWN_GRACE_MS")]
    pub shutdown_grace_ms: Option<String>,
    /// API requests a minute per caller (issuer and subject of its verified token), a
    /// tenth of them at once; past it 429 rate_limited with Retry-After. 0 turns it off;
    /// 0 to 1000000 [default: 600]. The policy's issuance limits apply besides.
    #[arg(long, env = "PORTAL_RATE_PER_IDENTITY")]
    pub rate_per_identity: Option<String>,
    /// Serve the API over HTTPS with this PEM certificate chain (server first); needs
    /// --tls-key. Read and checked at start. Without both: plain HTTP (behind a proxy
    /// that terminates TLS). The admin address stays plain HTTP.
    #[arg(long, env = "PORTAL_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert; needs --tls-cert.
    #[arg(long, env = "PORTAL_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// A browser origin allowed to call the API from another site (CORS), as a plain
    /// scheme://host[:port] such as https://app.example; repeat it for more (the variable
    /// takes a comma-separated list). Without any: no CORS headers at all.
    #[arg(
        long = "cors-origin",
        env = "PORTAL_CORS_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub cors_origins: Vec<String>,
}

/// The config file's shape; every key optional, unknown keys refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    admin_addr: Option<String>,
    nats_url: Option<String>,
    policy: Option<PathBuf>,
    jwks_ca: Option<PathBuf>,
    request_subject: Option<String>,
    admin_subject_prefix: Option<String>,
    nats_timeout_ms: Option<u64>,
    max_connections: Option<usize>,
    max_body_bytes: Option<usize>,
    shutdown_grace_ms: Option<u64>,
    rate_per_identity: Option<u64>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    cors_origins: Option<Vec<String>>,
    login: Option<LoginFile>,
}

/// The checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalConfig {
    /// Where the API listens.
    pub listen: SocketAddr,
    /// Where the admin endpoints listen.
    pub admin_addr: Option<SocketAddr>,
    /// The NATS server.
    pub nats_url: String,
    /// The policy file.
    pub policy: PathBuf,
    /// Extra CAs for JWKS URLs.
    pub jwks_ca: Option<PathBuf>,
    /// The credential request subject.
    pub request_subject: String,
    /// The admin subject prefix.
    pub admin_subject_prefix: String,
    /// Budget of one NATS call.
    pub nats_timeout: Duration,
    /// Connections kept at once.
    pub max_connections: usize,
    /// Largest body.
    pub max_body_bytes: usize,
    /// Shutdown grace.
    pub shutdown_grace: Duration,
    /// API requests a minute per identity; 0: no limit.
    pub rate_per_identity: u32,
    /// HTTPS: the certificate chain and key files; `None`: plain HTTP.
    pub tls: Option<TlsPaths>,
    /// Origins allowed by CORS, as browsers send them; empty: CORS off.
    pub cors_origins: Vec<String>,
    /// The web pages' login; `None`: no pages, the API only.
    pub login: Option<LoginConfig>,
}

/// The PEM files of HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPaths {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

impl ServeArgs {
    /// Merges flags (and variables) over the file over the defaults, and checks it all.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad field.
    pub fn resolve(&self) -> Result<PortalConfig, ConfigError> {
        let (file, base) = match &self.config {
            Some(path) => (read_file(path)?, path.parent().map(Path::to_path_buf)),
            None => (FileConfig::default(), None),
        };
        let relative = |p: PathBuf| match &base {
            Some(base) if p.is_relative() => base.join(p),
            _ => p,
        };
        let text = |flag: &Option<String>, key: Option<String>| flag.clone().or(key);
        let listen = text(&self.listen, file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = parse_addr("listen", &listen)?;
        let admin_addr = text(&self.admin_addr, file.admin_addr)
            .map(|a| parse_addr("admin_addr", &a))
            .transpose()?;
        let nats_url =
            text(&self.nats_url, file.nats_url).unwrap_or_else(|| DEFAULT_NATS_URL.into());
        check_url(&nats_url)?;
        let policy = self
            .policy
            .clone()
            .or_else(|| file.policy.map(&relative))
            .ok_or_else(|| invalid("policy", "required: the provisioner's policy file"))?;
        let jwks_ca = self.jwks_ca.clone().or_else(|| file.jwks_ca.map(&relative));
        let request_subject = text(&self.request_subject, file.request_subject)
            .unwrap_or_else(|| DEFAULT_REQUEST_SUBJECT.into());
        check_subject("request_subject", &request_subject)?;
        let admin_subject_prefix = text(&self.admin_subject_prefix, file.admin_subject_prefix)
            .unwrap_or_else(|| DEFAULT_ADMIN_PREFIX.into());
        check_subject("admin_subject_prefix", &admin_subject_prefix)?;
        let number = |field, flag: &Option<String>, key: Option<u64>, default: u64, range| {
            let value = match flag {
                Some(text) => text
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| invalid(field, format!("`{text}` is not a whole number")))?,
                None => key.unwrap_or(default),
            };
            in_range(field, value, range)
        };
        let as_u64 = |v: Option<usize>| v.and_then(|v| u64::try_from(v).ok());
        let timeout = number(
            "nats_timeout_ms",
            &self.nats_timeout_ms,
            file.nats_timeout_ms,
            DEFAULT_NATS_TIMEOUT_MS,
            (1, 60_000),
        )?;
        let max_connections = number(
            "max_connections",
            &self.max_connections,
            as_u64(file.max_connections),
            DEFAULT_MAX_CONNECTIONS as u64,
            (1, 100_000),
        )?;
        let max_body_bytes = number(
            "max_body_bytes",
            &self.max_body_bytes,
            as_u64(file.max_body_bytes),
            DEFAULT_MAX_BODY_BYTES as u64,
            (1_024, 1_048_576),
        )?;
        let grace = number(
            "shutdown_grace_ms",
            &self.shutdown_grace_ms,
            file.shutdown_grace_ms,
            DEFAULT_SHUTDOWN_GRACE_MS,
            (0, 600_000),
        )?;
        let rate = number(
            "rate_per_identity",
            &self.rate_per_identity,
            file.rate_per_identity,
            u64::from(crate::limit::DEFAULT_RATE_PER_IDENTITY),
            (0, 1_000_000),
        )?;
        let tls_cert = self
            .tls_cert
            .clone()
            .or_else(|| file.tls_cert.map(&relative));
        let tls_key = self.tls_key.clone().or_else(|| file.tls_key.map(&relative));
        let tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(TlsPaths { cert, key }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(invalid(
                    "tls_key",
                    "required with tls_cert (give both or neither)",
                ))
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "tls_cert",
                    "required with tls_key (give both or neither)",
                ))
            }
        };
        let cors_origins = if self.cors_origins.is_empty() {
            file.cors_origins.unwrap_or_default()
        } else {
            self.cors_origins.clone()
        };
        let cors_origins = cors_origins
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| crate::cors::check_origin(o).map_err(|why| invalid("cors_origins", why)))
            .collect::<Result<Vec<_>, _>>()?;
        let login = file
            .login
            .map(|l| l.resolve(&relative, tls.is_some()))
            .transpose()?;
        Ok(PortalConfig {
            listen,
            admin_addr,
            nats_url,
            policy,
            jwks_ca,
            request_subject,
            admin_subject_prefix,
            nats_timeout: Duration::from_millis(timeout),
            max_connections: usize::try_from(max_connections).unwrap_or(DEFAULT_MAX_CONNECTIONS),
            max_body_bytes: usize::try_from(max_body_bytes).unwrap_or(DEFAULT_MAX_BODY_BYTES),
            shutdown_grace: Duration::from_millis(grace),
            rate_per_identity: u32::try_from(rate)
                .unwrap_or(crate::limit::DEFAULT_RATE_PER_IDENTITY),
            tls,
            cors_origins,
            login,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let file_error = |reason: String| ConfigError::File {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    toml::from_str(&text).map_err(|e| file_error(e.message().to_owned()))
}

#[cfg(test)]
mod tests;
