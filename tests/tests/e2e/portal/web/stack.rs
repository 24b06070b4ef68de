//! The web stack: an OpenID provider with the tenants' people (alice admin and bob user
//! of acme, carol admin of globex), an `nsc-setup --portal` estate whose tenants trust
//! the provider (`jwks_url`), `provisioner serve`, `portal serve` with a `[login]` table
//! (offering service `storage`), an agent of `storage` at `sto1` (types `folder`: the
//! example `mkdir.sh`; `broken`: `fail.sh`; `gated`: `mkdir.sh` with approval), and a
//! browser.

use std::path::PathBuf;
use std::time::Duration;

use integration_tests::agent::{start_agent as start_agent_process, AgentSite};
use integration_tests::browser::Browser;
use integration_tests::oidc_provider::{Account, OidcProvider, ProviderOptions, CLIENT_ID};
use integration_tests::{free_port, workspace_bin, ProductEstate, ProductProcess};
use nsc_setup::portal::{Jwks, OidcIssuer, Pages, PortalSettings};

use nsc_setup::services::ServiceSpec;

use super::super::stack::{portal_estate_for, start_portal, ADMIN};

/// How long an agent may take to start taking queued requests.
/// How long a page may take to show what a test waits for.
pub const SHOW: Duration = Duration::from_secs(20);

/// The people of the provider: (login, password, tenant, groups).
pub const PEOPLE: [(&str, &str, &str, &[&str]); 3] = [
    ("alice", "alice-pw", "acme", &[ADMIN]),
    ("bob", "bob-pw", "acme", &[]),
    ("carol", "carol-pw", "globex", &[ADMIN]),
];

/// The running web stack.
pub struct WebStack {
    // Processes before the estate (their logs live in its directory).
    _agent: ProductProcess,
    _portal: ProductProcess,
    _provisioner: ProductProcess,
    _provider: OidcProvider,
    pub estate: ProductEstate,
    /// The portal's origin, `http://127.0.0.1:<port>`.
    pub base: String,
    /// Where the agent's folders go.
    pub folders: PathBuf,
}

fn handler(name: &str) -> String {
    format!(
        "{}/../agent/examples/handlers/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

impl WebStack {
    pub fn start(label: &str) -> Self {
        let port = free_port().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let accounts = PEOPLE
            .iter()
            .map(|(login, pw, tenant, groups)| Account::member(login, pw, tenant, groups, login))
            .collect();
        let provider = OidcProvider::start(&ProviderOptions {
            accounts,
            redirect_uris: vec![format!("{base}/login/callback")],
            post_logout_redirect_uris: vec![format!("{base}/")],
            port: 0,
        })
        .unwrap();
        let settings = PortalSettings {
            oidc: Some(OidcIssuer {
                issuer: provider.issuer().to_owned(),
                audience: CLIENT_ID.to_owned(),
                jwks: Jwks::Url(provider.jwks_url()),
                tenant_claim: Some(String::from("tenant")),
                tags_claim: Some(String::from("groups")),
            }),
            pages: Some(Pages {
                public_url: base.clone(),
                services: vec![String::from("storage")],
            }),
        };
        let storage = ServiceSpec::parse("storage:sto1").unwrap();
        let estate = portal_estate_for(settings, &[storage]);
        let dir = estate.written.dir.clone();
        // Both tenants take invites (made on the invites page).
        let policy_toml = dir.join("policy.toml");
        let policy = std::fs::read_to_string(&policy_toml).unwrap().replace(
            "names.unique = true\n",
            "names.unique = true\nidentity.invite.enabled = true\n",
        );
        std::fs::write(&policy_toml, policy).unwrap();
        let provisioner = estate
            .start_provisioner(&format!("{label}-provisioner"), &[])
            .unwrap();
        let listen = format!("127.0.0.1:{port}");
        let flags = ["--listen", &listen, "--admin-addr", "127.0.0.1:0"];
        let (portal, _) = start_portal(&estate, label, &flags, &[]);
        let folders = estate.dir.path().join("folders");
        let agent = start_agent(&estate, &folders, label);
        WebStack {
            _agent: agent,
            _portal: portal,
            _provisioner: provisioner,
            _provider: provider,
            estate,
            base,
            folders,
        }
    }

    /// A page's URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs `login` in through the provider's page, in `browser`; ends on the overview.
    pub async fn log_in(&self, browser: &Browser, login: &str) {
        let password = PEOPLE.iter().find(|p| p.0 == login).map(|p| p.1).unwrap();
        browser.goto(&self.url("/")).await.unwrap();
        browser.wait_for_text("Log in with", SHOW).await.unwrap();
        browser.screenshot("login").await.unwrap();
        browser.click_css("a.button").await.unwrap();
        browser
            .wait_for_element("input[name=login]", SHOW)
            .await
            .unwrap();
        browser.screenshot("provider-login").await.unwrap();
        browser.fill("login", login).await.unwrap();
        browser.fill("password", password).await.unwrap();
        browser.click_css("button[type=submit]").await.unwrap();
        browser.wait_for_url(&self.url("/"), SHOW).await.unwrap();
        browser.wait_for_text("Overview", SHOW).await.unwrap();
    }

    /// `agent approvals <args>` as the service's admin (`admin-storage`), its stdout.
    pub fn approvals(&self, args: &[&str]) -> String {
        let creds = self.estate.creds_path("SERVICES", "admin-storage");
        let url = self.estate.url();
        let output = std::process::Command::new(workspace_bin("agent").unwrap())
            .args(["approvals", "-s", &url, "--creds"])
            .arg(&creds)
            .args(["--service", "storage", "--site", "sto1"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "agent approvals {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// How long the `slow` type's handler takes: while it runs, the site's agent takes no
/// other queued request.
pub const SLOW_SECS: u64 = 6;

/// An agent of `storage` at `sto1` for both tenants (types `folder`, `broken`, `gated`
/// and `slow`).
fn start_agent(estate: &ProductEstate, folders: &std::path::Path, label: &str) -> ProductProcess {
    let dir = estate.dir.path();
    let config = dir.join("agent.toml");
    let root = folders.display().to_string();
    let text = format!(
        "[handlers.folder]\nargv = [{mkdir:?}, \"--root\", {root:?}]\ntimeout_secs = 10\n\
         [handlers.broken]\nargv = [{fail:?}]\ntimeout_secs = 10\n\
         [handlers.gated]\nargv = [{mkdir:?}, \"--root\", {root:?}]\ntimeout_secs = 10\n\
         requires_approval = true\n\
         [handlers.slow]\nargv = [\"/bin/sleep\", \"{SLOW_SECS}\"]\ntimeout_secs = 30\n",
        mkdir = handler("mkdir.sh"),
        fail = handler("fail.sh"),
    );
    std::fs::write(&config, text).unwrap();
    let creds = estate.creds_path("SERVICES", "agent-storage-sto1");
    let tenants = ["acme", "globex"].map(|t| (t, estate.account_key(t).unwrap()));
    let site = AgentSite {
        urls: &estate.url(),
        creds: &creds,
        service: "storage",
        site: "sto1",
        tenants: &tenants,
    };
    start_agent_process(&site, &config, dir.join(format!("{label}-agent.log"))).unwrap()
}
