//! Writes the seed tutorial's single-account layout into a directory, for benchmarks and
//! manual runs: `KUBECON.jwt`, its signing key `sk.nk`, the users `chat-access.creds`
//! (the provisioner's) and `chat-creds-request.creds` (the requester's), and a
//! memory-resolver `server.conf`.
//!
//! `cargo run -p integration-tests --example seed_estate -- DIR`

use std::path::PathBuf;

use claims::KeyPair;
use integration_tests::{mint_user, TestOperator};

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or_else(|| anyhow::anyhow!("usage: seed_estate DIR"))?,
    );
    std::fs::create_dir_all(&dir)?;
    let inbox = || {
        vec![
            "_INBOX.>".to_string(),
            "_R_".to_string(),
            "_R_.>".to_string(),
        ]
    };
    let op = TestOperator::new("KO")?;
    let sk = KeyPair::new_account();
    let kubecon = op.account("KUBECON", |a| a.nats.signing_keys.add(sk.public_key()))?;
    let access = mint_user(&sk, &kubecon.public_key(), "chat-access", |u| {
        u.nats.permissions.subscribe.allow = [vec!["chat.req.access".into()], inbox()].concat();
        u.nats.permissions.publish.allow = inbox();
    })?;
    let requester = mint_user(&sk, &kubecon.public_key(), "chat-creds-request", |u| {
        u.nats.permissions.publish.allow = [vec!["chat.req.access".into()], inbox()].concat();
        u.nats.permissions.subscribe.allow = inbox();
    })?;
    std::fs::write(dir.join("KUBECON.jwt"), &kubecon.jwt)?;
    std::fs::write(
        dir.join("server.conf"),
        op.memory_resolver_config(&[&kubecon]),
    )?;
    for (file, text) in [
        ("sk.nk", sk.seed()?),
        ("chat-access.creds", access.creds),
        ("chat-creds-request.creds", requester.creds),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, text)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    println!("seed layout written to {}", dir.display());
    Ok(())
}
