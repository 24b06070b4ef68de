//! The registry: who was issued which name, invites, quotas and issuance counters, in
//! JetStream KV buckets in the provisioner's account, shared by every replica (design §5).
//!
//! Owns: the buckets and what is stored in them; every invariant that must hold across
//! replicas as a KV compare-and-set, never an in-process lock: name uniqueness (the users
//! key), the active-user quota (one lease key per allowed user, taken with a create), single- or N-use invites (the
//! invite key), issuance rate limits (JetStream message counters, which add without
//! compare-and-set and answer with the total); reserving after an Allow
//! with rollback on a lost race; marking names revoked and pushing the tenant account's
//! revocations to the resolver, pruned of what expired; a lifetime on every write of a
//! user entry or invite, so that what is dead leaves its bucket with no scan; invites
//! keyed under their tenant's prefix and capped per tenant. The nonce replay guard's bucket
//! is opened here too ([`kv::open_store`]). `provisioner/REGISTRY.md` describes the
//! buckets, keys and values.
//!
//! May not: decide (the `policy` crate's `evaluate` reads the facts this crate gathers),
//! handle NATS requests or shape replies (the provisioner's request path, callout and
//! tenant admin endpoints), or mint user JWTs. Its only NATS traffic is JetStream KV and,
//! for revocation, the resolver's system subjects on a connection the caller supplies.
//!
//! Layout, lower modules first (each imports only those above it):
//! - `settings`: bucket names, replicas and the retry bound (pure);
//! - `error`: [`RegistryError`] and secret-free JSON error text;
//! - `entry`: the values and keys (pure);
//! - `invite`: invite tokens, keys and entries (pure but for drawing a token);
//! - `prune`: which revocations an account JWT may drop (pure);
//! - `budget`: the account JWT's size budget (pure);
//! - `lease`: quota leases as values (pure);
//! - `expiry`: how long a user entry or an invite is kept (pure);
//! - `rekey`: what a slot's entry becomes on an issuance, earlier keys kept (pure);
//! - `kv`: buckets, versioned reads, conditional writes, with or without a lifetime;
//! - `listing`: the latest value of every key under a filter;
//! - `stream`: opening a stream the registry owns (found, updated or created);
//! - `counter`: the rate counters' stream (add and read back the total);
//! - `history`: the issuance history's stream (append, read a tenant's or a user's page);
//! - `store`: [`Registry`], its buckets, and reads and writes of users;
//! - `invites`: invites in their bucket (by tenant prefix, capped per tenant);
//! - `quota`: taking, renewing and giving back leases;
//! - `logins`: the keys of auth callout logins, recorded per login for revocation;
//! - `presence`: who is connected now and when each name was last seen;
//! - `revoked`: revocation marks, refusing a revoked name or key for good;
//! - `reserve`: reading the facts for `evaluate` and reserving after an Allow;
//! - `revoke`: marking a name revoked and pushing the account's revocations;
//! - `fold`: moving entries written under a spelling with capitals to their folded
//!   slot, where a tenant's names ignore case;
//! - `upgrade`: lifetimes for entries an older release wrote without one.

pub mod budget;
pub mod counter;
pub mod entry;
pub mod error;
pub mod expiry;
pub mod fold;
pub mod history;
pub mod invite;
pub mod invites;
pub mod kv;
pub mod lease;
pub mod listing;
pub mod logins;
pub mod presence;
pub mod prune;
pub mod quota;
pub mod rekey;
pub mod reserve;
pub mod revoke;
pub mod revoked;
pub mod settings;
pub mod store;
pub mod stream;
pub mod upgrade;

pub use error::RegistryError;
pub use invite::invite_usable;
pub use settings::{
    RegistrySettings, COUNTERS_STREAM, DEFAULT_BUCKET_PREFIX, DEFAULT_REPLICAS,
    DEFAULT_USER_GRACE_SECS, INVITES_BUCKET, LEASES_BUCKET, MAX_ATTEMPTS, MAX_REPLICAS,
    MAX_USER_GRACE_SECS, NONCES_BUCKET, REVOKED_BUCKET, USERS_BUCKET,
};
pub use store::Registry;
