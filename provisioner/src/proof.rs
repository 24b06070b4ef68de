//! Proof of key possession: the client signs a canonical string with the seed of the
//! public key it asks credentials for, so nobody can obtain a JWT for a key they do not
//! hold, a captured request cannot be replayed (time window plus single-use nonce), and
//! (v2) nobody who sees the request in flight can change what it asks for.
//!
//! The canonical string is one field per line, in this order, each line `key=value`,
//! `\n` between lines and none after the last. Version 2 (`"proof_version": 2` in the
//! request) binds every field that says what is asked for:
//!
//! ```text
//! nats-provisioner-proof-v2
//! tenant=<tenant, empty when absent>
//! name=<name>
//! public_key=<U… key>
//! ts=<unix seconds>
//! nonce=<nonce>
//! ttl=<ttl in decimal, empty when absent>
//! token_sha256=<lowercase hex SHA-256 of the token's UTF-8, empty when absent>
//! id_token_sha256=<lowercase hex SHA-256 of the ID token's UTF-8, empty when absent>
//! tags=<the tags sorted by their UTF-8 bytes, each `<byte length>:<tag>`, joined by `,`;
//!      empty when absent or none>
//! ```
//!
//! Version 1 (no `proof_version`, or 1) is the first six lines with
//! `nats-provisioner-proof-v1` first: it binds neither the token, the ID token, the TTL
//! nor the tags, and counts only where the tenant's `identity.proof.accept_v1` says so
//! (the policy decides; this module only says which version verified).
//!
//! The proof is the ed25519 signature over the string's UTF-8 bytes, base64url without
//! padding. Lines cannot run into each other: the nonce and key alphabets have no
//! newline, names and tenants with a control character are refused before the proof is
//! checked, the secrets enter only as hashes, and each tag carries its length.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use nkeys::KeyPair;
use sha2::{Digest, Sha256};

use crate::wire::CredentialRequest;

/// First line of the v1 canonical string; a new format gets a new version.
pub const PROOF_CONTEXT: &str = "nats-provisioner-proof-v1";

/// First line of the v2 canonical string.
pub const PROOF_CONTEXT_V2: &str = "nats-provisioner-proof-v2";

/// Which canonical string a proof signs, as the request's `proof_version` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofVersion {
    /// `nats-provisioner-proof-v1`: no `proof_version`, or 1.
    V1,
    /// `nats-provisioner-proof-v2`: `proof_version` 2.
    V2,
}

impl ProofVersion {
    /// The version a request declares.
    ///
    /// # Errors
    /// [`ProofError::Version`] for a `proof_version` other than 1 or 2.
    pub fn of(req: &CredentialRequest) -> Result<ProofVersion, ProofError> {
        match req.proof_version {
            None | Some(1) => Ok(ProofVersion::V1),
            Some(2) => Ok(ProofVersion::V2),
            Some(_) => Err(ProofError::Version),
        }
    }
}

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
    /// `proof_version` is neither 1 nor 2.
    #[error("`proof_version` must be 2 (or 1, where the tenant still accepts v1 proofs)")]
    Version,
}

/// The v1 canonical string.
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

/// The lowercase hex SHA-256 of a secret the v2 proof binds (empty without one).
pub fn secret_digest(secret: Option<&str>) -> String {
    secret
        .map(|s| HEXLOWER.encode(&Sha256::digest(s.as_bytes())))
        .unwrap_or_default()
}

/// The v2 canonical string of `req` (its `proof` and `proof_version` aside).
pub fn canonical_string_v2(req: &CredentialRequest) -> String {
    canonical_string_v2_with(req, &secret_digest(req.id_token.as_deref()))
}

