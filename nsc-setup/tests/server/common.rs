//! A fresh estate per test, its server started from the generated `server.conf`, and
//! helpers to connect as its users and to read `Nats-Request-Info`.

use std::fs;
use std::path::PathBuf;

use async_nats::Message;
use integration_tests::{connect_with_creds, NatsServer, WatchedClient};
use nsc_setup::{AccountEntry, InitOptions, Layout, ResolverKind, ServerSettings, Written};
use serde_json::Value;
use tempfile::TempDir;

/// The header a service import adds.
pub const REQUEST_INFO: &str = "Nats-Request-Info";

/// An estate directory and a server running its `server.conf`.
pub struct Fixture {
    /// Keeps the estate directory alive.
    _tmp: TempDir,
    /// The estate directory.
    pub dir: PathBuf,
    /// What `init` wrote.
    pub written: Written,
    /// The running server (the harness's `-a 127.0.0.1 -p -1` override `listen`).
    pub server: NatsServer,
}

impl Fixture {
    /// Runs `init` (tenants acme and globex) and starts a server from its `server.conf`.
    pub fn start(resolver: ResolverKind, scoped: bool, jetstream: bool) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("estate");
        let written = nsc_setup::init(&InitOptions {
            dir: dir.clone(),
            operator: "OP".into(),
            tenants: vec!["acme".into(), "globex".into()],
            scoped_keys: scoped,
            server: ServerSettings {
                resolver,
                host: "127.0.0.1".into(),
                port: 4222,
                jetstream,
            },
            force: false,
            callout: false,
        })
        .unwrap();
        let config = fs::read_to_string(Layout::new(&dir).server_conf()).unwrap();
        let server = NatsServer::start(&config).unwrap();
        Fixture {
            _tmp: tmp,
            dir,
            written,
            server,
        }
    }

    /// The account `name` as written.
    pub fn account(&self, name: &str) -> &AccountEntry {
        self.written.estate.account(name).unwrap()
    }

    /// The creds file `init` wrote for `account`/`user`, read from disk.
    pub fn creds(&self, account: &str, user: &str) -> String {
        let path = Layout::new(&self.dir)
            .key_store()
            .creds_path("OP", account, user);
        fs::read_to_string(path).unwrap()
    }

    /// Connects as `account`/`user` with its creds file.
    pub async fn connect(&self, account: &str, user: &str) -> anyhow::Result<WatchedClient> {
        connect_with_creds(&self.server.client_url(), &self.creds(account, user)).await
    }

    /// The server's client URL.
    pub fn url(&self) -> String {
        self.server.client_url()
    }
}

/// The `Nats-Request-Info` of a request received through an import.
pub fn request_info(message: &Message) -> Value {
    let headers = message
        .headers
        .as_ref()
        .expect("no headers on an imported request");
    let value = headers
        .get(REQUEST_INFO)
        .expect("no Nats-Request-Info header");
    serde_json::from_str(value.as_str()).unwrap()
}

/// The header value with the JWT elided, for the logs.
pub fn elided(info: &Value) -> String {
    let mut info = info.clone();
    if let Some(jwt) = info.get_mut("jwt") {
        *jwt = Value::from("<elided>");
    }
    info.to_string()
}
