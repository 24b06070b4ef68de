//! The defaults of `provisioner serve`'s options, and the limits its checks apply.

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
/// The largest accepted proof window (an hour): a proof can be replayed as long as its
/// nonce is remembered, and the replay guard's arithmetic must never overflow.
pub const MAX_PROOF_WINDOW_SECS: i64 = 3_600;
/// Default time to finish in-flight requests on shutdown.
pub const DEFAULT_SHUTDOWN_GRACE_MS: u64 = 5_000;
/// Default subject prefix of the tenant admin endpoints.
pub const DEFAULT_ADMIN_SUBJECT_PREFIX: &str = "creds.admin";

/// The longest bucket prefix (bucket names stay well under JetStream's limits).
pub const MAX_BUCKET_PREFIX_LEN: usize = 32;
