//! The product's own estate for end-to-end tests: `nsc-setup init` into a temp dir, a
//! real nats-server started from the `server.conf` it wrote, and `provisioner serve`
//! started from the `provisioner.toml` it wrote.
//!
//! Not here: what the product does with them (the suites assert that).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use claims::{KeyPair, UserClaims};
use nsc_setup::{InitOptions, ResolverKind, ServerSettings, Written};

use crate::estate::unix_now;
use crate::process::{workspace_bin, ProductProcess};
use crate::server::NatsServer;

/// The operator name the estates use.
pub const OPERATOR: &str = "OP";

/// How long a provisioner may take to start serving.
const START: Duration = Duration::from_secs(20);

/// An `nsc-setup` estate with a running server.
pub struct ProductEstate {
    /// The estate directory (removed on drop).
    pub dir: tempfile::TempDir,
    /// What `init` built.
    pub written: Written,
    /// The server.
    pub server: NatsServer,
}

impl ProductEstate {
    /// Runs `init` for `tenants` and starts a server from its `server.conf`.
    ///
    /// # Errors
    /// When `init` or the server fails.
    pub fn start(
        tenants: &[&str],
        resolver: ResolverKind,
        jetstream: bool,
    ) -> anyhow::Result<Self> {
        Self::start_with(tenants, resolver, jetstream, false)
    }

    /// As [`ProductEstate::start`], wired for the auth callout (`init --callout`) when
    /// `callout` is set.
    ///
    /// # Errors
    /// When `init` or the server fails.
    pub fn start_with(
        tenants: &[&str],
        resolver: ResolverKind,
        jetstream: bool,
        callout: bool,
    ) -> anyhow::Result<Self> {
        Self::start_init(tenants, resolver, jetstream, callout, false)
    }

    /// As [`ProductEstate::start`], with scoped signing keys for minted users
    /// (`init --scoped-keys`): the server applies each tenant's scope template.
    ///
    /// # Errors
    /// When `init` or the server fails.
    pub fn start_scoped(
        tenants: &[&str],
        resolver: ResolverKind,
        jetstream: bool,
    ) -> anyhow::Result<Self> {
        Self::start_init(tenants, resolver, jetstream, false, true)
    }

    fn start_init(
        tenants: &[&str],
        resolver: ResolverKind,
        jetstream: bool,
        callout: bool,
        scoped_keys: bool,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let options = InitOptions {
            dir: dir.path().join("estate"),
            operator: OPERATOR.to_owned(),
            tenants: tenants.iter().map(|t| (*t).to_owned()).collect(),
            scoped_keys,
            server: ServerSettings {
                resolver,
                host: String::from("127.0.0.1"),
                port: 4222,
                jetstream,
            },
            force: false,
            callout,
        };
        let written = nsc_setup::init(&options)?;
        let config = std::fs::read_to_string(written.dir.join("server.conf"))?;
        let server = NatsServer::start(&config)?;
        Ok(ProductEstate {
            dir,
            written,
            server,
        })
    }

    /// The server's client URL.
    pub fn url(&self) -> String {
        self.server.client_url()
    }

    /// Path of `<account>/<user>.creds` in the estate's key store.
    pub fn creds_path(&self, account: &str, user: &str) -> PathBuf {
        self.written
            .dir
            .join("nkeys/creds")
            .join(OPERATOR)
            .join(account)
            .join(format!("{user}.creds"))
    }

    /// The text of `<account>/<user>.creds`.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn creds(&self, account: &str, user: &str) -> anyhow::Result<String> {
        let path = self.creds_path(account, user);
        std::fs::read_to_string(&path).with_context(|| format!("reading `{}`", path.display()))
    }

    /// The public key of `account`.
    ///
    /// # Errors
    /// When there is no such account.
    pub fn account_key(&self, account: &str) -> anyhow::Result<String> {
        let entry = self
            .written
            .estate
            .account(account)
            .context("no such account")?;
        Ok(entry.public_key().to_owned())
    }

    /// Mints an extra user of `account` with its identity key (for example a test user
    /// inside AUTH), shaped by `shape`.
    ///
    /// # Errors
    /// When the account or its key is missing.
    pub fn extra_user(
        &self,
        account: &str,
        name: &str,
        shape: impl FnOnce(&mut UserClaims),
    ) -> anyhow::Result<String> {
        let entry = self
            .written
            .estate
            .account(account)
            .context("no such account")?;
        let key = entry.key.as_ref().context("account has no identity seed")?;
        let user = KeyPair::new_user();
        let mut claims = UserClaims::new_user(user.public_key());
        claims.name = name.to_owned();
        shape(&mut claims);
        let jwt = claims.encode(key, unix_now())?;
        Ok(claims::format_creds(&jwt, &user.seed()?))
    }

    /// Starts `provisioner serve` on the estate's `provisioner.toml`, pointed at this
    /// server, with the admin endpoint on a free port, plus `extra` flags; waits until it
    /// serves. `label` names its log file.
    ///
    /// # Errors
    /// When it does not start serving.
    pub fn start_provisioner(&self, label: &str, extra: &[&str]) -> anyhow::Result<ProductProcess> {
        let bin = workspace_bin("provisioner")?;
        let config = self
            .written
            .dir
            .join("provisioner.toml")
            .display()
            .to_string();
        let url = self.url();
        let mut args = vec![
            "serve",
            "--config",
            &config,
            "-s",
            &url,
            "--admin-addr",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        let log = self.dir.path().join(format!("{label}.log"));
        let mut process = ProductProcess::start(&bin, &args, log, &[])?;
        process.wait_for_output("serving", START)?;
        Ok(process)
    }
}

/// The admin address a provisioner logged (`admin endpoint listening addr=…`).
pub fn admin_addr(output: &str) -> Option<String> {
    output
        .lines()
        .find(|l| l.contains("admin endpoint listening"))
        .and_then(|l| l.split("addr=").nth(1))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
}

/// A plain HTTP/1.0 GET; returns the status code and the body.
///
/// # Errors
/// When the connection fails or the response is not HTTP.
pub fn http_get(addr: &str, path: &str) -> anyhow::Result<(u16, String)> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("not an HTTP response")?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
