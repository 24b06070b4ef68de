//! The replay guard for proofs of key possession: a nonce is accepted once per user key
//! within the proof window.
//!
//! Two stores: in memory (one replica), or a JetStream KV bucket whose `create` is a
//! compare-and-set, so that replicas in one queue group share the guard. Entries outlive
//! the last second a proof can pass the time check (the bucket's max age, or pruning in
//! memory), after which the timestamp check alone refuses a replay.
//!
//! The arithmetic: a proof's `ts` passes while `|now - ts| <= window`, so a proof first
//! seen at `now` (with `ts` up to `now + window`) still passes at `now + 2 × window`,
//! inclusive: [`last_replay_second`]. The memory guard keeps a record through that
//! second; a bucket entry, whose age counts from its creation to the nanosecond while the
//! service reads whole seconds, lives [`bucket_max_age`] = `2 × window + 1` seconds. The
//! window is bounded at load (`config`), so none of this overflows.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_nats::jetstream::{self, kv};

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

/// The last unix second at which a proof first seen at `now` can still pass the time
/// check, with a proof window of `window` seconds: its record must be kept through it.
pub fn last_replay_second(now: i64, window: i64) -> i64 {
    now.saturating_add(window.saturating_mul(2))
}

/// How long a nonce bucket must keep its entries for a proof window of `window` seconds:
/// `2 × window + 1` seconds (see the module docs).
pub fn bucket_max_age(window: i64) -> Duration {
    let secs = window.saturating_mul(2).saturating_add(1);
    Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

impl NonceGuard {
    /// Opens (or creates) the nonce bucket `name` with `replicas` replicas for a proof
    /// window of `window` seconds. An existing bucket that keeps entries for less than
    /// [`bucket_max_age`] (made for a shorter window, or by an older release) has its max
    /// age raised.
    ///
    /// # Errors
    /// When the bucket can be neither opened nor created, or its max age cannot be
    /// raised; the message says what to do.
    pub async fn open_bucket(
        js: &jetstream::Context,
        name: &str,
        replicas: usize,
        placement_tags: &[String],
        window: i64,
    ) -> anyhow::Result<NonceGuard> {
        let need = bucket_max_age(window);
        let spec = registry::kv::BucketSpec {
            name: name.to_owned(),
            replicas,
            placement_tags: placement_tags.to_vec(),
            history: 1,
            max_age: need,
        };
        let store = registry::kv::open_store(js, &spec)
            .await
            .map_err(|e| anyhow::anyhow!("opening the nonce bucket: {e}"))?;
        let mut stream = js
            .get_stream(&store.stream_name)
            .await
            .map_err(|e| anyhow::anyhow!("reading the nonce bucket `{name}`: {e}"))?;
        let mut config = stream
            .info()
            .await
            .map_err(|e| anyhow::anyhow!("reading the nonce bucket `{name}`: {e}"))?
            .config
            .clone();
        // A max age of zero keeps entries forever, which is long enough.
        if !config.max_age.is_zero() && config.max_age < need {
            let old = config.max_age;
            config.max_age = need;
            js.update_stream(&config).await.map_err(|e| {
                anyhow::anyhow!(
                    "the nonce bucket `{name}` keeps entries for {}s, but a proof window of \
                     {window}s needs {}s, and raising it failed: {e}; raise its max age or \
                     delete the bucket",
                    old.as_secs(),
                    need.as_secs()
                )
            })?;
            tracing::info!(bucket = %name, from_secs = old.as_secs(), to_secs = need.as_secs(), "nonce bucket max age raised for the proof window");
        }
        Ok(NonceGuard::Kv(Box::new(store)))
    }

    /// An in-memory guard.
    pub fn memory() -> Self {
        NonceGuard::Memory(Mutex::new(MemoryNonces::default()))
    }

    /// Records `nonce` for `public_key`; the record is kept through second `keep_until`
    /// (inclusive: [`last_replay_second`]). A KV store keeps it for its max age.
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
                    m.seen.retain(|_, until| *until >= now);
                    m.next_prune = now.saturating_add(PRUNE_EVERY_SECS);
                }
                match m.seen.get(&key) {
                    Some(until) if *until >= now => Ok(NonceOutcome::Replayed),
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

    /// A proof first seen at 100 with `ts` = 160 (the latest a 60 s window accepts then)
    /// passes the time check up to 220 inclusive: a replay at exactly 220 must be refused,
    /// and at 221 the time check refuses it.
    #[tokio::test]
    async fn a_replay_at_exactly_first_use_plus_twice_the_window_is_refused() {
        let guard = NonceGuard::memory();
        let (window, first) = (60, 100);
        let keep = last_replay_second(first, window);
        assert_eq!(keep, 220);
        assert_eq!(
            guard.record("U1", "n1", first, keep).await.unwrap(),
            NonceOutcome::Fresh
        );
        let user = nkeys::KeyPair::new_user();
        let nonce = "abcdefghijklmnop";
        let req = crate::wire::CredentialRequest {
            name: "alice".into(),
            public_key: user.public_key(),
            ts: first + window,
            nonce: nonce.into(),
            proof: crate::proof::sign_proof(&user, None, "alice", first + window, nonce).unwrap(),
            tenant: None,
            token: None,
            ttl: None,
            tags: None,
            id_token: None,
            proof_version: None,
        };
        assert!(crate::proof::verify_proof(&req, keep, window).is_ok());
        assert_eq!(
            guard
                .record("U1", "n1", keep, last_replay_second(keep, window))
                .await
                .unwrap(),
            NonceOutcome::Replayed
        );
        assert!(crate::proof::verify_proof(&req, keep + 1, window).is_err());
        // The same edge after a prune at that very second.
        let guard = NonceGuard::memory();
        guard.record("U2", "n", 0, 20).await.unwrap();
        assert_eq!(
            guard.record("U2", "n", 20, 40).await.unwrap(),
            NonceOutcome::Replayed
        );
    }

    #[test]
    fn a_bucket_keeps_entries_one_second_past_twice_the_window() {
        assert_eq!(bucket_max_age(60), Duration::from_secs(121));
        assert_eq!(bucket_max_age(1), Duration::from_secs(3));
        // Saturates instead of wrapping (the window is bounded at load anyway).
        assert!(bucket_max_age(i64::MAX) > Duration::from_secs(1 << 62));
        assert_eq!(last_replay_second(i64::MAX - 1, i64::MAX), i64::MAX);
    }
}
