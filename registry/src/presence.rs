//! Presence: which users are connected now, and when each was last seen, kept from the
//! system account's `$SYS.ACCOUNT.<id>.CONNECT` and `DISCONNECT` events (the provisioner
//! subscribes to them; `provisioner::presence`).
//!
//! One record per live connection, `<tenant>.<name>.c.<server>-<cid>`, written on
//! CONNECT and deleted on DISCONNECT, and one last-seen record per name,
//! `<tenant>.<name>.seen`, written on both. No record is computed from another, so every
//! write is a plain put or delete: concurrent connections of one name never conflict,
//! and an event seen twice (two replicas, a redelivery) leaves the same state.
//!
//! Delete markers and last-seen records expire (per-message TTL), so the bucket holds
//! what is live and what was seen within [`SEEN_KEPT`], never every connection ever made.
//! A server that stops without sending DISCONNECT events (a crash) leaves its
//! connections' records behind until [`CONNECTION_KEPT`] passes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::entry::key_token;
use crate::error::RegistryError;
use crate::kv::{Bucket, WriteError};

/// How long a last-seen record is kept after the last event of its name.
pub const SEEN_KEPT: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// How long a connection's record is kept when no DISCONNECT removes it: longer than
/// any credential an estate issues by default lives, so only a lost event ends it.
pub const CONNECTION_KEPT: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// A live connection's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// When it connected, Unix seconds.
    pub since: i64,
    /// The user public key it connected with.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
}

/// A name's last event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenRecord {
    /// When, Unix seconds.
    pub at: i64,
}

/// What presence says of one name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presence {
    /// Connections open now.
    pub connections: u32,
    /// When the name last connected or disconnected, Unix seconds.
    pub last_seen: Option<i64>,
}

/// The key prefix of `tenant`'s name `name` (`name` in the tenant's unique form).
fn name_prefix(tenant: &str, name: &str) -> String {
    format!("{}.{}", key_token(tenant), key_token(name))
}

/// The record key of connection `cid` on server `server`.
pub fn connection_key(tenant: &str, name: &str, server: &str, cid: u64) -> String {
    format!(
        "{}.c.{}-{cid}",
        name_prefix(tenant, name),
        key_token(server)
    )
}

/// The last-seen key of a name.
pub fn seen_key(tenant: &str, name: &str) -> String {
    format!("{}.seen", name_prefix(tenant, name))
}

/// Presence in its bucket.
#[derive(Clone)]
pub struct PresenceBook {
    bucket: Bucket,
}

impl PresenceBook {
    /// Presence kept in `bucket` (opened with per-message TTL on).
    pub fn new(bucket: Bucket) -> Self {
        PresenceBook { bucket }
    }

    /// Records that `name` of `tenant` connected (`cid` on `server`) at `at`.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when a record cannot be written.
    pub async fn connected(
        &self,
        (tenant, name): (&str, &str),
        (server, cid): (&str, u64),
        user: &str,
        at: i64,
    ) -> Result<(), RegistryError> {
        let record = ConnectionRecord {
            since: at,
            user: user.to_owned(),
        };
        let key = connection_key(tenant, name, server, cid);
        self.bucket
            .put(&key, &record, Some(CONNECTION_KEPT))
            .await
            .map_err(failed)?;
        self.seen(tenant, name, at).await
    }

    /// Records that connection `cid` on `server` of `name` closed at `at`.
    ///
    /// # Errors
    /// [`RegistryError::Kv`] when a record cannot be written.
    pub async fn disconnected(
        &self,
        (tenant, name): (&str, &str),
        (server, cid): (&str, u64),
        at: i64,
    ) -> Result<(), RegistryError> {
        let key = connection_key(tenant, name, server, cid);
        self.bucket.forget(&key).await.map_err(failed)?;
        self.seen(tenant, name, at).await
    }

    async fn seen(&self, tenant: &str, name: &str, at: i64) -> Result<(), RegistryError> {
        self.bucket
            .put(&seen_key(tenant, name), &SeenRecord { at }, Some(SEEN_KEPT))
            .await
            .map(drop)
            .map_err(failed)
    }

    /// The presence of `name` (in the tenant's unique form) of `tenant`.
    ///
    /// # Errors
    /// [`RegistryError`] when the bucket cannot be read.
    pub async fn of(&self, tenant: &str, name: &str) -> Result<Presence, RegistryError> {
        let filter = format!("{}.>", name_prefix(tenant, name));
        let records = self.bucket.list::<serde_json::Value>(&filter).await?;
        let mut presence = Presence::default();
        let seen = seen_key(tenant, name);
        for (key, record) in records {
            if key == seen {
                presence.last_seen = record.value.get("at").and_then(serde_json::Value::as_i64);
            } else {
                presence.connections = presence.connections.saturating_add(1);
            }
        }
        Ok(presence)
    }
}

fn failed(err: WriteError) -> RegistryError {
    match err {
        WriteError::Failed(err) => err,
        // Plain puts and deletes do not compare; a conflict cannot come back.
        WriteError::Conflict => RegistryError::kv("writing", "presence", "unexpected conflict"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_tenants_names_and_connections_apart() {
        assert_eq!(
            connection_key("acme", "alice", "NSRV", 7),
            "acme.alice.c.NSRV-7"
        );
        assert_eq!(seen_key("acme", "alice"), "acme.alice.seen");
        // A name with a dot cannot reach into another name's records.
        assert_eq!(seen_key("acme", "alice.c"), "acme.=616c6963652e63.seen");
    }
}
