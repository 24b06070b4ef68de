//! `provisioner proof`: the v2 proof of possession for a key the person keeps, to paste
//! into the web portal's credential form (or any client that sends the request for
//! them). The seed is read from a file (an nkey seed file or a creds file), used to sign
//! and never printed; the output names only the public key.
//!
//! The portal sends the request with the person's ID token, which the person's shell
//! never sees: the proof binds the token by its SHA-256, which the portal's page shows
//! (`--id-token-sha256`). The printed proof must reach the service within its proof
//! window (60 s by default), so paste it right away.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::exit::Outcome;
use crate::proof::{prove_with_id_token_digest, secret_digest};
use crate::wire::CredentialRequest;

/// Arguments of `provisioner proof`.
#[derive(Debug, Args)]
pub struct ProofArgs {
    /// The file holding your user seed (`SU…`): an nkey seed file or a creds file.
    #[arg(long, value_name = "FILE")]
    pub seed_file: PathBuf,
    /// The user name the credential is for.
    #[arg(long)]
    pub name: String,
    /// The lifetime to ask for, in seconds (the policy caps it).
    #[arg(long)]
    pub ttl: Option<u64>,
    /// A tag to ask for (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// The SHA-256 (hex) of the ID token the request will carry, as the portal shows it.
    #[arg(long, value_name = "HEX", conflicts_with = "id_token_file")]
    pub id_token_sha256: Option<String>,
    /// A file holding the ID token the request will carry (its digest is used).
    #[arg(long, value_name = "FILE")]
    pub id_token_file: Option<PathBuf>,
}

/// What is printed: the request's fields the proof binds, and the proof.
#[derive(Debug, Serialize)]
struct ProofOutput {
    name: String,
    public_key: String,
    ts: i64,
    nonce: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    proof: String,
    proof_version: u8,
}

fn seed_of(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.starts_with("SU") && w.len() == 58)
        .map(str::to_owned)
}

fn digest_of(args: &ProofArgs) -> anyhow::Result<String> {
    if let Some(hex) = &args.id_token_sha256 {
        let hex = hex.trim().to_ascii_lowercase();
        anyhow::ensure!(
            hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()),
            "--id-token-sha256 is 64 hex digits"
        );
        return Ok(hex);
    }
    match &args.id_token_file {
        Some(path) => {
            let token = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Ok(secret_digest(Some(token.trim())))
        }
        None => Ok(String::new()),
    }
}

/// Runs `proof`.
///
/// # Errors
/// When the seed file cannot be read or holds no user seed, or a digest is malformed.
pub fn run(args: &ProofArgs) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(&args.seed_file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.seed_file.display()))?;
    let seed = seed_of(&text)
        .ok_or_else(|| anyhow::anyhow!("{} holds no user seed (SU…)", args.seed_file.display()))?;
    let user = claims::KeyPair::from_seed(&seed)
        .map_err(|_| anyhow::anyhow!("{} holds no valid user seed", args.seed_file.display()))?;
    let digest = digest_of(args)?;
    let mut request = CredentialRequest {
        name: args.name.clone(),
        public_key: String::new(),
        ts: crate::service::unix_now(),
        nonce: nuid::next().to_string(),
        proof: String::new(),
        tenant: None,
        token: None,
        ttl: args.ttl,
        tags: (!args.tags.is_empty()).then(|| args.tags.clone()),
        id_token: None,
        proof_version: None,
    };
    prove_with_id_token_digest(&user, &mut request, &digest)?;
    let output = ProofOutput {
        name: request.name,
        public_key: request.public_key,
        ts: request.ts,
        nonce: request.nonce,
        ttl: request.ttl,
        tags: args.tags.clone(),
        proof: request.proof,
        proof_version: 2,
    };
    println!("{}", serde_json::to_string(&output)?);
    eprintln!("paste it within a minute: the service refuses older proofs");
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_found_in_a_seed_or_creds_file() {
        let key = claims::KeyPair::new_user();
        let seed = key.seed().unwrap();
        assert_eq!(
            seed_of(&format!("{seed}\n")).as_deref(),
            Some(seed.as_str())
        );
        let creds = claims::format_creds("eyJ.x.y", &seed);
        assert_eq!(seed_of(&creds).as_deref(), Some(seed.as_str()));
        assert_eq!(seed_of("SAABC nothing"), None);
    }

    #[test]
    fn a_proof_over_the_digest_verifies_as_one_over_the_token() {
        let key = claims::KeyPair::new_user();
        let mut by_digest = CredentialRequest {
            name: String::from("alice"),
            public_key: String::new(),
            ts: 100,
            nonce: String::from("n1"),
            proof: String::new(),
            tenant: None,
            token: None,
            ttl: Some(60),
            tags: None,
            id_token: None,
            proof_version: None,
        };
        let mut by_token = by_digest.clone();
        by_token.id_token = Some(String::from("eyJ.token"));
        prove_with_id_token_digest(&key, &mut by_digest, &secret_digest(Some("eyJ.token")))
            .unwrap();
        crate::proof::prove(&key, &mut by_token).unwrap();
        assert_eq!(by_digest.proof, by_token.proof);
    }
}
