//! The portal's test stack: an `nsc-setup` estate (tenants `acme` and `globex`, auth
//! callout, JetStream registry, full resolver) whose policy lets both tenants' users log
//! in with an ID token of a test issuer (a JWKS file), the issuer's tags claim carry the
//! admin tag (`admin_from_tags_claim`), and users minted that way publish to
//! `creds.request` and `creds.admin.>` through their tenant's imports: what a portal
//! deployment's policy needs. Then `provisioner serve` and `portal serve` on it.

use std::time::Duration;

use integration_tests::{admin_addr, workspace_bin, ProductEstate, ProductProcess, LOG_WAIT};
use nsc_setup::ResolverKind;
use serde_json::{json, Value};

pub use integration_tests::demo_issuer::{portal_policy, Issuer};

/// The tag the issuer puts on tenant admins.
pub const ADMIN: &str = "role:admin";

/// The claims of a token for `name` in `tenant` with `groups`, valid for ten minutes.
pub fn claims(name: &str, tenant: &str, groups: &[&str]) -> Value {
    integration_tests::demo_issuer::claims(name, tenant, groups, 600)
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
        let estate =
            ProductEstate::start_with(&["acme", "globex"], ResolverKind::Full, true, true).unwrap();
        let issuer = Issuer::new("key-1");
        let dir = &estate.written.dir;
        let policy = std::fs::read_to_string(dir.join("policy.toml")).unwrap();
        std::fs::write(dir.join("policy.toml"), portal_policy(&policy)).unwrap();
        let jwks = json!({"keys": [issuer.jwk.clone()]}).to_string();
        std::fs::write(dir.join("jwks.json"), jwks).unwrap();
        let provisioner = estate
            .start_provisioner(&format!("{label}-provisioner"), &[])
            .unwrap();
        let policy = dir.join("policy.toml").display().to_string();
        let url = estate.url();
        let args = [
            "serve",
            "--policy",
            &policy,
            "-s",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--admin-addr",
            "127.0.0.1:0",
        ];
        let log = estate.dir.path().join(format!("{label}-portal.log"));
        let bin = workspace_bin("portal").unwrap();
        let mut portal = ProductProcess::start(&bin, &args, log, &[]).unwrap();
        portal
            .wait_for_output("portal listening", LOG_WAIT)
            .unwrap();
        let out = portal.output();
        let base = out
            .lines()
            .find(|l| l.contains("portal listening"))
            .and_then(|l| l.split("addr=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .map(|addr| format!("http://{addr}"))
            .unwrap();
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
