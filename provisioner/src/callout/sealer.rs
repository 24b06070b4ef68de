//! Opening the server's sealed callout requests and sealing the responses to it, with the
//! box of each server xkey kept.
//!
//! A sealed payload is NaCl box (X25519, XSalsa20-Poly1305) between the server's xkey and
//! ours, framed as `xkv1` ‖ 24-byte nonce ‖ box, the format `nkeys::XKey::seal` and the
//! Go `nkeys` write. `XKey::open` and `XKey::seal` agree on the shared key afresh on every
//! call (an X25519 scalar multiplication, about 40 µs on the 2-core development machine;
//! two per callout, a quarter of the responder's work). A server keeps its xkey for as
//! long as it runs, so the box of each server xkey is computed once and kept, at most
//! [`MAX_SERVERS`] of them (past that the kept ones are dropped and computed again).
//!
//! The output is byte for byte what `XKey::seal` would write with the same nonce, and the
//! tests pin that against `nkeys` both ways.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crypto_box::aead::{Aead as _, AeadCore as _, OsRng};
use crypto_box::{PublicKey, SalsaBox, SecretKey};
use nkeys::XKey;
use thiserror::Error;

/// The version prefix of a sealed payload.
const XKEY_VERSION_V1: &[u8] = b"xkv1";
/// The length of a box nonce.
const NONCE_LEN: usize = 24;
/// The most server xkeys whose box is kept.
pub const MAX_SERVERS: usize = 256;

/// Why a payload could not be opened or sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SealError {
    /// The payload is not a sealed `xkv1` payload, or does not open with the keys given.
    #[error("the payload does not open")]
    Open,
    /// Our xkey has no seed, or the other side's key is not a curve key.
    #[error("the xkey cannot seal or open")]
    Key,
    /// Encryption failed.
    #[error("sealing failed")]
    Seal,
}

/// Our xkey and the box shared with each server xkey seen.
pub struct Sealer {
    xkey: XKey,
    secret: SecretKey,
    boxes: Mutex<HashMap<String, Arc<SalsaBox>>>,
}

impl Sealer {
    /// A sealer for our xkey, which must hold its seed.
    ///
    /// # Errors
    /// [`SealError::Key`] for an xkey without its seed.
    pub fn new(xkey: XKey) -> Result<Self, SealError> {
        let seed = xkey.seed().map_err(|_| SealError::Key)?;
        let (_, bytes) = nkeys::decode_seed(&seed).map_err(|_| SealError::Key)?;
        Ok(Sealer {
            xkey,
            secret: SecretKey::from_bytes(bytes),
            boxes: Mutex::new(HashMap::new()),
        })
    }

    /// Our xkey.
    pub fn xkey(&self) -> &XKey {
        &self.xkey
    }

    /// Opens `payload`, sealed by `server` to our xkey.
    ///
    /// # Errors
    /// [`SealError::Open`] for a payload that is not sealed to us by `server`.
    pub fn open(&self, payload: &[u8], server: &XKey) -> Result<Vec<u8>, SealError> {
        let sealed = payload
            .strip_prefix(XKEY_VERSION_V1)
            .filter(|rest| rest.len() > NONCE_LEN)
            .ok_or(SealError::Open)?;
        let (nonce, boxed) = sealed.split_at(NONCE_LEN);
        self.shared_with(server)?
            .decrypt(nonce.into(), boxed)
            .map_err(|_| SealError::Open)
    }

    /// Seals `payload` from our xkey to `server`, with a fresh random nonce.
    ///
    /// # Errors
    /// [`SealError::Key`] for a server key that is not a curve key.
    pub fn seal(&self, payload: &[u8], server: &XKey) -> Result<Vec<u8>, SealError> {
        let nonce = SalsaBox::generate_nonce(&mut OsRng);
        let boxed = self
            .shared_with(server)?
            .encrypt(&nonce, payload)
            .map_err(|_| SealError::Seal)?;
        let mut out = Vec::with_capacity(XKEY_VERSION_V1.len() + NONCE_LEN + boxed.len());
        out.extend_from_slice(XKEY_VERSION_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&boxed);
        Ok(out)
    }

