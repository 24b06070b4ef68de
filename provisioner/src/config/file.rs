//! The config file's schema: the same options as the flags, as TOML keys. Unknown keys
//! are refused, so a typo is an error instead of a silently ignored setting.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::config::callout::CalloutMode;

/// The config file's shape; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub(crate) nats_url: Option<String>,
    pub(crate) creds: Option<PathBuf>,
    pub(crate) nkey: Option<PathBuf>,
    pub(crate) jwks_ca: Option<PathBuf>,
    pub(crate) policy: Option<PathBuf>,
    #[serde(default)]
    pub(crate) account_jwts: Vec<PathBuf>,
    pub(crate) signing_key: Option<PathBuf>,
    pub(crate) nkeys_path: Option<PathBuf>,
    pub(crate) nsc_store: Option<PathBuf>,
    pub(crate) subject: Option<String>,
    pub(crate) queue_group: Option<String>,
    pub(crate) service_name: Option<String>,
    pub(crate) audit_subject: Option<String>,
    pub(crate) admin_addr: Option<SocketAddr>,
    pub(crate) max_in_flight: Option<usize>,
    pub(crate) request_timeout_ms: Option<u64>,
    pub(crate) proof_window_secs: Option<i64>,
    pub(crate) nonce_bucket: Option<String>,
    pub(crate) tls_ca: Option<PathBuf>,
    pub(crate) tls_cert: Option<PathBuf>,
    pub(crate) tls_key: Option<PathBuf>,
    pub(crate) shutdown_grace_ms: Option<u64>,
    pub(crate) callout_issuer_key: Option<PathBuf>,
    pub(crate) callout_xkey: Option<PathBuf>,
    pub(crate) callout_mode: Option<CalloutMode>,
    pub(crate) registry: Option<bool>,
    pub(crate) registry_replicas: Option<usize>,
    pub(crate) registry_placement: Option<String>,
    pub(crate) registry_bucket_prefix: Option<String>,
    pub(crate) registry_user_grace_secs: Option<u64>,
    pub(crate) history_max_age_secs: Option<u64>,
    pub(crate) operator_signing_key: Option<PathBuf>,
    pub(crate) sys_creds: Option<PathBuf>,
    pub(crate) account_jwt_budget_bytes: Option<usize>,
    pub(crate) admin_subject_prefix: Option<String>,
}
