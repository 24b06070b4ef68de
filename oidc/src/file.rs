//! JWKS files (`identity.oidc.jwks_file`): read at start and on every policy reload, then
//! parsed by `jwks`. The file-reading half of the edge; `remote` is the URL half.
//!
//! The reader is this crate's own so that a caller without the provisioner's key
//! handling (the portal, say) can load a policy's JWKS files; its error text is the one
//! the provisioner uses for every file it reads (``reading `PATH`: WHY``).

use std::path::Path;

use crate::jwks::KeyRing;

/// Reads a whole text file.
///
/// # Errors
/// ``reading `PATH`: WHY``.
pub fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading `{}`: {e}", path.display()))
}

impl KeyRing {
    /// Reads and parses the JWKS file at `path`.
    ///
    /// # Errors
    /// A one-line reason (the file, and why) when the file cannot be read, is too large,
    /// is not a JWKS, or holds no usable key.
    pub fn load(path: &Path) -> Result<KeyRing, String> {
        let text = read_file(path)?;
        KeyRing::parse(&text).map_err(|why| format!("JWKS `{}`: {why}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"ed"}]}"#;

    #[test]
    fn a_jwks_file_loads_and_its_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwks.json");
        std::fs::write(&path, ED).unwrap();
        assert_eq!(KeyRing::load(&path).unwrap().keys.len(), 1);

        let missing = dir.path().join("missing.json");
        let err = KeyRing::load(&missing).unwrap_err();
        assert!(
            err.starts_with(&format!("reading `{}`: ", missing.display())),
            "{err}"
        );

        std::fs::write(&path, "{\"keys\":[]}").unwrap();
        let err = KeyRing::load(&path).unwrap_err();
        assert_eq!(
            err,
            format!("JWKS `{}`: no usable signature key", path.display())
        );
    }
}
