//! The reference `agent` as the suites run it: one site of one service, serving named
//! tenants, with handlers from a TOML file; started as a process and waited for until it
//! takes queued requests. [`mkdir_handler`] is the example handler that makes a folder
//! per resource, [`folder_config`] the handler table that runs it for type `folder`.
//!
//! Not here: what the tests ask the agent (each suite), or the estate it runs in
//! ([`crate::product`], [`crate::supercluster`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::process::{workspace_bin, ProductProcess};

/// How long an agent may take to start taking queued requests.
pub const AGENT_START: Duration = Duration::from_secs(30);

/// Where and as whom an agent runs.
#[derive(Debug, Clone)]
pub struct AgentSite<'a> {
    /// The servers, comma-separated.
    pub urls: &'a str,
    /// The agent user's creds file.
    pub creds: &'a Path,
    /// The service.
    pub service: &'a str,
    /// The site.
    pub site: &'a str,
    /// The tenants served, `(name, account public key)`.
    pub tenants: &'a [(&'a str, String)],
}

/// The example handler that makes one folder per resource (`agent/examples/handlers`).
pub fn mkdir_handler() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../agent/examples/handlers/mkdir.sh")
}

/// The `[handlers.folder]` table running [`mkdir_handler`] with its folders under
/// `root`.
pub fn folder_config(root: &Path) -> String {
    format!(
        "[handlers.folder]\nargv = [{:?}, \"--root\", {:?}]\ntimeout_secs = 10\n",
        mkdir_handler().display().to_string(),
        root.display().to_string()
    )
}

/// Starts the agent of `site` with the handlers of `config` (a TOML file), logging to
/// `log`, and waits until it takes queued requests.
///
/// # Errors
/// When the binary cannot be found or started, or it does not come up in
/// [`AGENT_START`].
pub fn start_agent(
    site: &AgentSite<'_>,
    config: &Path,
    log: PathBuf,
) -> anyhow::Result<ProductProcess> {
    let mut args = vec![
        "-s".to_owned(),
        site.urls.to_owned(),
        "--creds".to_owned(),
        site.creds.display().to_string(),
        "--site".to_owned(),
        site.site.to_owned(),
        "--service".to_owned(),
        site.service.to_owned(),
        "--config".to_owned(),
        config.display().to_string(),
    ];
    for (name, account) in site.tenants {
        args.push("--tenant".to_owned());
        args.push(format!("{name}={account}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let bin = workspace_bin("agent")?;
    let mut agent = ProductProcess::start(&bin, &args, log, &[("AGENT_LOG", "info")])?;
    agent.wait_for_output("taking queued requests", AGENT_START)?;
    Ok(agent)
}