/// [`canonical_string_v2`] with the ID token given by its digest: a client that never
/// holds the token (the portal keeps it in the person's session and shows its digest)
/// still binds its proof to it.
pub fn canonical_string_v2_with(req: &CredentialRequest, id_token_sha256: &str) -> String {
    let digest = |secret: Option<&str>| secret_digest(secret);
    let mut tags: Vec<&str> = req.tags.iter().flatten().map(String::as_str).collect();
    tags.sort_unstable();
    let tags: Vec<String> = tags.iter().map(|t| format!("{}:{t}", t.len())).collect();
    format!(
        "{PROOF_CONTEXT_V2}\ntenant={}\nname={}\npublic_key={}\nts={}\nnonce={}\nttl={}\n\
         token_sha256={}\nid_token_sha256={}\ntags={}",
        req.tenant.as_deref().unwrap_or(""),
        req.name,
        req.public_key,
        req.ts,
        req.nonce,
        req.ttl.map(|t| t.to_string()).unwrap_or_default(),
        digest(req.token.as_deref()),
        id_token_sha256,
        tags.join(","),
    )
}

/// Proves `req` with `user` (client side): sets its public key to `user`'s, its
/// `proof_version` to 2 and its `proof` to the signature over
/// [`canonical_string_v2`]. Every other field must be final: changing one afterwards
/// makes the proof fail.
///
/// # Errors
/// When `user` holds no seed.
pub fn prove(user: &KeyPair, req: &mut CredentialRequest) -> Result<(), nkeys::error::Error> {
    req.public_key = user.public_key();
    req.proof_version = Some(2);
    let text = canonical_string_v2(req);
    req.proof = BASE64URL_NOPAD.encode(&user.sign(text.as_bytes())?);
    Ok(())
}

/// [`prove`] for an ID token known only by its digest (see
/// [`canonical_string_v2_with`]); `req.id_token` stays unset.
///
/// # Errors
/// When `user` holds no seed.
pub fn prove_with_id_token_digest(
    user: &KeyPair,
    req: &mut CredentialRequest,
    id_token_sha256: &str,
) -> Result<(), nkeys::error::Error> {
    req.public_key = user.public_key();
    req.proof_version = Some(2);
    let text = canonical_string_v2_with(req, id_token_sha256);
    req.proof = BASE64URL_NOPAD.encode(&user.sign(text.as_bytes())?);
    Ok(())
}

/// Signs the v1 canonical string with the user's key (a v1 client; new clients
/// [`prove`] with v2).
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

