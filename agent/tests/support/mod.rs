//! Shared set-up of the agent's end-to-end tests: an `nsc-setup` estate on a real
//! nats-server with a provisioner minting users, agents started as binaries, and the
//! `provisioner svc` client.

#![allow(dead_code, reason = "each test file uses the part it needs")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use async_nats::HeaderMap;
use integration_tests::{
    connect_with_creds, workspace_bin, ProductEstate, ProductProcess, WatchedClient, STEP,
};
use nsc_setup::ResolverKind;
use serde_json::{json, Value};

pub const SERVICE: &str = "storage";
/// How long an agent may take to start serving.
pub const START: Duration = Duration::from_secs(30);

/// The estate, a provisioner minting users, and the agent's creds.
pub struct World {
    pub estate: ProductEstate,
    _provisioner: ProductProcess,
    pub agent_creds: PathBuf,
}

impl World {
    pub fn start(tenants: &[&str]) -> World {
        let estate = ProductEstate::start(tenants, ResolverKind::Memory, true).unwrap();
        let provisioner = estate.start_provisioner("provisioner", &[]).unwrap();
        let agent_creds = estate.creds_path("SERVICES", "agent");
        World {
            estate,
            _provisioner: provisioner,
            agent_creds,
        }
    }

    pub fn url(&self) -> String {
        self.estate.url()
    }

    pub fn account_jwt(&self, account: &str) -> PathBuf {
        self.estate
            .written
            .dir
            .join("nsc/stores/OP/accounts")
            .join(account)
            .join(format!("{account}.jwt"))
    }

    /// Starts an agent for `site` with `extra` flags and waits until it serves.
    pub fn agent(&self, site: &str, extra: &[String]) -> ProductProcess {
        let bin = workspace_bin("agent").unwrap();
        let url = self.url();
        let creds = self.agent_creds.display().to_string();
        let mut args: Vec<String> = [
            "-s",
            &url,
            "--creds",
            &creds,
            "--site",
            site,
            "--service",
            SERVICE,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let log = self
            .estate
            .dir
            .path()
            .join(format!("agent-{site}-{}.log", nuid::next()));
        let mut agent =
            ProductProcess::start(&bin, &args, log, &[("AGENT_LOG", "info,agent=debug")]).unwrap();
        agent.wait_for_output("serving", START).unwrap();
        agent
    }

    /// Tenant flags naming `tenants` by `--tenant NAME=ACCOUNT`.
    pub fn tenant_flags(&self, tenants: &[&str]) -> Vec<String> {
        tenants
            .iter()
            .flat_map(|t| {
                [
                    "--tenant".to_owned(),
                    format!("{t}={}", self.estate.account_key(t).unwrap()),
                ]
            })
            .collect()
    }

    /// Mints user `name` of `tenant` with `provisioner request` and its bootstrap creds.
    pub fn mint(&self, tenant: &str, name: &str) -> PathBuf {
        let out = self
            .estate
            .dir
            .path()
            .join(format!("{tenant}-{name}.creds"));
        let output = Command::new(workspace_bin("provisioner").unwrap())
            .args([
                "request",
                "--name",
                name,
                "--subject",
                "creds.request",
                "-s",
            ])
            .arg(self.url())
            .arg("--creds")
            .arg(self.estate.creds_path(tenant, "bootstrap"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "minting {tenant}/{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        out
    }

    /// Runs `provisioner svc <args> --json` as `creds`; returns the exit code and stdout
    /// as JSON.
    pub fn svc(&self, creds: &Path, args: &[&str]) -> (i32, Value) {
        let output = Command::new(workspace_bin("provisioner").unwrap())
            .arg("svc")
            .args(args)
            .args(["--service", SERVICE, "--json", "-s"])
            .arg(self.url())
            .arg("--creds")
            .arg(creds)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
            panic!(
                "svc {args:?}: not JSON: {stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output.status.code().unwrap(), value)
    }

    pub async fn connect(&self, creds: &Path) -> WatchedClient {
        let text = std::fs::read_to_string(creds).unwrap();
        connect_with_creds(&self.url(), &text).await.unwrap()
    }
}

/// Sends one contract request with raw headers and returns (Message-Type, body).
pub async fn raw(
    client: &WatchedClient,
    subject: &str,
    headers: HeaderMap,
    body: Value,
) -> (String, Value) {
    let reply = tokio::time::timeout(
        STEP,
        client
            .client
            .request_with_headers(subject.to_owned(), headers, body.to_string().into()),
    )
    .await
    .expect("no reply in time")
    .expect("request failed");
    let kind = reply
        .headers
        .as_ref()
        .and_then(|h| h.get("Message-Type"))
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default();
    (kind, serde_json::from_slice(&reply.payload).unwrap())
}

pub fn forged(account: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "Nats-Request-Info",
        json!({"acc": account, "user": "UFORGED", "name_tag": "mallory", "tags": ["role:admin"]})
            .to_string()
            .as_str(),
    );
    headers
}

pub fn ids(answer: &Value) -> Vec<String> {
    answer["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no resources in {answer}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}
