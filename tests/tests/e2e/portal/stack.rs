//! The portal's test stack: an estate made as a portal deployment makes it, `nsc-setup
//! init --callout --jetstream --portal` with the test issuer's `--oidc-*` settings
//! (tenants `acme` and `globex`, full resolver, issuance history kept 7 days): both
//! tenants' users log in with an ID token of the issuer (its JWKS file, the one thing the
//! test adds), its tags claim carries the admin tag, and users minted that way publish to
//! `creds.request` and `creds.admin.>` through their tenant's imports. Then
//! `provisioner serve --config provisioner.toml` and `portal serve --config portal.toml`
//! on it (flags only for the server URL and free ports).

use std::time::{Duration, Instant};

use integration_tests::demo_issuer::{portal_settings, JWKS_FILE};
use integration_tests::{
    admin_addr, workspace_bin, NatsServer, ProductEstate, ProductProcess, LOG_WAIT, OPERATOR,
};
use nsc_setup::{InitExtras, InitOptions, ResolverKind, ServerSettings};
use serde_json::{json, Value};

pub use integration_tests::demo_issuer::Issuer;

/// How long the stack's provisioner keeps its issuance history.
const HISTORY_SECS: u64 = 7 * 86_400;

/// The tag the issuer puts on tenant admins.
/// How long a queued resource request may take to settle.
pub const SETTLE: Duration = Duration::from_secs(30);
pub const ADMIN: &str = "role:admin";

/// The claims of a token for `name` in `tenant` with `groups`, valid for ten minutes.
pub fn claims(name: &str, tenant: &str, groups: &[&str]) -> Value {
    integration_tests::demo_issuer::claims(name, tenant, groups, 600)
}

/// `nsc-setup init --callout --jetstream --portal` (the test issuer's settings) in a temp
/// directory, and a nats-server started from the `server.conf` it wrote.
fn portal_estate() -> ProductEstate {
    portal_estate_with(portal_settings())
}

/// [`portal_estate`] with other portal `settings` (another issuer).
pub fn portal_estate_with(settings: nsc_setup::portal::PortalSettings) -> ProductEstate {
    portal_estate_for(settings, &[])
}

/// [`portal_estate_with`], SERVICES in the isolated layout for `services` (`nsc-setup
/// --service storage:sto1`: an agent identity per site, an admin per service).
pub fn portal_estate_for(
    settings: nsc_setup::portal::PortalSettings,
    services: &[nsc_setup::services::ServiceSpec],
) -> ProductEstate {
    let dir = tempfile::tempdir().unwrap();
    let options = InitOptions {
        dir: dir.path().join("estate"),
        operator: OPERATOR.to_owned(),
        tenants: vec![String::from("acme"), String::from("globex")],
        scoped_keys: false,
        server: ServerSettings {
            resolver: ResolverKind::Full,
            host: String::from("127.0.0.1"),
            port: 4222,
            jetstream: true,
        },
        force: false,
        callout: true,
    };
    let extras = InitExtras {
        portal: Some(settings),
        history_max_age_secs: Some(HISTORY_SECS),
    };
    let written = nsc_setup::init_services(&options, &extras, services).unwrap();
    let config = std::fs::read_to_string(written.dir.join("server.conf")).unwrap();
    let server = NatsServer::start(&config).unwrap();
    ProductEstate {
        dir,
        written,
        server,
    }
}

