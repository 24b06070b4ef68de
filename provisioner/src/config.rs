//! `provisioner serve` configuration: a TOML file, command-line flags and `PROVISIONER_*`
//! environment variables, merged (flag or env over file over default) and validated
//! before anything connects.
//!
//! Paths in the file are relative to the file's folder; paths on the command line to the
//! working directory. Loading keys, JWTs and the policy is `config/runtime`.

pub mod runtime;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

use crate::registry::{RegistrySettings, MAX_REPLICAS};

/// Default request subject: the seed tutorial's.
pub const DEFAULT_SUBJECT: &str = "chat.req.access";
/// Default queue group shared by replicas.
pub const DEFAULT_QUEUE_GROUP: &str = "provisioner";
/// Default NATS micro service name.
pub const DEFAULT_SERVICE_NAME: &str = "provisioner";
/// Default NATS URL.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
/// Default bound on requests handled at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;
/// Default time budget of one request.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 2_000;
/// Default accepted clock skew of a proof's `ts`.
pub const DEFAULT_PROOF_WINDOW_SECS: i64 = 60;
/// Default time to finish in-flight requests on shutdown.
pub const DEFAULT_SHUTDOWN_GRACE_MS: u64 = 5_000;

/// Options of `provisioner serve`; each is also a `PROVISIONER_*` variable and a key of
/// the config file (without the dashes).
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Config file (TOML) with any of the options below as keys.
    #[arg(long, env = "PROVISIONER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222].
    #[arg(
        short = 's',
        long = "server",
        env = "PROVISIONER_NATS_URL",
        value_name = "URL"
    )]
    pub nats_url: Option<String>,
    /// Creds file the provisioner connects with.
    #[arg(long, env = "PROVISIONER_CREDS", value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// User seed file (`SU…`) to connect with instead of `--creds`: for a config-mode
    /// server, whose `auth_callout.auth_users` then lists its public key.
    #[arg(
        long,
        env = "PROVISIONER_NKEY",
        value_name = "FILE",
        conflicts_with = "creds"
    )]
    pub nkey: Option<PathBuf>,
    /// PEM bundle of CAs trusted, besides the system's, for the policy's JWKS URLs
    /// (`identity.oidc.jwks_url`): an identity provider behind a private CA.
    #[arg(long, env = "PROVISIONER_JWKS_CA", value_name = "FILE")]
    pub jwks_ca: Option<PathBuf>,
    /// Policy file. Without one, `--acc` and `--sk` give the seed's legacy policy.
    #[arg(long, env = "PROVISIONER_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Account JWT file of a tenant (repeatable). With `--sk` and no policy: the seed's
    /// single account.
    #[arg(
        long = "acc",
        env = "PROVISIONER_ACCOUNT_JWT",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub account_jwts: Vec<PathBuf>,
    /// Signing key seed file for the seed's single-account mode.
    #[arg(long = "sk", env = "PROVISIONER_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// nsc key store (`NKEYS_PATH`) holding the seeds of signing keys given by public key.
    #[arg(long, env = "PROVISIONER_NKEYS_PATH", value_name = "DIR")]
    pub nkeys_path: Option<PathBuf>,
    /// nsc operator store (`$NSC_HOME/stores/<operator>`) to find tenant account JWTs in.
    #[arg(long, env = "PROVISIONER_NSC_STORE", value_name = "DIR")]
    pub nsc_store: Option<PathBuf>,
    /// Request subject [default: chat.req.access].
    #[arg(long, env = "PROVISIONER_SUBJECT")]
    pub subject: Option<String>,
    /// Queue group shared by replicas [default: provisioner].
    #[arg(long, env = "PROVISIONER_QUEUE_GROUP")]
    pub queue_group: Option<String>,
    /// NATS micro service name [default: provisioner].
    #[arg(long, env = "PROVISIONER_SERVICE_NAME")]
    pub service_name: Option<String>,
    /// Subject audit events are published on; none when unset.
    #[arg(long, env = "PROVISIONER_AUDIT_SUBJECT")]
    pub audit_subject: Option<String>,
    /// Address of the admin HTTP endpoint (/healthz, /readyz, /metrics); off when unset.
    #[arg(long, env = "PROVISIONER_ADMIN_ADDR", value_name = "HOST:PORT")]
    pub admin_addr: Option<SocketAddr>,
    /// Requests handled at once [default: 256].
    #[arg(long, env = "PROVISIONER_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    /// Time budget of one request in milliseconds [default: 2000].
    #[arg(long, env = "PROVISIONER_REQUEST_TIMEOUT_MS")]
    pub request_timeout_ms: Option<u64>,
    /// Accepted skew of a proof's timestamp in seconds [default: 60].
    #[arg(long, env = "PROVISIONER_PROOF_WINDOW_SECS")]
    pub proof_window_secs: Option<i64>,
    /// JetStream KV bucket for the nonce replay guard shared by replicas; in memory when
    /// unset.
    #[arg(long, env = "PROVISIONER_NONCE_BUCKET")]
    pub nonce_bucket: Option<String>,
    /// CA certificate (PEM) to verify the server with.
    #[arg(long, env = "PROVISIONER_TLS_CA", value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    #[arg(long, env = "PROVISIONER_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// Client key (PEM) for mutual TLS.
    #[arg(long, env = "PROVISIONER_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Time to finish in-flight requests on shutdown, in milliseconds [default: 5000].
    #[arg(long, env = "PROVISIONER_SHUTDOWN_GRACE_MS")]
    pub shutdown_grace_ms: Option<u64>,
    /// Auth callout options.
    #[command(flatten)]
    pub callout: crate::callout::config::CalloutArgs,
    /// Keep the registry (users, invites, quotas, rate counters, nonces) in JetStream KV
    /// buckets and serve the tenant admin endpoints [default: false; implied by the
    /// other registry options].
    #[arg(
        long,
        env = "PROVISIONER_REGISTRY",
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub registry: Option<bool>,
    /// Replicas of each registry bucket (3 in a cluster) [default: 1].
    #[arg(long, env = "PROVISIONER_REGISTRY_REPLICAS", value_name = "N")]
    pub registry_replicas: Option<usize>,
    /// Prefix of the registry's bucket names [default: creds_].
    #[arg(
        long,
        env = "PROVISIONER_REGISTRY_BUCKET_PREFIX",
        value_name = "PREFIX"
    )]
    pub registry_bucket_prefix: Option<String>,
    /// Operator signing key seed file (`SO…`): with `--sys-creds`, revoking a user
    /// updates the tenant account's revocations on the resolver.
    #[arg(long, env = "PROVISIONER_OPERATOR_SIGNING_KEY", value_name = "FILE")]
    pub operator_signing_key: Option<PathBuf>,
    /// Creds file of a system account user, to look up and push account JWTs.
    #[arg(long, env = "PROVISIONER_SYS_CREDS", value_name = "FILE")]
    pub sys_creds: Option<PathBuf>,
    /// Subject prefix of the tenant admin endpoints [default: creds.admin].
    #[arg(long, env = "PROVISIONER_ADMIN_SUBJECT_PREFIX", value_name = "SUBJECT")]
    pub admin_subject_prefix: Option<String>,
}