/// Checks the nonce shape, the time window and the signature over the canonical string
/// of the version the request declares (service side), and says which version that
/// was. The public key must already have been checked to be a user key. Replay is
/// checked separately, against shared state, after this succeeds.
///
/// # Errors
/// The first [`ProofError`] found.
pub fn verify_proof(
    req: &CredentialRequest,
    now: i64,
    window: i64,
) -> Result<ProofVersion, ProofError> {
    let version = ProofVersion::of(req)?;
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
    let text = match version {
        ProofVersion::V1 => canonical_string(
            req.tenant.as_deref(),
            &req.name,
            &req.public_key,
            req.ts,
            &req.nonce,
        ),
        ProofVersion::V2 => canonical_string_v2(req),
    };
    let key = KeyPair::from_public_key(&req.public_key).map_err(|_| ProofError::Signature)?;
    key.verify(text.as_bytes(), &signature)
        .map_err(|_| ProofError::Signature)?;
    Ok(version)
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
            proof_version: None,
        }
    }

    /// A v2 request asking for everything a request can ask for, proven by `user`.
    fn request_v2(user: &KeyPair) -> CredentialRequest {
        let mut req = CredentialRequest {
            name: "alice".into(),
            public_key: String::new(),
            ts: 1000,
            nonce: "abcdefghijklmnop".into(),
            proof: String::new(),
            tenant: Some("acme".into()),
            token: Some("inv_TOKEN".into()),
            ttl: Some(600),
            tags: Some(vec!["team:red".into(), "site:x".into()]),
            id_token: Some("eyJ.id.token".into()),
            proof_version: None,
        };
        prove(user, &mut req).unwrap();
        req
    }

    #[test]
    fn a_proof_by_the_key_holder_verifies() {
        let user = KeyPair::new_user();
        let req = request(&user, 1000, "abcdefghijklmnop");
        assert_eq!(verify_proof(&req, 1010, 60), Ok(ProofVersion::V1));
        let req = request_v2(&user);
        assert_eq!(req.proof_version, Some(2));
        assert_eq!(verify_proof(&req, 1010, 60), Ok(ProofVersion::V2));
    }

    #[test]
    fn the_v2_string_is_pinned_and_unambiguous() {
        let mut req = request(&KeyPair::new_user(), 7, "n");
        req.public_key = "UKEY".into();
        req.tenant = None;
        assert_eq!(
            canonical_string_v2(&req),
            "nats-provisioner-proof-v2\ntenant=\nname=alice\npublic_key=UKEY\nts=7\nnonce=n\n\
             ttl=\ntoken_sha256=\nid_token_sha256=\ntags="
        );
        req.tenant = Some("acme".into());
        req.ttl = Some(60);
        req.token = Some(String::new());
        req.id_token = Some("abc".into());
        req.tags = Some(vec!["team:x".into(), "a:b".into(), "é:1".into()]);
        assert_eq!(
            canonical_string_v2(&req),
            "nats-provisioner-proof-v2\ntenant=acme\nname=alice\npublic_key=UKEY\nts=7\nnonce=n\n\
             ttl=60\n\
             token_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             id_token_sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n\
             tags=3:a:b,6:team:x,4:é:1"
        );
        // Absent and empty tag lists ask for the same; the order of the tags does not
        // matter; the length of each tag keeps two lists from signing the same text.
        let text = |tags: Option<Vec<&str>>| {
            let mut r = req.clone();
            r.tags = tags.map(|t| t.into_iter().map(String::from).collect());
            canonical_string_v2(&r)
        };
        assert_eq!(text(None), text(Some(vec![])));
        assert_eq!(text(Some(vec!["b", "a"])), text(Some(vec!["a", "b"])));
        assert_ne!(text(Some(vec!["a,1:b"])), text(Some(vec!["a", "b"])));
        assert_ne!(text(Some(vec!["a"])), text(Some(vec!["a", "a"])));
    }

    #[test]
    fn a_v2_proof_binds_what_the_request_asks_for() {
        let user = KeyPair::new_user();
        type Edit = fn(&mut CredentialRequest);
        let edits: [(&str, Edit); 11] = [
            ("ttl", |r| r.ttl = Some(86_400)),
            ("ttl dropped", |r| r.ttl = None),
            ("tag added", |r| {
                r.tags
                    .get_or_insert_with(Vec::new)
                    .push("role:admin".into())
            }),
            ("tags dropped", |r| r.tags = None),
            ("token", |r| r.token = Some("inv_OTHER".into())),
            ("token dropped", |r| r.token = None),
            ("id_token", |r| r.id_token = Some("eyJ.other".into())),
            ("tenant", |r| r.tenant = Some("globex".into())),
            ("name", |r| r.name = "mallory".into()),
            ("nonce", |r| r.nonce = "ponmlkjihgfedcba".into()),
            ("downgraded to v1", |r| r.proof_version = None),
        ];
        for (what, edit) in edits {
            let mut req = request_v2(&user);
            edit(&mut req);
            assert_eq!(
                verify_proof(&req, 1000, 60),
                Err(ProofError::Signature),
                "{what}"
            );
        }
        let mut req = request_v2(&user);
        req.tags = Some(vec!["site:x".into(), "team:red".into()]);
        assert_eq!(
            verify_proof(&req, 1000, 60),
            Ok(ProofVersion::V2),
            "reordered"
        );
        req.proof_version = Some(3);
        assert_eq!(verify_proof(&req, 1000, 60), Err(ProofError::Version));
        // A v1 proof does not bind the fields v2 adds: the policy decides whether it counts.
        let mut v1 = request(&user, 1000, "abcdefghijklmnop");
        v1.ttl = Some(86_400);
        assert_eq!(verify_proof(&v1, 1000, 60), Ok(ProofVersion::V1));
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
        req.proof_version = Some(2);
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
