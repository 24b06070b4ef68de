//! The callers' NATS connections: one per bearer token, made by connecting to
//! nats-server with the token as the CONNECT token. The server hands it to the
//! provisioner's auth callout, which verifies the token itself and mints a user in the
//! caller's tenant account with the policy's permissions; every call the portal then makes
//! crosses that tenant's own imports as that user.
//!
//! Kept for at most the token's lifetime, at most `capacity` at once (least recently used
//! out first), and closed (drained) when evicted, expired or at shutdown. Keyed by the
//! SHA-256 of the token, so the map holds no token.
//!
//! Not here: verifying the token (`auth::bearer`, before any connection is made).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_nats::connection::State;
use async_nats::{Client, ConnectErrorKind, ConnectOptions};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The gauge of connections held.
pub const CONNECTIONS_GAUGE: &str = "portal_nats_connections";
/// Reconnect attempts of a cached connection before the client gives up (the cache then
/// connects anew on the next call).
const MAX_RECONNECTS: usize = 3;
/// The name the portal's connections give the server.
const CLIENT_NAME: &str = "portal";

type Key = [u8; 32];

struct Entry {
    client: Client,
    expires_at: i64,
    used: u64,
}

#[derive(Default)]
struct Lru {
    entries: HashMap<Key, Entry>,
    order: BTreeMap<u64, Key>,
    tick: u64,
}

impl Lru {
    fn take(&mut self, key: &Key) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.order.remove(&entry.used);
        Some(entry)
    }

    fn touch(&mut self, key: &Key) -> Option<(Client, i64)> {
        let mut entry = self.take(key)?;
        self.tick += 1;
        entry.used = self.tick;
        let found = (entry.client.clone(), entry.expires_at);
        self.order.insert(entry.used, *key);
        self.entries.insert(*key, entry);
        Some(found)
    }

    /// Inserts, returning what had to go to stay within `capacity`.
    fn insert(
        &mut self,
        key: Key,
        client: Client,
        expires_at: i64,
        capacity: usize,
    ) -> Vec<Client> {
        let mut gone: Vec<Client> = self.take(&key).map(|e| e.client).into_iter().collect();
        self.tick += 1;
        self.order.insert(self.tick, key);
        let entry = Entry {
            client,
            expires_at,
            used: self.tick,
        };
        self.entries.insert(key, entry);
        while self.entries.len() > capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            gone.extend(self.entries.remove(&oldest).map(|e| e.client));
        }
        gone
    }

    fn expired(&mut self, now: i64) -> Vec<Client> {
        let keys: Vec<Key> = self
            .entries
            .iter()
            .filter(|(_, e)| e.expires_at <= now)
            .map(|(k, _)| *k)
            .collect();
        keys.iter()
            .filter_map(|k| self.take(k).map(|e| e.client))
            .collect()
    }
}

/// Who connects: a verified caller's token and what it says.
#[derive(Clone, Copy)]
pub struct Login<'a> {
    /// The bearer token, sent as the CONNECT token. Secret.
    pub token: &'a str,
    /// The tenant (for log lines).
    pub tenant: &'a str,
    /// The user name the token vouches for (its private inbox prefix).
    pub name: &'a str,
    /// When the token expires, unix seconds.
    pub expires_at: i64,
}

/// The connection cache.
pub struct Sessions {
    url: String,
    capacity: usize,
    timeout: Duration,
    lru: Mutex<Lru>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("url", &self.url)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

fn key_of(token: &str) -> Key {
    Sha256::digest(token.as_bytes()).into()
}

fn close(clients: Vec<Client>) {
    for client in clients {
        tokio::spawn(async move {
            let _ = client.drain().await;
        });
    }
}

impl Sessions {
    /// An empty cache for the server at `url`; connects and calls get `timeout` each.
    pub fn new(url: String, capacity: usize, timeout: Duration) -> Self {
        Sessions {
            url,
            capacity,
            timeout,
            lru: Mutex::new(Lru::default()),
        }
    }