/// `portal serve --config portal.toml` on `estate`, listening on a free port, with `extra`
/// flags (they win over the file) and `envs`; returns it and its base URL (`http://…`).
pub fn start_portal(
    estate: &ProductEstate,
    label: &str,
    extra: &[&str],
    envs: &[(&str, &str)],
) -> (ProductProcess, String) {
    let config = estate.written.dir.join("portal.toml").display().to_string();
    let url = estate.url();
    let mut args = vec!["serve", "--config", &config, "-s", &url];
    if !extra.contains(&"--listen") {
        args.extend_from_slice(&["--listen", "127.0.0.1:0"]);
    }
    args.extend_from_slice(extra);
    let log = estate.dir.path().join(format!("{label}-portal.log"));
    let bin = workspace_bin("portal").unwrap();
    let mut portal = ProductProcess::start(&bin, &args, log, envs).unwrap();
    portal
        .wait_for_output("portal listening", LOG_WAIT)
        .unwrap();
    let base = portal
        .output()
        .lines()
        .find(|l| l.contains("portal listening"))
        .and_then(|l| l.split("addr=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map(|addr| format!("http://{addr}"))
        .unwrap();
    (portal, base)
}

/// A reply of the portal.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// Asserts a problem with `status` and `code`.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.header("content-type"), "application/problem+json");
        let p = self.json();
        assert_eq!(p["code"], code, "{p}");
        assert_eq!(p["type"], format!("urn:nats-provisioner:problem:{code}"));
        assert_eq!(p["request_id"], self.header("x-request-id"));
    }
}

/// The running stack.
pub struct Stack {
    // Processes first: they are dropped (and print their logs on a failure) before the
    // estate's directory, which holds the logs, goes.
    pub portal: ProductProcess,
    pub provisioner: ProductProcess,
    pub estate: ProductEstate,
    pub issuer: Issuer,
    /// `http://<addr>` of the API.
    pub base: String,
    /// The admin address of the portal.
    pub admin: String,
    http: reqwest::Client,
}

impl Stack {
    pub fn start(label: &str) -> Self {
        Self::start_with(label, &[])
    }

    /// As [`Stack::start`], with `extra` flags for `portal serve` (they win over
    /// `portal.toml`).
    pub fn start_with(label: &str, extra: &[&str]) -> Self {
        let estate = portal_estate();
        let issuer = Issuer::new("key-1");
        let dir = &estate.written.dir;
        let provisioner_toml = std::fs::read_to_string(dir.join("provisioner.toml")).unwrap();
        let history = format!("history_max_age_secs = {HISTORY_SECS}\n");
        assert!(provisioner_toml.contains(&history), "{provisioner_toml}");
        let jwks = json!({"keys": [issuer.jwk.clone()]}).to_string();
        std::fs::write(dir.join(JWKS_FILE), jwks).unwrap();
        let provisioner = estate
            .start_provisioner(&format!("{label}-provisioner"), &[])
            .unwrap();
        let mut args = vec!["--admin-addr", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let (portal, base) = start_portal(&estate, label, &args, &[]);
        let out = portal.output();
        let admin = admin_addr(&out).unwrap();
        let http = oidc::remote::http_client(None).unwrap();
        Stack {
            estate,
            provisioner,
            portal,
            issuer,
            base,
            admin,
            http,
        }
    }

    /// A valid token of the stack's issuer.
    pub fn token(&self, name: &str, tenant: &str, groups: &[&str]) -> String {
        self.issuer.sign(&claims(name, tenant, groups))
    }

    /// Sends `method path` with a bearer `token` and a JSON `body`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, url)
            .timeout(Duration::from_secs(20));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None).await
    }

    /// Reads the resource at `location` until its status is `want` (polling, at most
    /// [`SETTLE`]); from the moment it is queued it answers, `pending` while no agent
    /// has taken it.
    pub async fn wait_for_status(&self, location: &str, token: &str, want: &str) -> Value {
        let until = Instant::now() + SETTLE;
        loop {
            let reply = self.get(location, token).await;
            let record = reply.json();
            assert_eq!(reply.status, 200, "{}", reply.body);
            if record["status"] == want {
                return record;
            }
            assert!(
                Instant::now() < until,
                "{location} is not {want} in time: {record}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `GET` on the admin address.
    pub async fn admin_get(&self, path: &str) -> Reply {
        let url = format!("http://{}{path}", self.admin);
        let response = self.http.get(url).send().await.unwrap();
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }
}
