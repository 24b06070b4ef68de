//! The `[login]` table of `portal.toml`: how people log in to the web pages (OpenID
//! Connect authorization code flow with PKCE) and how their session cookie is sealed.
//! Without the table the portal serves the API only.
//!
//! ```toml
//! [login]
//! issuer = "https://idp.example.com"        # an issuer the policy's tenants trust
//! client_id = "portal"
//! client_secret_file = "client-secret"      # optional: a public client uses PKCE alone
//! public_url = "https://portal.example.com" # the portal's origin as browsers reach it
//! session_key_file = "session.key"          # optional: 64 random bytes or more
//! scopes = ["openid", "profile"]            # optional
//! services = ["storage"]                    # the provisioning services the pages offer
//! ```
//!
//! Without `session_key_file` the key is made at start-up: sessions then end when the
//! process does and are not shared between replicas.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::checks::invalid;
use super::ConfigError;

/// The least bytes of a session key file (the cookie crate's master key length).
pub const SESSION_KEY_BYTES: usize = 64;
/// The largest session key or client secret file read.
const MAX_SECRET_FILE_BYTES: u64 = 4_096;

/// The `[login]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFile {
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret_file: Option<PathBuf>,
    public_url: Option<String>,
    session_key_file: Option<PathBuf>,
    scopes: Option<Vec<String>>,
    services: Option<Vec<String>>,
}

/// The checked login settings.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginConfig {
    /// The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// The portal's client id at the provider.
    pub client_id: String,
    /// The client secret, for a confidential client. Secret.
    pub client_secret: Option<String>,
    /// The portal's origin, without a trailing slash (`https://portal.example.com`).
    pub public_url: String,
    /// The key that seals session cookies; `None`: made at start-up. Secret.
    pub session_key: Option<Vec<u8>>,
    /// The scopes asked for (`openid` always among them).
    pub scopes: Vec<String>,
    /// Whether cookies get `Secure` (the public URL is HTTPS, or the portal serves TLS).
    pub secure_cookies: bool,
    /// The provisioning services the resource pages ask (each person sees the sites
    /// and types of those their permissions reach).
    pub services: Vec<String>,
}

impl std::fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl LoginConfig {
    /// Where the provider sends people back.
    pub fn redirect_url(&self) -> String {
        format!("{}/login/callback", self.public_url)
    }
}

impl LoginFile {
    /// Checks the table; `relative` resolves paths against the config file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad `login.*` field.
    pub fn resolve(
        self,
        relative: &dyn Fn(PathBuf) -> PathBuf,
        serves_tls: bool,
    ) -> Result<LoginConfig, ConfigError> {
        let issuer = self
            .issuer
            .ok_or_else(|| invalid("login.issuer", "required: the OpenID provider's issuer URL"))?;
        check_http_url("login.issuer", &issuer)?;
        let client_id = self
            .client_id
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| invalid("login.client_id", "required: the portal's client id"))?;
        let public_url = self
            .public_url
            .ok_or_else(|| invalid("login.public_url", "required: the portal's origin"))?;
        check_http_url("login.public_url", &public_url)?;
        let public_url = public_url.trim_end_matches('/').to_owned();
        if public_url.matches('/').count() > 2 {
            return Err(invalid(
                "login.public_url",
                "an origin only (`https://host[:port]`), without a path",
            ));
        }
        let client_secret = self
            .client_secret_file
            .map(|p| read_secret("login.client_secret_file", &relative(p)))
            .transpose()?
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned());
        let session_key = self
            .session_key_file
            .map(|p| read_secret("login.session_key_file", &relative(p)))
            .transpose()?;
        if let Some(key) = &session_key {
            if key.len() < SESSION_KEY_BYTES {
                return Err(invalid(
                    "login.session_key_file",
                    format!(
                        "holds {} bytes; at least {SESSION_KEY_BYTES} are needed",
                        key.len()
                    ),
                ));
            }
        }
        let mut scopes = self.scopes.unwrap_or_default();
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, String::from("openid"));
        }
        if let Some(bad) = scopes
            .iter()
            .find(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_graphic()))
        {
            return Err(invalid("login.scopes", format!("`{bad}` is not a scope")));
        }
        let services = self.services.unwrap_or_default();
        if let Some(bad) = services.iter().find(|s| {
            s.is_empty()
                || s.len() > 64
                || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }) {
            return Err(invalid(
                "login.services",
                format!("`{bad}` is not a service name"),
            ));
        }
        Ok(LoginConfig {
            services,
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            secure_cookies: serves_tls || public_url.starts_with("https://"),
            public_url,
            session_key,
            scopes,
        })
    }
}

