//! A real OpenID provider for one test: `tests/oidc-provider/provider.mjs` (the npm
//! `oidc-provider`, a certified implementation) run by Node as a child process.
//!
//! [`OidcProvider::start`] writes the accounts, the client's redirect URIs and port 0
//! into `<tmp>/config.json` in a fresh [`TempDir`], spawns `node provider.mjs --config
//! <tmp>/config.json` with its stdout and stderr in `<tmp>/provider.out` and
//! `<tmp>/provider.log`, and polls until the script prints `issuer <URL>` (30 s
//! deadline: node loads the provider slowly on a busy machine).
//! The provider has one public client, `portal` ([`CLIENT_ID`]: no secret, PKCE S256
//! required), a login page checking the passwords, no consent page, RP-initiated logout
//! without a confirmation, and ID tokens (RS256, a key made at start) carrying every
//! claim of the account, `sub` being its login. Dropping it kills and reaps the process.
//!
//! Node is `$NODE_BIN`, else `node` on `PATH`; the npm package lives in
//! `<repo>/.tools/node` (`$OIDC_PROVIDER_NODE_MODULES` overrides). Either missing is an
//! error naming `./scripts/install-test-tools.sh`, so a test fails rather than skips.
//!
//! Not here: the portal's side of the login (the `portal` crate) or the browser
//! ([`crate::browser`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use tempfile::TempDir;

/// The client id of the provider's one client, the portal's audience.
pub const CLIENT_ID: &str = "portal";
/// How long the provider may take to listen.
const READY_DEADLINE: Duration = Duration::from_secs(30);
/// How often its output is checked while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// The line prefix announcing the issuer URL.
const ISSUER_LINE: &str = "issuer ";
/// Lines of log shown in errors and on panics.
const TAIL_LINES: usize = 30;
/// What to tell someone without Node or the npm package.
pub const INSTALL_HINT: &str =
    "run ./scripts/install-test-tools.sh from the repository root (installs oidc-provider \
     9.13.3 into .tools/node; needs Node.js 20+ and npm, on Debian: apt-get install nodejs npm)";

/// One account the provider knows.
#[derive(Debug, Clone)]
pub struct Account {
    /// The login typed on the login page; also the ID token's `sub`.
    pub login: String,
    /// The password typed on the login page (test data only).
    pub password: String,
    /// Every claim its ID tokens carry besides `sub`, e.g. `tenant`, `groups`, `name`.
    pub claims: Value,
}

impl Account {
    /// A user of `tenant` with these `groups` (the tenants' tags claim, the admin tag
    /// among them for an admin) and display `name`, as the portal's tenants expect them
    /// (see [`crate::demo_issuer::portal_settings`]).
    pub fn member(login: &str, password: &str, tenant: &str, groups: &[&str], name: &str) -> Self {
        Account {
            login: login.to_owned(),
            password: password.to_owned(),
            claims: json!({"tenant": tenant, "groups": groups, "name": name}),
        }
    }
}

/// How to start an [`OidcProvider`].
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    /// The accounts (at least one).
    pub accounts: Vec<Account>,
    /// The client's registered redirect URIs (at least one).
    pub redirect_uris: Vec<String>,
    /// The client's registered post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// A fixed port; 0 lets the OS choose one.
    pub port: u16,
}

/// A running provider, killed when dropped.
#[derive(Debug)]
pub struct OidcProvider {
    child: Child,
    dir: TempDir,
    issuer: String,
}

impl OidcProvider {
    /// Starts a provider as the options say and waits until it listens.
    ///
    /// # Errors
    /// When Node or the npm package is missing (with the install hint), or the provider
    /// does not come up within the deadline (with its log tail).
    pub fn start(options: &ProviderOptions) -> anyhow::Result<Self> {
        let node = find_node()?;
        let script = repo_root().join("tests/oidc-provider/provider.mjs");
        let dir = tempfile::Builder::new()
            .prefix("oidc-provider-")
            .tempdir()
            .context("creating the provider's temp dir")?;
        let accounts: Vec<Value> = options
            .accounts
            .iter()
            .map(|a| json!({"login": a.login, "password": a.password, "claims": a.claims}))
            .collect();
        let config = json!({
            "port": options.port,
            "client_id": CLIENT_ID,
            "redirect_uris": options.redirect_uris,
            "post_logout_redirect_uris": options.post_logout_redirect_uris,
            "accounts": accounts,
        });
        let config_path = dir.path().join("config.json");
        fs::write(&config_path, config.to_string()).context("writing the provider config")?;
        let stdout = fs::File::create(dir.path().join("provider.out"))
            .context("creating the provider's output file")?;
        let stderr = fs::File::create(dir.path().join("provider.log"))
            .context("creating the provider's log file")?;
        let child = Command::new(&node)
            .arg(&script)
            .arg("--config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("spawning {}; {INSTALL_HINT}", node.display()))?;
        // From here on, dropping `provider` kills the process on every error path.
        let mut provider = OidcProvider {
            child,
            dir,
            issuer: String::new(),
        };
        provider.issuer = provider.wait_for_issuer()?;
        Ok(provider)
    }

    /// The issuer URL, e.g. `http://127.0.0.1:41234` (the ID tokens' `iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The discovery document's `jwks_uri`: the key set the ID tokens verify against.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.issuer)
    }

    /// The authorization endpoint.
    pub fn authorization_url(&self) -> String {
        format!("{}/auth", self.issuer)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// The end-session (RP-initiated logout) endpoint.
    pub fn end_session_url(&self) -> String {
        format!("{}/session/end", self.issuer)
    }

    /// The provider's temp dir, holding `config.json`, `provider.out` and `provider.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last `n` lines of the provider's log (stderr).
    pub fn log_tail(&self, n: usize) -> String {
        let text = fs::read_to_string(self.dir.path().join("provider.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(n);
        lines.get(from..).unwrap_or_default().join("\n")
    }

    fn wait_for_issuer(&mut self) -> anyhow::Result<String> {
        let out = self.dir.path().join("provider.out");
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            let text = fs::read_to_string(&out).unwrap_or_default();
            // A whole line only: the process may be halfway through writing it.
            let issuer = text
                .split_inclusive('\n')
                .filter(|line| line.ends_with('\n'))
                .find_map(|line| line.trim_end().strip_prefix(ISSUER_LINE));
            if let Some(issuer) = issuer {
                return Ok(issuer.to_owned());
            }
            if let Some(status) = self.child.try_wait().context("polling the provider")? {
                bail!(
                    "the OpenID provider exited during start-up ({status}); {INSTALL_HINT}; \
                     log tail:\n{}",
                    self.log_tail(TAIL_LINES)
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "the OpenID provider printed no issuer within {READY_DEADLINE:?}; log tail:\n{}",
                    self.log_tail(TAIL_LINES)
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "OpenID provider {} log tail:\n{}",
                self.issuer,
                self.log_tail(TAIL_LINES)
            );
        }
    }
}

/// The repository's root (the parent of this crate).
fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Node: `$NODE_BIN`, else `node` on `PATH`.
fn find_node() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("NODE_BIN").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        bail!("NODE_BIN {} does not exist; {INSTALL_HINT}", path.display());
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("node"))
        .find(|candidate| candidate.is_file())
        .with_context(|| format!("no node on PATH (and NODE_BIN unset); {INSTALL_HINT}"))
}