/// The config file's shape; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    nats_url: Option<String>,
    creds: Option<PathBuf>,
    nkey: Option<PathBuf>,
    jwks_ca: Option<PathBuf>,
    policy: Option<PathBuf>,
    #[serde(default)]
    account_jwts: Vec<PathBuf>,
    signing_key: Option<PathBuf>,
    nkeys_path: Option<PathBuf>,
    nsc_store: Option<PathBuf>,
    subject: Option<String>,
    queue_group: Option<String>,
    service_name: Option<String>,
    audit_subject: Option<String>,
    admin_addr: Option<SocketAddr>,
    max_in_flight: Option<usize>,
    request_timeout_ms: Option<u64>,
    proof_window_secs: Option<i64>,
    nonce_bucket: Option<String>,
    tls_ca: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    shutdown_grace_ms: Option<u64>,
    callout_issuer_key: Option<PathBuf>,
    callout_xkey: Option<PathBuf>,
    callout_mode: Option<crate::callout::config::CalloutMode>,
    registry: Option<bool>,
    registry_replicas: Option<usize>,
    registry_bucket_prefix: Option<String>,
    operator_signing_key: Option<PathBuf>,
    sys_creds: Option<PathBuf>,
    admin_subject_prefix: Option<String>,
}

/// The merged, checked configuration.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// NATS URL(s).
    pub nats_url: String,
    /// Creds file to connect with.
    pub creds: Option<PathBuf>,
    /// User seed file to connect with (config-mode servers), instead of `creds`.
    pub nkey: Option<PathBuf>,
    /// Extra CAs for JWKS URLs.
    pub jwks_ca: Option<PathBuf>,
    /// Policy file, or `None` for the seed's legacy policy.
    pub policy: Option<PathBuf>,
    /// Account JWT files.
    pub account_jwts: Vec<PathBuf>,
    /// The seed mode's signing key file.
    pub signing_key: Option<PathBuf>,
    /// nsc key store.
    pub nkeys_path: Option<PathBuf>,
    /// nsc operator store.
    pub nsc_store: Option<PathBuf>,
    /// Request subject.
    pub subject: String,
    /// Queue group.
    pub queue_group: String,
    /// Micro service name.
    pub service_name: String,
    /// Audit subject, if any.
    pub audit_subject: Option<String>,
    /// Admin HTTP address, if any.
    pub admin_addr: Option<SocketAddr>,
    /// In-flight bound.
    pub max_in_flight: usize,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Proof timestamp window, seconds.
    pub proof_window_secs: i64,
    /// Nonce KV bucket, if any.
    pub nonce_bucket: Option<String>,
    /// TLS CA file.
    pub tls_ca: Option<PathBuf>,
    /// TLS client certificate.
    pub tls_cert: Option<PathBuf>,
    /// TLS client key.
    pub tls_key: Option<PathBuf>,
    /// Shutdown grace.
    pub shutdown_grace: Duration,
    /// The auth callout responder, when on.
    pub callout: Option<crate::callout::config::CalloutConfig>,
    /// The registry, when on.
    pub registry: Option<RegistrySettings>,
    /// Operator signing key and system account creds for revocation pushes.
    pub revocation: Option<RevocationFiles>,
    /// Subject prefix of the tenant admin endpoints.
    pub admin_subject_prefix: String,
}

