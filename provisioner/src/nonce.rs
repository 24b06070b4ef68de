//! The replay guard for proofs of key possession: a nonce is accepted once per user key
//! within the proof window.
//!
//! Two stores: in memory (one replica), or a JetStream KV bucket whose `create` is a
//! compare-and-set, so that replicas in one queue group share the guard. Entries outlive
//! the proof window (the bucket's max age, or pruning in memory), after which the
//! timestamp check alone refuses a replay.

use std::collections::HashMap;
use std::sync::Mutex;

use async_nats::jetstream::kv;

/// Outcome of recording a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceOutcome {
    /// First use.
    Fresh,
    /// Seen before.
    Replayed,
}

/// Where used nonces are kept.
pub enum NonceGuard {
    /// In this process only.
    Memory(Mutex<MemoryNonces>),
    /// In a JetStream KV bucket shared by every replica.
    Kv(Box<kv::Store>),
}

/// Used nonces with their expiry, pruned as they age out.
#[derive(Default)]
pub struct MemoryNonces {
    seen: HashMap<String, i64>,
    next_prune: i64,
}

/// Prune the in-memory map at most this often (seconds).
const PRUNE_EVERY_SECS: i64 = 10;

impl NonceGuard {
    /// An in-memory guard.
    pub fn memory() -> Self {
        NonceGuard::Memory(Mutex::new(MemoryNonces::default()))
    }

    /// Records `nonce` for `public_key`; `keep_until` is when the record may be forgotten.
    ///
    /// # Errors
    /// When the KV store cannot be reached (the request then fails with a 500).
    pub async fn record(
        &self,
        public_key: &str,
        nonce: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<NonceOutcome, kv::CreateError> {
        let key = format!("{public_key}.{nonce}");
        match self {
            NonceGuard::Memory(m) => {
                let mut m = match m.lock() {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                if now >= m.next_prune {
                    m.seen.retain(|_, until| *until > now);
                    m.next_prune = now + PRUNE_EVERY_SECS;
                }
                match m.seen.get(&key) {
                    Some(until) if *until > now => Ok(NonceOutcome::Replayed),
                    _ => {
                        m.seen.insert(key, keep_until);
                        Ok(NonceOutcome::Fresh)
                    }
                }
            }
            NonceGuard::Kv(store) => match store.create(&key, bytes::Bytes::new()).await {
                Ok(_) => Ok(NonceOutcome::Fresh),
                Err(err) if err.kind() == kv::CreateErrorKind::AlreadyExists => {
                    Ok(NonceOutcome::Replayed)
                }
                Err(err) => Err(err),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_guard_refuses_a_replay_until_the_record_expires() {
        let guard = NonceGuard::memory();
        assert_eq!(
            guard.record("U1", "n1", 100, 160).await.unwrap(),
            NonceOutcome::Fresh
        );
        assert_eq!(
            guard.record("U1", "n1", 120, 180).await.unwrap(),
            NonceOutcome::Replayed
        );
        assert_eq!(
            guard.record("U2", "n1", 120, 180).await.unwrap(),
            NonceOutcome::Fresh
        );
        assert_eq!(
            guard.record("U1", "n1", 161, 221).await.unwrap(),
            NonceOutcome::Fresh
        );
    }
}
