//! The merged configuration of `provisioner serve`: flag or env over file over default.
//! Paths in the file are relative to the file's folder; paths on the command line to the
//! working directory. Checked (`check`) before anything connects.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use registry::RegistrySettings;

use crate::config::args::ServeArgs;
use crate::config::callout::CalloutConfig;
use crate::config::defaults::*;
use crate::config::error::ConfigError;
use crate::config::file::FileConfig;

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
    pub callout: Option<CalloutConfig>,
    /// The registry, when on.
    pub registry: Option<RegistrySettings>,
    /// How long the issuance history keeps a record, when it is kept.
    pub history_max_age: Option<Duration>,
    /// Operator signing key and system account creds for revocation pushes.
    pub revocation: Option<RevocationFiles>,
    /// Subject prefix of the tenant admin endpoints.
    pub admin_subject_prefix: String,
    /// The most bytes a pushed account JWT may have.
    pub account_jwt_budget: usize,
}

/// The files revocation pushes need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationFiles {
    /// Operator signing key seed file (`SO…`).
    pub operator_signing_key: PathBuf,
    /// System account user's creds file.
    pub sys_creds: PathBuf,
}

/// The registry settings: on when asked for, or when any registry option is given.
fn registry_settings(
    on: Option<bool>,
    replicas: Option<usize>,
    placement: Option<String>,
    prefix: Option<String>,
    user_grace_secs: Option<u64>,
) -> Option<RegistrySettings> {
    let implied = replicas.is_some() || prefix.is_some() || user_grace_secs.is_some();
    let placement_tags = placement
        .iter()
        .flat_map(|tags| tags.split(','))
        .map(|tag| tag.trim().to_owned())
        .filter(|tag| !tag.is_empty())
        .collect();
    if !on.unwrap_or(implied) {
        return None;
    }
    let defaults = RegistrySettings::default();
    Some(RegistrySettings {
        bucket_prefix: prefix.unwrap_or(defaults.bucket_prefix),
        replicas: replicas.unwrap_or(defaults.replicas),
        placement_tags,
        user_grace_secs: user_grace_secs.unwrap_or(defaults.user_grace_secs),
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
            callout: crate::config::callout::resolve(
                &args.callout,
                from_file(file.callout_issuer_key),
                from_file(file.callout_xkey),
                file.callout_mode,
            )?,
            registry: registry_settings(
                args.registry.or(file.registry),
                args.registry_replicas.or(file.registry_replicas),
                args.registry_placement.clone().or(file.registry_placement),
                args.registry_bucket_prefix
                    .clone()
                    .or(file.registry_bucket_prefix),
                args.registry_user_grace_secs
                    .or(file.registry_user_grace_secs),
            ),
            history_max_age: args
                .history_max_age_secs
                .or(file.history_max_age_secs)
                .filter(|secs| *secs > 0)
                .map(Duration::from_secs),
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
            account_jwt_budget: args
                .account_jwt_budget_bytes
                .or(file.account_jwt_budget_bytes)
                .unwrap_or(registry::budget::DEFAULT_JWT_BUDGET),
            admin_subject_prefix: args
                .admin_subject_prefix
                .clone()
                .or(file.admin_subject_prefix)
                .unwrap_or_else(|| DEFAULT_ADMIN_SUBJECT_PREFIX.to_owned()),
        };
        config.check()?;
        Ok(config)
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
        let grace = ServeConfig::resolve(&ServeArgs {
            registry_user_grace_secs: Some(0),
            ..base.clone()
        })
        .unwrap();
        assert_eq!(grace.registry.map(|r| r.user_grace_secs), Some(0));
        assert!(refused(ServeArgs {
            registry_user_grace_secs: Some(registry::MAX_USER_GRACE_SECS + 1),
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
