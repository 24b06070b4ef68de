//! Where the registry lives: the bucket names (a prefix and one suffix per bucket), the
//! replica count, and the limits every compare-and-set loop shares.
//!
//! Pure values; the provisioner's configuration fills [`RegistrySettings`] in.

/// Default prefix of the registry's bucket names.
pub const DEFAULT_BUCKET_PREFIX: &str = "creds_";
/// Default replica count of the buckets.
pub const DEFAULT_REPLICAS: usize = 1;
/// The most replicas JetStream allows.
pub const MAX_REPLICAS: usize = 5;
/// Suffix of the users bucket.
pub const USERS_BUCKET: &str = "users";
/// Suffix of the invites bucket.
pub const INVITES_BUCKET: &str = "invites";
/// Suffix of the quota leases bucket.
pub const LEASES_BUCKET: &str = "leases";
/// Suffix of the revocation marks bucket (revoked names and keys).
pub const REVOKED_BUCKET: &str = "revoked";
/// Suffix of the auth callout logins bucket (one record per login's key).
pub const LOGINS_BUCKET: &str = "logins";
/// Suffix of the presence bucket (live connections and last-seen times).
pub const PRESENCE_BUCKET: &str = "presence";
/// Suffix of the rate counters stream (JetStream message counters).
pub const COUNTERS_STREAM: &str = "counters";
/// Suffix of the nonce bucket (the nonce guard's).
pub const NONCES_BUCKET: &str = "nonces";
/// Attempts of a compare-and-set loop before giving up as contended.
pub const MAX_ATTEMPTS: u32 = 12;
/// Rate counters outlive their window by this factor (the stream's max age).
pub const RATE_KEEP_WINDOWS: u32 = 2;
/// How long a user entry outlives the last of its JWTs by default: seven days (then its
/// name is free again, unless it was revoked).
pub const DEFAULT_USER_GRACE_SECS: u64 = 7 * 24 * 60 * 60;
/// The longest grace: a year.
pub const MAX_USER_GRACE_SECS: u64 = 365 * 24 * 60 * 60;

/// Where the registry lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySettings {
    /// Prefix of the bucket names (`creds_` gives `creds_users`, …).
    pub bucket_prefix: String,
    /// Replicas of each bucket.
    pub replicas: usize,
    /// Placement tags of every bucket and stream (`region:us` keeps them in the home
    /// region of a supercluster); empty lets the server choose.
    pub placement_tags: Vec<String>,
    /// How long a user entry outlives the last of its JWTs, in seconds.
    pub user_grace_secs: u64,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        RegistrySettings {
            bucket_prefix: DEFAULT_BUCKET_PREFIX.to_owned(),
            replicas: DEFAULT_REPLICAS,
            placement_tags: Vec::new(),
            user_grace_secs: DEFAULT_USER_GRACE_SECS,
        }
    }
}

impl RegistrySettings {
    /// The name of bucket `suffix`.
    pub fn bucket(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.bucket_prefix)
    }
}