/// The files revocation pushes need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationFiles {
    /// Operator signing key seed file (`SO…`).
    pub operator_signing_key: PathBuf,
    /// System account user's creds file.
    pub sys_creds: PathBuf,
}

/// Default subject prefix of the tenant admin endpoints.
pub const DEFAULT_ADMIN_SUBJECT_PREFIX: &str = "creds.admin";

/// A configuration problem: printed as one line, exit 64.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file cannot be read or parsed.
    #[error("config file `{path}`: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A value is out of range or missing.
    #[error("{0}")]
    Invalid(String),
    /// A key or account JWT was refused.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// The policy is invalid.
    #[error("policy `{path}`: {problems}")]
    Policy {
        /// The policy file.
        path: String,
        /// Every problem, on one line.
        problems: String,
    },
}

/// The longest bucket prefix (bucket names stay well under JetStream's limits).
pub const MAX_BUCKET_PREFIX_LEN: usize = 32;

/// The registry settings: on when asked for, or when any registry option is given.
fn registry_settings(
    on: Option<bool>,
    replicas: Option<usize>,
    prefix: Option<String>,
) -> Option<RegistrySettings> {
    let implied = replicas.is_some() || prefix.is_some();
    if !on.unwrap_or(implied) {
        return None;
    }
    let defaults = RegistrySettings::default();
    Some(RegistrySettings {
        bucket_prefix: prefix.unwrap_or(defaults.bucket_prefix),
        replicas: replicas.unwrap_or(defaults.replicas),
    })
}

fn relative_to(base: &Path, p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        base.join(p)
    }
}