    /// The caller's connection at `now`: the cached one while its token lives and it is
    /// connected, else a new one.
    ///
    /// # Errors
    /// `403 login_refused` when the server (the auth callout) refuses the token, `504` when
    /// connecting takes longer than the budget, `503` when the server cannot be reached.
    pub async fn client(&self, caller: &Login<'_>, now: i64) -> Result<Client, ApiError> {
        let key = key_of(caller.token);
        let cached = self.with_lru(|lru| lru.touch(&key));
        match cached {
            Some((client, exp))
                if exp > now && client.connection_state() != State::Disconnected =>
            {
                return Ok(client)
            }
            Some(_) => close(
                self.with_lru(|lru| lru.take(&key))
                    .into_iter()
                    .map(|e| e.client)
                    .collect(),
            ),
            None => {}
        }
        let client = self.connect(caller).await?;
        let gone =
            self.with_lru(|lru| lru.insert(key, client.clone(), caller.expires_at, self.capacity));
        close(gone);
        self.publish_gauge();
        Ok(client)
    }

    async fn connect(&self, caller: &Login<'_>) -> Result<Client, ApiError> {
        let mut options = ConnectOptions::with_token(caller.token.to_owned())
            .name(CLIENT_NAME)
            .connection_timeout(self.timeout)
            .request_timeout(Some(self.timeout))
            .max_reconnects(MAX_RECONNECTS);
        // The callout mints the user under the token's name, which may subscribe only to
        // its private inboxes in an nsc-setup estate.
        if let Some(prefix) = claims::private_inbox_prefix(caller.name) {
            options = options.custom_inbox_prefix(prefix);
        }
        let connecting = options.connect(self.url.as_str());
        match tokio::time::timeout(self.timeout, connecting).await {
            Err(_) => Err(ApiError::Timeout),
            Ok(Ok(client)) => Ok(client),
            Ok(Err(err)) => {
                tracing::info!(tenant = %caller.tenant, user = %caller.name, error = %err.kind(), "NATS connection for the caller failed");
                Err(match err.kind() {
                    ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
                        ApiError::LoginRefused
                    }
                    ConnectErrorKind::TimedOut => ApiError::Timeout,
                    _ => ApiError::Unavailable,
                })
            }
        }
    }

    /// Closes the connections whose token has expired at `now`.
    pub fn sweep(&self, now: i64) {
        close(self.with_lru(|lru| lru.expired(now)));
        self.publish_gauge();
    }

    /// Closes the connection of `token`, if one is held (a logout: the person's NATS
    /// login ends with their session).
    pub async fn forget(&self, token: &str) {
        let key = key_of(token);
        let gone = self.with_lru(|lru| lru.take(&key));
        if let Some(entry) = gone {
            let _ = entry.client.drain().await;
        }
        self.publish_gauge();
    }

    /// Closes every connection (shutdown), waiting for each to drain.
    pub async fn close_all(&self) {
        let all: Vec<Client> = self.with_lru(|lru| {
            lru.order.clear();
            lru.entries.drain().map(|(_, e)| e.client).collect()
        });
        for client in all {
            let _ = client.drain().await;
        }
        self.publish_gauge();
    }

    /// Connections held now.
    pub fn len(&self) -> usize {
        self.with_lru(|lru| lru.entries.len())
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn publish_gauge(&self) {
        let held = self.len();
        metrics::gauge!(CONNECTIONS_GAUGE).set(held as f64);
    }

    fn with_lru<T>(&self, f: impl FnOnce(&mut Lru) -> T) -> T {
        // A poisoned lock only means a panic elsewhere; the map itself stays consistent.
        let mut guard = self
            .lru
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashes_of_the_token() {
        assert_eq!(key_of("a"), key_of("a"));
        assert_ne!(key_of("a"), key_of("b"));
    }

    // The LRU's order logic, without connections: the map holds clients only as values,
    // so it is checked through the order index.
    #[test]
    fn the_order_index_follows_use() {
        let mut lru = Lru {
            tick: 5,
            ..Lru::default()
        };
        lru.order.insert(1, key_of("a"));
        lru.order.insert(2, key_of("b"));
        assert_eq!(lru.order.pop_first().map(|(_, k)| k), Some(key_of("a")));
        assert!(lru.take(&key_of("zzz")).is_none());
        assert!(lru.expired(0).is_empty());
    }
}