    /// The box shared with `server`: the kept one, or a new one kept from now on. The
    /// lock is held only to look up and to insert, never while computing.
    fn shared_with(&self, server: &XKey) -> Result<Arc<SalsaBox>, SealError> {
        let key = server.public_key();
        let kept = match self.boxes.lock() {
            Ok(boxes) => boxes.get(&key).cloned(),
            Err(poisoned) => poisoned.into_inner().get(&key).cloned(),
        };
        if let Some(kept) = kept {
            return Ok(kept);
        }
        let (prefix, bytes) = nkeys::from_public_key(&key).map_err(|_| SealError::Key)?;
        if nkeys::KeyPairType::from(prefix) != nkeys::KeyPairType::Curve {
            return Err(SealError::Key);
        }
        let shared = Arc::new(SalsaBox::new(&PublicKey::from(bytes), &self.secret));
        let mut boxes = match self.boxes.lock() {
            Ok(boxes) => boxes,
            Err(poisoned) => poisoned.into_inner(),
        };
        if boxes.len() >= MAX_SERVERS {
            boxes.clear();
        }
        boxes.insert(key, Arc::clone(&shared));
        Ok(shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_it_seals_nkeys_opens_and_what_nkeys_seals_it_opens() {
        let ours = XKey::new();
        let server = XKey::new();
        let sealer = Sealer::new(ours.clone()).unwrap();
        let from_server = server.seal(b"request", &ours).unwrap();
        // Twice: once computing the box, once with the kept one.
        for _ in 0..2 {
            assert_eq!(sealer.open(&from_server, &server).unwrap(), b"request");
            let to_server = sealer.seal(b"response", &server).unwrap();
            assert_eq!(server.open(&to_server, &ours).unwrap(), b"response");
        }
    }

    #[test]
    fn the_output_is_what_nkeys_writes_with_the_same_nonce() {
        let ours = XKey::new();
        let server = XKey::new();
        let sealer = Sealer::new(ours.clone()).unwrap();
        let sealed = sealer.seal(b"same bytes", &server).unwrap();
        let nonce = &sealed[XKEY_VERSION_V1.len()..XKEY_VERSION_V1.len() + NONCE_LEN];
        let theirs = ours
            .seal_with_nonce(
                b"same bytes",
                &server,
                *crypto_box::Nonce::from_slice(nonce),
            )
            .unwrap();
        assert_eq!(sealed, theirs);
    }

    #[test]
    fn a_payload_from_another_server_or_tampered_does_not_open() {
        let ours = XKey::new();
        let (server, liar) = (XKey::new(), XKey::new());
        let sealer = Sealer::new(ours.clone()).unwrap();
        let sealed = liar.seal(b"request", &ours).unwrap();
        assert_eq!(sealer.open(&sealed, &server), Err(SealError::Open));
        let mut tampered = server.seal(b"request", &ours).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(sealer.open(&tampered, &server), Err(SealError::Open));
        assert_eq!(sealer.open(b"xkv1short", &server), Err(SealError::Open));
        assert_eq!(sealer.open(b"plain text", &server), Err(SealError::Open));
    }

    #[test]
    fn a_public_only_xkey_cannot_seal() {
        let public = XKey::from_public_key(&XKey::new().public_key()).unwrap();
        assert!(matches!(Sealer::new(public), Err(SealError::Key)));
    }

    #[test]
    fn kept_boxes_stay_bounded() {
        let ours = XKey::new();
        let sealer = Sealer::new(ours.clone()).unwrap();
        for _ in 0..MAX_SERVERS + 3 {
            let server = XKey::new();
            let sealed = server.seal(b"x", &ours).unwrap();
            assert_eq!(sealer.open(&sealed, &server).unwrap(), b"x");
        }
        assert!(sealer.boxes.lock().unwrap().len() <= MAX_SERVERS);
    }
}