impl ServeConfig {
    /// Merges flags/env over the config file over defaults, and checks ranges.
    ///
    /// # Errors
    /// [`ConfigError`] for an unreadable or unknown-key config file and bad values.
    pub fn resolve(args: &ServeArgs) -> Result<ServeConfig, ConfigError> {
        let (file, base) = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let file: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.message().to_owned(),
                })?;
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (file, base)
            }
            None => (FileConfig::default(), PathBuf::new()),
        };
        let from_file = |p: Option<PathBuf>| p.map(|p| relative_to(&base, p));
        let pick = |flag: &Option<PathBuf>, file: Option<PathBuf>| flag.clone().or(from_file(file));
        let account_jwts = if args.account_jwts.is_empty() {
            file.account_jwts
                .into_iter()
                .map(|p| relative_to(&base, p))
                .collect()
        } else {
            args.account_jwts.clone()
        };
        let config = ServeConfig {
            nats_url: args
                .nats_url
                .clone()
                .or(file.nats_url)
                .unwrap_or_else(|| DEFAULT_NATS_URL.to_owned()),
            creds: pick(&args.creds, file.creds),
            nkey: pick(&args.nkey, file.nkey),
            jwks_ca: pick(&args.jwks_ca, file.jwks_ca),
            policy: pick(&args.policy, file.policy),
            account_jwts,
            signing_key: pick(&args.signing_key, file.signing_key),
            nkeys_path: pick(&args.nkeys_path, file.nkeys_path),
            nsc_store: pick(&args.nsc_store, file.nsc_store),
            subject: args
                .subject
                .clone()
                .or(file.subject)
                .unwrap_or_else(|| DEFAULT_SUBJECT.to_owned()),
            queue_group: args
                .queue_group
                .clone()
                .or(file.queue_group)
                .unwrap_or_else(|| DEFAULT_QUEUE_GROUP.to_owned()),
            service_name: args
                .service_name
                .clone()
                .or(file.service_name)
                .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned()),
            audit_subject: args
                .audit_subject
                .clone()
                .or(file.audit_subject)
                .filter(|s| !s.is_empty()),
            admin_addr: args.admin_addr.or(file.admin_addr),
            max_in_flight: args
                .max_in_flight
                .or(file.max_in_flight)
                .unwrap_or(DEFAULT_MAX_IN_FLIGHT),
            request_timeout: Duration::from_millis(
                args.request_timeout_ms
                    .or(file.request_timeout_ms)
                    .unwrap_or(DEFAULT_REQUEST_TIMEOUT_MS),
            ),
            proof_window_secs: args
                .proof_window_secs
                .or(file.proof_window_secs)
                .unwrap_or(DEFAULT_PROOF_WINDOW_SECS),
            nonce_bucket: args
                .nonce_bucket
                .clone()
                .or(file.nonce_bucket)
                .filter(|s| !s.is_empty()),
            tls_ca: pick(&args.tls_ca, file.tls_ca),
            tls_cert: pick(&args.tls_cert, file.tls_cert),
            tls_key: pick(&args.tls_key, file.tls_key),
            shutdown_grace: Duration::from_millis(
                args.shutdown_grace_ms
                    .or(file.shutdown_grace_ms)
                    .unwrap_or(DEFAULT_SHUTDOWN_GRACE_MS),
            ),
            callout: crate::callout::config::resolve(
                &args.callout,
                from_file(file.callout_issuer_key),
                from_file(file.callout_xkey),
                file.callout_mode,
            )?,
            registry: registry_settings(
                args.registry.or(file.registry),
                args.registry_replicas.or(file.registry_replicas),
                args.registry_bucket_prefix
                    .clone()
                    .or(file.registry_bucket_prefix),
            ),
            revocation: match (
                pick(&args.operator_signing_key, file.operator_signing_key),
                pick(&args.sys_creds, file.sys_creds),
            ) {
                (None, None) => None,
                (Some(operator_signing_key), Some(sys_creds)) => Some(RevocationFiles {
                    operator_signing_key,
                    sys_creds,
                }),
                _ => {
                    return Err(ConfigError::Invalid(String::from(
                        "operator_signing_key and sys_creds go together",
                    )))
                }
            },
            admin_subject_prefix: args
                .admin_subject_prefix
                .clone()
                .or(file.admin_subject_prefix)
                .unwrap_or_else(|| DEFAULT_ADMIN_SUBJECT_PREFIX.to_owned()),
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |s: String| Err(ConfigError::Invalid(s));
        if self.max_in_flight == 0 {
            return invalid(String::from("max_in_flight must be at least 1"));
        }
        if self.request_timeout.is_zero() {
            return invalid(String::from("request_timeout_ms must be at least 1"));
        }
        if self.proof_window_secs <= 0 {
            return invalid(String::from("proof_window_secs must be at least 1"));
        }
        if self.subject.is_empty() || self.subject.contains([' ', '\t', '*', '>']) {
            return invalid(format!(
                "subject `{}` must be a literal subject",
                self.subject
            ));
        }
        if self.creds.is_some() && self.nkey.is_some() {
            return invalid(String::from(
                "creds and nkey are two ways to connect: give one",
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return invalid(String::from("tls_cert and tls_key go together"));
        }
        if let Some(registry) = &self.registry {
            if !(1..=MAX_REPLICAS).contains(&registry.replicas) {
                return invalid(format!(
                    "registry_replicas must be 1 to {MAX_REPLICAS}, not {}",
                    registry.replicas
                ));
            }
            let prefix = &registry.bucket_prefix;
            if prefix.len() > MAX_BUCKET_PREFIX_LEN
                || !prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return invalid(format!(
                    "registry_bucket_prefix `{prefix}` may hold at most {MAX_BUCKET_PREFIX_LEN} of A-Za-z0-9_-"
                ));
            }
        }
        if self.revocation.is_some() && self.registry.is_none() {
            return invalid(String::from(
                "operator_signing_key and sys_creds need the registry (--registry)",
            ));
        }
        let admin = &self.admin_subject_prefix;
        let literal = !admin.is_empty()
            && admin
                .split('.')
                .all(|t| !t.is_empty() && !t.contains([' ', '\t', '*', '>']));
        if !literal {
            return invalid(format!(
                "admin_subject_prefix `{admin}` must be a literal subject"
            ));
        }
        if self.subject == *admin || self.subject.starts_with(&format!("{admin}.")) {
            return invalid(format!(
                "subject `{}` lies under admin_subject_prefix `{admin}`",
                self.subject
            ));
        }
        if self.policy.is_none() && (self.signing_key.is_none() || self.account_jwts.len() != 1) {
            return invalid(String::from(
                "no policy: give --policy FILE, or the seed's --acc ACCOUNT.jwt and --sk SIGNING.nk",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_file_paths_are_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(
            &file,
            "policy = \"policy.toml\"\nsubject = \"creds.request\"\nmax_in_flight = 8\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file),
            max_in_flight: Some(16),
            ..Default::default()
        };
        let c = ServeConfig::resolve(&args).unwrap();
        assert_eq!(c.policy, Some(dir.path().join("policy.toml")));
        assert_eq!(c.subject, "creds.request");
        assert_eq!(c.max_in_flight, 16);
        assert_eq!(c.nats_url, DEFAULT_NATS_URL);
    }

    #[test]
    fn unknown_keys_and_missing_policy_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(&file, "polcy = \"x\"\n").unwrap();
        let err = ServeConfig::resolve(&ServeArgs {
            config: Some(file),
            ..Default::default()
        });
        assert!(err.unwrap_err().to_string().contains("polcy"));
        let err = ServeConfig::resolve(&ServeArgs::default()).unwrap_err();
        assert!(err.to_string().contains("--policy"));
    }

    #[test]
    fn registry_options_imply_the_registry_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(
            &file,
            "policy = \"policy.toml\"\nregistry = true\noperator_signing_key = \"op.nk\"\n\
             sys_creds = \"sys.creds\"\nadmin_subject_prefix = \"ops.admin\"\n",
        )
        .unwrap();
        let c = ServeConfig::resolve(&ServeArgs {
            config: Some(file.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.registry, Some(RegistrySettings::default()));
        let files = c.revocation.unwrap();
        assert_eq!(files.sys_creds, dir.path().join("sys.creds"));
        assert_eq!(c.admin_subject_prefix, "ops.admin");

        let base = ServeArgs {
            policy: Some(PathBuf::from("policy.toml")),
            ..Default::default()
        };
        let off = ServeConfig::resolve(&base).unwrap();
        assert_eq!(off.registry, None);
        assert_eq!(off.admin_subject_prefix, DEFAULT_ADMIN_SUBJECT_PREFIX);
        let implied = ServeConfig::resolve(&ServeArgs {
            registry_replicas: Some(3),
            ..base.clone()
        })
        .unwrap();
        assert_eq!(implied.registry.map(|r| r.replicas), Some(3));
        let refused = |args: ServeArgs| ServeConfig::resolve(&args).is_err();
        assert!(refused(ServeArgs {
            registry_replicas: Some(0),
            ..base.clone()
        }));
        assert!(refused(ServeArgs {
            registry_bucket_prefix: Some("a.b".into()),
            ..base.clone()
        }));
        assert!(refused(ServeArgs {
            sys_creds: Some("sys.creds".into()),
            registry: Some(true),
            ..base.clone()
        }));
        assert!(refused(ServeArgs {
            sys_creds: Some("sys.creds".into()),
            operator_signing_key: Some("op.nk".into()),
            ..base.clone()
        }));
        assert!(refused(ServeArgs {
            admin_subject_prefix: Some("creds.*".into()),
            ..base.clone()
        }));
        assert!(refused(ServeArgs {
            subject: Some("creds.admin.x".into()),
            ..base.clone()
        }));
        assert!(!refused(ServeArgs {
            registry: Some(false),
            registry_replicas: Some(3),
            ..base
        }));
    }

    #[test]
    fn seed_flags_alone_are_a_complete_configuration() {
        let args = ServeArgs {
            account_jwts: vec![PathBuf::from("KUBECON.jwt")],
            signing_key: Some(PathBuf::from("sk.nk")),
            creds: Some(PathBuf::from("chat-access.creds")),
            ..Default::default()
        };
        let c = ServeConfig::resolve(&args).unwrap();
        assert_eq!(c.subject, DEFAULT_SUBJECT);
        assert!(c.policy.is_none());
    }
}
