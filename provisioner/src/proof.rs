//! Proof of key possession: the client signs a canonical string with the seed of the
//! public key it asks credentials for, so nobody can obtain a JWT for a key they do not
//! hold and a captured request cannot be replayed (time window plus single-use nonce).
//!
//! The canonical string is one field per line, in this order, each line `key=value`:
//!
//! ```text
//! nats-provisioner-proof-v1
//! tenant=<tenant, empty when absent>
//! name=<name>
//! public_key=<U… key>
//! ts=<unix seconds>
//! nonce=<nonce>
//! ```
//!
//! The proof is the ed25519 signature over its UTF-8 bytes, base64url without padding.
//! Values may not contain a newline (the nonce and key alphabets have none; names and
//! tenants with one are refused before the proof is checked).

use data_encoding::BASE64URL_NOPAD;
use nkeys::KeyPair;

use crate::wire::CredentialRequest;

/// First line of the canonical string; a new format gets a new version.
pub const PROOF_CONTEXT: &str = "nats-provisioner-proof-v1";

/// Shortest accepted nonce.
pub const MIN_NONCE_LEN: usize = 16;

/// Longest accepted nonce.
pub const MAX_NONCE_LEN: usize = 128;

/// Why a proof was refused. Messages are safe to show the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The nonce is too short, too long or has characters outside `[A-Za-z0-9_-]`.
    #[error(
        "nonce must be {MIN_NONCE_LEN} to {MAX_NONCE_LEN} characters of A-Z, a-z, 0-9, `_` or `-`"
    )]
    Nonce,
    /// `ts` is outside the accepted window around the service's clock.
    #[error("timestamp is {skew} s away from the service clock (at most {window} s allowed)")]
    Stale {
        /// Seconds between `ts` and the service clock.
        skew: i64,
        /// The accepted window.
        window: i64,
    },
    /// The proof is not base64url or is not a signature by `public_key`.
    #[error("proof is not a valid signature by `public_key` over the canonical request")]
    Signature,
    /// The nonce was already used.
    #[error("nonce was already used")]
    Replayed,
}

/// The canonical string the client signs.
pub fn canonical_string(
    tenant: Option<&str>,
    name: &str,
    public_key: &str,
    ts: i64,
    nonce: &str,
) -> String {
    format!(
        "{PROOF_CONTEXT}\ntenant={}\nname={name}\npublic_key={public_key}\nts={ts}\nnonce={nonce}",
        tenant.unwrap_or("")
    )
}

/// Signs the canonical string with the user's key (client side).
///
/// # Errors
/// When `user` holds no seed.
pub fn sign_proof(
    user: &KeyPair,
    tenant: Option<&str>,
    name: &str,
    ts: i64,
    nonce: &str,
) -> Result<String, nkeys::error::Error> {
    let text = canonical_string(tenant, name, &user.public_key(), ts, nonce);
    Ok(BASE64URL_NOPAD.encode(&user.sign(text.as_bytes())?))
}

/// Whether `nonce` has an accepted length and alphabet.
pub fn nonce_is_well_formed(nonce: &str) -> bool {
    (MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks the nonce shape, the time window and the signature (service side). The public
/// key must already have been checked to be a user key. Replay is checked separately,
/// against shared state, after this succeeds.
///
/// # Errors
/// The first [`ProofError`] found.
pub fn verify_proof(req: &CredentialRequest, now: i64, window: i64) -> Result<(), ProofError> {
    if !nonce_is_well_formed(&req.nonce) {
        return Err(ProofError::Nonce);
    }
    let skew = now.saturating_sub(req.ts).saturating_abs();
    if skew > window {
        return Err(ProofError::Stale { skew, window });
    }
    let signature = BASE64URL_NOPAD
        .decode(req.proof.as_bytes())
        .map_err(|_| ProofError::Signature)?;
    let text = canonical_string(
        req.tenant.as_deref(),
        &req.name,
        &req.public_key,
        req.ts,
        &req.nonce,
    );
    let key = KeyPair::from_public_key(&req.public_key).map_err(|_| ProofError::Signature)?;
    key.verify(text.as_bytes(), &signature)
        .map_err(|_| ProofError::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(user: &KeyPair, ts: i64, nonce: &str) -> CredentialRequest {
        CredentialRequest {
            name: "alice".into(),
            public_key: user.public_key(),
            ts,
            nonce: nonce.into(),
            proof: sign_proof(user, Some("acme"), "alice", ts, nonce).unwrap(),
            tenant: Some("acme".into()),
            token: None,
            ttl: None,
            tags: None,
            id_token: None,
        }
    }

    #[test]
    fn a_proof_by_the_key_holder_verifies() {
        let user = KeyPair::new_user();
        let req = request(&user, 1000, "abcdefghijklmnop");
        assert_eq!(verify_proof(&req, 1010, 60), Ok(()));
    }

    #[test]
    fn the_canonical_string_is_pinned() {
        assert_eq!(
            canonical_string(None, "alice", "UKEY", 7, "n"),
            "nats-provisioner-proof-v1\ntenant=\nname=alice\npublic_key=UKEY\nts=7\nnonce=n"
        );
    }

    #[test]
    fn proofs_by_another_key_or_for_other_fields_fail() {
        let user = KeyPair::new_user();
        let other = KeyPair::new_user();
        let mut req = request(&user, 1000, "abcdefghijklmnop");
        req.proof = sign_proof(&other, Some("acme"), "alice", 1000, "abcdefghijklmnop").unwrap();
        assert_eq!(verify_proof(&req, 1000, 60), Err(ProofError::Signature));
        let mut req = request(&user, 1000, "abcdefghijklmnop");
        req.tenant = Some("globex".into());
        assert_eq!(verify_proof(&req, 1000, 60), Err(ProofError::Signature));
        let mut req = request(&user, 1000, "abcdefghijklmnop");
        req.proof = "not base64!".into();
        assert_eq!(verify_proof(&req, 1000, 60), Err(ProofError::Signature));
    }

    #[test]
    fn stale_timestamps_and_bad_nonces_fail() {
        let user = KeyPair::new_user();
        let req = request(&user, 1000, "abcdefghijklmnop");
        assert!(matches!(
            verify_proof(&req, 1061, 60),
            Err(ProofError::Stale { .. })
        ));
        assert!(matches!(
            verify_proof(&req, 939, 60),
            Err(ProofError::Stale { .. })
        ));
        let req = request(&user, 1000, "short");
        assert_eq!(verify_proof(&req, 1000, 60), Err(ProofError::Nonce));
        let req = request(&user, 1000, "has space in it, too long enough");
        assert_eq!(verify_proof(&req, 1000, 60), Err(ProofError::Nonce));
    }
}
