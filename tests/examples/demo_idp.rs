//! A stand-in OpenID Connect issuer for the local demo (`scripts/run-local.sh`), so that
//! the portal can be tried without an identity provider:
//!
//! - `demo_idp setup ESTATE_DIR`: makes the issuer's key (`demo-idp.nk`, mode 0600) once
//!   and writes its JWKS (`jwks.json`) into an estate made by `nsc-setup init --callout
//!   --portal` with this issuer's `--oidc-*` flags (see
//!   `integration_tests::demo_issuer::portal_settings`), which it checks the policy names;
//! - `demo_idp token ESTATE_DIR NAME TENANT [TAG…]`: prints an ID token for NAME in
//!   TENANT, valid for an hour (a tag `role:admin` makes a tenant admin).
//!
//! It signs whatever it is asked to: for a local demo only.

use std::path::{Path, PathBuf};

use integration_tests::demo_issuer::{claims, Issuer, AUDIENCE, ISSUER, JWKS_FILE};

/// The key id of the demo issuer's key.
const KID: &str = "demo-1";

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
    // The estate's tenants must already trust this issuer: nsc-setup wrote that.
    let policy = dir.join("policy.toml");
    let text = std::fs::read_to_string(&policy)?;
    let trusted = format!("identity.oidc = {{ issuer = \"{ISSUER}\"");
    anyhow::ensure!(
        text.lines().any(|line| line.starts_with(&trusted)),
        "{}: no tenant trusts the demo issuer; make the estate with nsc-setup init --callout \
         --portal --oidc-issuer {ISSUER} --oidc-audience {AUDIENCE} --oidc-jwks-file {JWKS_FILE} \
         --oidc-tenant-claim tenant --oidc-tags-claim groups",
        policy.display()
    );
    let key = key_path(dir);
    if !key.exists() {
        let seed = claims::KeyPair::new_user().seed()?;
        write_private(&key, &seed)?;
    }
    let issuer = issuer(dir)?;
    std::fs::write(dir.join(JWKS_FILE), issuer.jwks().to_string())?;
    println!(
        "demo issuer ready: {} and {}",
        key.display(),
        dir.join(JWKS_FILE).display()
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