fn check_http_url(field: &'static str, url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(()),
        _ => Err(invalid(field, format!("`{url}` is not an http(s) URL"))),
    }
}

fn read_secret(field: &'static str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    let meta =
        std::fs::metadata(path).map_err(|e| invalid(field, format!("{}: {e}", path.display())))?;
    if meta.len() > MAX_SECRET_FILE_BYTES {
        return Err(invalid(field, format!("{} is too large", path.display())));
    }
    std::fs::read(path).map_err(|e| invalid(field, format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> LoginFile {
        toml::from_str(text).unwrap()
    }

    fn same(p: PathBuf) -> PathBuf {
        p
    }

    #[test]
    fn a_minimal_table_gets_openid_and_plain_cookies_over_http() {
        let config = file(
            "issuer = \"http://127.0.0.1:9400/\"\nclient_id = \"portal\"\n\
             public_url = \"http://127.0.0.1:8080/\"\n",
        )
        .resolve(&same, false)
        .unwrap();
        assert_eq!(config.issuer, "http://127.0.0.1:9400");
        assert_eq!(
            config.redirect_url(),
            "http://127.0.0.1:8080/login/callback"
        );
        assert_eq!(config.scopes, ["openid"]);
        assert!(!config.secure_cookies);
        assert!(config.session_key.is_none());
        assert!(
            file("issuer = \"http://i\"\nclient_id = \"p\"\npublic_url = \"https://p\"\n")
                .resolve(&same, false)
                .unwrap()
                .secure_cookies
        );
    }

    #[test]
    fn bad_tables_name_their_field() {
        let field = |text: &str| match file(text).resolve(&same, false).unwrap_err() {
            ConfigError::Invalid { field, .. } => field,
            other => panic!("{other}"),
        };
        assert_eq!(
            field("client_id = \"p\"\npublic_url = \"http://p\""),
            "login.issuer"
        );
        assert_eq!(field("issuer = \"ftp://i\""), "login.issuer");
        assert_eq!(
            field("issuer = \"http://i\"\npublic_url = \"http://p\""),
            "login.client_id"
        );
        assert_eq!(
            field("issuer = \"http://i\"\nclient_id = \"p\"\npublic_url = \"http://p/portal\""),
            "login.public_url"
        );
        assert_eq!(
            field(
                "issuer = \"http://i\"\nclient_id = \"p\"\npublic_url = \"http://p\"\n\
                 session_key_file = \"/nonexistent/key\""
            ),
            "login.session_key_file"
        );
        assert!(toml::from_str::<LoginFile>("isuer = \"x\"").is_err());
    }

    #[test]
    fn a_short_session_key_is_refused_and_a_long_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("short"), [7u8; 32]).unwrap();
        std::fs::write(dir.path().join("long"), [7u8; 64]).unwrap();
        let base = dir.path().to_path_buf();
        let relative = move |p: PathBuf| base.join(p);
        let with = |key: &str| {
            file(&format!(
                "issuer = \"http://i\"\nclient_id = \"p\"\npublic_url = \"http://p\"\n\
                 session_key_file = \"{key}\""
            ))
            .resolve(&relative, false)
        };
        assert!(with("short")
            .unwrap_err()
            .to_string()
            .contains("at least 64"));
        assert_eq!(with("long").unwrap().session_key.unwrap().len(), 64);
        assert!(!format!("{:?}", with("long").unwrap()).contains("7, 7"));
    }
}
