//! A stand-in OpenID Connect issuer for the local demo (`scripts/run-local.sh`), so that
//! the portal can be tried without an identity provider:
//!
//! - `demo_idp setup ESTATE_DIR`: makes the issuer's key (`demo-idp.nk`, mode 0600) once,
//!   writes its JWKS (`jwks.json`) and opens the estate's `policy.toml` to the portal's
//!   callers (`integration_tests::demo_issuer::portal_policy`; done once);
//! - `demo_idp token ESTATE_DIR NAME TENANT [TAG…]`: prints an ID token for NAME in
//!   TENANT, valid for an hour (a tag `role:admin` makes a tenant admin).
//!
//! It signs whatever it is asked to: for a local demo only.

use std::path::{Path, PathBuf};

use integration_tests::demo_issuer::{claims, portal_policy, Issuer};

/// The key id of the demo issuer's key.
const KID: &str = "demo-1";
/// Written into the policy once it was opened to the portal.
const OPENED: &str = "identity.oidc = ";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["setup", dir] => setup(Path::new(dir)),
        ["token", dir, name, tenant, tags @ ..] => {
            let issuer = issuer(Path::new(dir))?;
            println!("{}", issuer.try_sign(&claims(name, tenant, tags, 3_600))?);
            Ok(())
        }
        _ => anyhow::bail!(
            "usage: demo_idp setup ESTATE_DIR | demo_idp token ESTATE_DIR NAME TENANT [TAG...]"
        ),
    }
}

fn key_path(dir: &Path) -> PathBuf {
    dir.join("demo-idp.nk")
}

fn issuer(dir: &Path) -> anyhow::Result<Issuer> {
    let seed = std::fs::read_to_string(key_path(dir)).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (run `demo_idp setup` first)",
            key_path(dir).display()
        )
    })?;
    Issuer::from_seed(seed.trim(), KID)
}

fn setup(dir: &Path) -> anyhow::Result<()> {
    let key = key_path(dir);
    if !key.exists() {
        let seed = claims::KeyPair::new_user().seed()?;
        write_private(&key, &seed)?;
    }
    let issuer = issuer(dir)?;
    std::fs::write(dir.join("jwks.json"), issuer.jwks().to_string())?;
    let policy = dir.join("policy.toml");
    let text = std::fs::read_to_string(&policy)?;
    if !text.contains(OPENED) {
        anyhow::ensure!(
            text.contains("identity.callout = "),
            "{}: the estate has no auth callout (nsc-setup init --callout)",
            policy.display()
        );
        std::fs::write(&policy, portal_policy(&text))?;
    }
    println!(
        "demo issuer ready: {} and {}",
        key.display(),
        dir.join("jwks.json").display()
    );
    Ok(())
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
