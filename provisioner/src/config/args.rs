//! The command-line face of `provisioner serve`: every option as a flag and a
//! `PROVISIONER_*` variable (`serve --help` prints these doc comments).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

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
    /// Signing key seed file for the seed's single-account mode (legacy: every user of
    /// the account that may subscribe to `_INBOX.>` reads every reply, seeds included).
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
    /// Accepted skew of a proof's timestamp in seconds, 1 to 3600 [default: 60].
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
    pub callout: crate::config::callout::CalloutArgs,
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
    /// Placement tags of the registry's buckets and streams, comma-separated (in a
    /// supercluster `region:<home>`: every replica in the home region) [default: none,
    /// the server chooses].
    #[arg(long, env = "PROVISIONER_REGISTRY_PLACEMENT", value_name = "TAGS")]
    pub registry_placement: Option<String>,
    /// Prefix of the registry's bucket names [default: creds_].
    #[arg(
        long,
        env = "PROVISIONER_REGISTRY_BUCKET_PREFIX",
        value_name = "PREFIX"
    )]
    pub registry_bucket_prefix: Option<String>,
    /// Seconds a user entry is kept after the last of its JWTs expired (a revoked one is
    /// kept for good); then its name is free again [default: 604800, seven days].
    #[arg(
        long,
        env = "PROVISIONER_REGISTRY_USER_GRACE_SECS",
        value_name = "SECS"
    )]
    pub registry_user_grace_secs: Option<u64>,
    /// Keep a history of every issuance (who got credentials for which key, when, by
    /// which door) in a JetStream stream for this many seconds; tenant admins read it
    /// with `issuances` (NATS) or `GET /api/v1/issuances` (HTTP). Needs the registry;
    /// 0 or unset: no history.
    #[arg(long, env = "PROVISIONER_HISTORY_MAX_AGE_SECS", value_name = "SECS")]
    pub history_max_age_secs: Option<u64>,
    /// Operator signing key seed file (`SO…`): with `--sys-creds`, revoking a user
    /// updates the tenant account's revocations on the resolver.
    #[arg(long, env = "PROVISIONER_OPERATOR_SIGNING_KEY", value_name = "FILE")]
    pub operator_signing_key: Option<PathBuf>,
    /// Creds file of a system account user, to look up and push account JWTs.
    #[arg(long, env = "PROVISIONER_SYS_CREDS", value_name = "FILE")]
    pub sys_creds: Option<PathBuf>,
    /// The most bytes a tenant account JWT may have after a revocation push: NATS
    /// refuses JWTs over 1 MiB, so a push that would cross this is refused (after
    /// pruning what expired) with the figures; about 94 bytes a revocation
    /// [default: 838860, 80% of 1 MiB; 4096 to 1048576].
    #[arg(
        long,
        env = "PROVISIONER_ACCOUNT_JWT_BUDGET_BYTES",
        value_name = "BYTES"
    )]
    pub account_jwt_budget_bytes: Option<usize>,
    /// Subject prefix of the tenant admin endpoints [default: creds.admin].
    #[arg(long, env = "PROVISIONER_ADMIN_SUBJECT_PREFIX", value_name = "SUBJECT")]
    pub admin_subject_prefix: Option<String>,
}
