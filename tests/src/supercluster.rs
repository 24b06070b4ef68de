//! A supercluster on loopback, built by `nsc-setup init --region …` and run as real
//! `nats-server` processes: every member of every region (routes inside a region,
//! gateways between regions, JetStream everywhere) and the leaf nodes.
//!
//! [`Supercluster::start`] reserves every port with [`free_port`] and hands them to
//! `nsc-setup` (`--member-ports`), starts each server from its `servers/<name>.conf`, and
//! waits, polling the monitoring endpoints with a deadline, until every member sees its
//! region's other members on routes (`/routez`) and has an outbound gateway to every
//! other region (`/gatewayz`), each leaf node has its remotes up (`/leafz`), and
//! JetStream has a meta leader (`/jsz`). [`Supercluster::kill`] kills one server
//! (SIGKILL, as a crash would), [`Supercluster::stop_region`] every member of a region;
//! [`Supercluster::restart`] and [`Supercluster::start_region`] start them again on their
//! configs and stores. Dropping it kills everything; a panicking test gets each server's
//! log tail on stderr.
//!
//! Not here: the provisioner and clients (the suites start them on [`Supercluster::urls`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::Value;
use tempfile::TempDir;

use crate::process::workspace_bin;
use crate::product::http_get;
use crate::server::{find_binary, free_port};

/// How long the whole supercluster may take to connect up.
pub const CONNECT_DEADLINE: Duration = Duration::from_secs(45);
/// Pause between polls of the monitoring endpoints.
const POLL: Duration = Duration::from_millis(100);
/// Log lines shown for each server on a panic.
const TAIL_LINES: usize = 15;

/// One server of the supercluster.
#[derive(Debug)]
pub struct Member {
    /// Its server name (`us-1`, `leaf-edge`).
    pub name: String,
    /// Its region (empty for a leaf node).
    pub region: String,
    /// Its client port.
    pub client: u16,
    /// Its monitoring port.
    pub monitor: u16,
    child: Option<Child>,
}

impl Member {
    /// Whether this is a leaf node.
    pub fn is_leaf(&self) -> bool {
        self.region.is_empty()
    }

    /// `nats://127.0.0.1:<client>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.client)
    }
}

/// A running supercluster and the estate it was built from.
#[derive(Debug)]
pub struct Supercluster {
    dir: TempDir,
    binary: PathBuf,
    /// Every server: the regions' members in order, then the leaf nodes.
    pub members: Vec<Member>,
}

impl Supercluster {
    /// Builds an estate with `nsc-setup init --dir <tmp>/estate --jetstream` and `args`
    /// (tenants, services…), one `--region` per `regions` entry (`"us:3"`) and one
    /// `--leaf` per `leaves` entry (`"edge:acme"`), every port reserved here; starts every
    /// server and waits until the supercluster is connected.
    ///
    /// # Errors
    /// When `nsc-setup` fails or the servers do not connect within [`CONNECT_DEADLINE`].
    pub fn start(regions: &[&str], leaves: &[&str], args: &[&str]) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("supercluster-").tempdir()?;
        let mut members = Vec::new();
        for spec in regions {
            let (region, count) = spec.split_once(':').context("region NAME:COUNT")?;
            for n in 1..=count.parse::<usize>()? {
                members.push((format!("{region}-{n}"), region.to_owned()));
            }
        }
        for spec in leaves {
            let (name, _) = spec.split_once(':').context("leaf NAME:TENANT")?;
            members.push((format!("leaf-{name}"), String::new()));
        }
        let mut command = Command::new(workspace_bin("nsc-setup")?);
        command
            .args(["init", "--jetstream", "--dir"])
            .arg(dir.path().join("estate"))
            .args(args);
        for spec in regions {
            command.args(["--region", spec]);
        }
        for spec in leaves {
            command.args(["--leaf", spec]);
        }
        let mut out = Vec::new();
        for (name, region) in members {
            let ports = [
                free_port()?,
                free_port()?,
                free_port()?,
                free_port()?,
                free_port()?,
            ];
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            command.args(["--member-ports", &format!("{name}={}", list.join(","))]);
            out.push(Member {
                name,
                region,
                client: ports[0],
                monitor: ports[4],
                child: None,
            });
        }
        let made = command.output().context("running nsc-setup init")?;
        if !made.status.success() {
            bail!(
                "nsc-setup init failed: {}",
                String::from_utf8_lossy(&made.stderr)
            );
        }
        let mut cluster = Supercluster {
            dir,
            binary: find_binary(None)?,
            members: out,
        };
        let names: Vec<String> = cluster.members.iter().map(|m| m.name.clone()).collect();
        for name in &names {
            cluster.spawn(name)?;
        }
        cluster.wait_connected(CONNECT_DEADLINE)?;
        Ok(cluster)
    }

    /// The estate directory.
    pub fn estate(&self) -> PathBuf {
        self.dir.path().join("estate")
    }

    /// The member called `name`.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The client URLs of `region`'s members (of the leaf node, for `leaf-<name>`),
    /// comma-separated.
    pub fn urls(&self, region: &str) -> String {
        let urls: Vec<String> = self
            .members
            .iter()
            .filter(|m| m.region == region || m.name == region)
            .map(Member::url)
            .collect();
        urls.join(",")
    }

    fn member_mut(&mut self, name: &str) -> anyhow::Result<&mut Member> {
        let found = self.members.iter_mut().find(|m| m.name == name);
        found.with_context(|| format!("no member {name}"))
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    fn spawn(&mut self, name: &str) -> anyhow::Result<()> {
        let conf = self.estate().join("servers").join(format!("{name}.conf"));
        let output = std::fs::File::create(self.dir.path().join(format!("{name}.out")))?;
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(&conf)
            .arg("-l")
            .arg(self.log(name))
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        self.member_mut(name)?.child = Some(child);
        Ok(())
    }

    /// Kills server `name` (SIGKILL) and reaps it.
    ///
    /// # Errors
    /// For an unknown name.
    pub fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        if let Some(mut child) = self.member_mut(name)?.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        Ok(())
    }

    /// Kills every member of `region`.
    ///
    /// # Errors
    /// For an unknown region.
    pub fn stop_region(&mut self, region: &str) -> anyhow::Result<()> {
        let names: Vec<String> = self
            .members
            .iter()
            .filter(|m| m.region == region)
            .map(|m| m.name.clone())
            .collect();
        if names.is_empty() {
            bail!("no region {region}");
        }
        names.iter().try_for_each(|name| self.kill(name))
    }

    /// Starts every member of `region` again (after [`Self::stop_region`]) and waits until
    /// the supercluster is connected again.
    ///
    /// # Errors
    /// For an unknown region, or when it does not reconnect within [`CONNECT_DEADLINE`].
    pub fn start_region(&mut self, region: &str) -> anyhow::Result<()> {
        let names: Vec<String> = self
            .members
            .iter()
            .filter(|m| m.region == region)
            .map(|m| m.name.clone())
            .collect();
        if names.is_empty() {
            bail!("no region {region}");
        }
        for name in &names {
            self.kill(name)?;
            self.spawn(name)?;
        }
        self.wait_connected(CONNECT_DEADLINE)
    }

    /// Starts server `name` again on its config and store (after [`Self::kill`]) and
    /// waits until the supercluster is connected again.
    ///
    /// # Errors
    /// When it does not reconnect within [`CONNECT_DEADLINE`].
    pub fn restart(&mut self, name: &str) -> anyhow::Result<()> {
        self.kill(name)?;
        self.spawn(name)?;
        self.wait_connected(CONNECT_DEADLINE)
    }

    /// A monitoring endpoint of `member` as JSON.
    ///
    /// # Errors
    /// When the server does not answer or the body is not JSON.
    pub fn monitor(&self, member: &Member, path: &str) -> anyhow::Result<Value> {
        let (status, body) = http_get(&format!("127.0.0.1:{}", member.monitor), path)?;
        if status != 200 {
            bail!("{path} of {}: HTTP {status}", member.name);
        }
        Ok(serde_json::from_str(&body)?)
    }

    /// What is still missing for the running servers to be connected up, if anything.
    fn missing(&self) -> Option<String> {
        let running = self.members.iter().filter(|m| m.child.is_some());
        let regions: BTreeSet<&str> = running
            .clone()
            .filter(|m| !m.is_leaf())
            .map(|m| m.region.as_str())
            .collect();
        let mut meta_leader = false;
        for member in running {
            let status = self.check(member, &regions, &mut meta_leader);
            if let Err(why) = status {
                let log = tail(&self.log(&member.name));
                return Some(format!("{}: {why:#}; its log:\n{log}", member.name));
            }
        }
        (!meta_leader).then(|| "no JetStream meta leader".to_owned())
    }

    fn check(&self, m: &Member, regions: &BTreeSet<&str>, leader: &mut bool) -> anyhow::Result<()> {
        if m.is_leaf() {
            let leafz = self.monitor(m, "/leafz")?;
            let up = leafz.get("leafnodes").and_then(Value::as_u64).unwrap_or(0);
            if up < 2 {
                bail!("{up} of 2 leaf remotes up");
            }
            return Ok(());
        }
        let peers = self
            .members
            .iter()
            .filter(|p| p.region == m.region && p.name != m.name && p.child.is_some())
            .count();
        let routez = self.monitor(m, "/routez")?;
        let routes = routez.get("routes").and_then(Value::as_array);
        let seen: BTreeSet<&str> = routes
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("remote_name").and_then(Value::as_str))
            .collect();
        if seen.len() < peers {
            bail!("routes to {seen:?}, expected {peers} peers");
        }
        let gatewayz = self.monitor(m, "/gatewayz")?;
        // Each server connects out to one server of every other region; which servers
        // connect in is the other regions' choice, so only the outbound side is checked.
        for region in regions.iter().filter(|r| **r != m.region) {
            let out = gatewayz
                .get("outbound_gateways")
                .and_then(|g| g.get(*region));
            if out.is_none() {
                bail!("no gateway to {region}");
            }
        }
        let jsz = self.monitor(m, "/jsz")?;
        let meta_leader = jsz.pointer("/meta_cluster/leader").and_then(Value::as_str);
        if meta_leader.is_some_and(|l| !l.is_empty()) {
            *leader = true;
        }
        Ok(())
    }

    /// Waits until every running server is connected up (see the module docs).
    ///
    /// # Errors
    /// When `within` passes first, naming what is missing.
    pub fn wait_connected(&mut self, within: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        loop {
            for member in &mut self.members {
                let exited = member.child.as_mut().map(Child::try_wait);
                if let Some(Ok(Some(status))) = exited {
                    let out = self.dir.path().join(format!("{}.out", member.name));
                    let log = self.dir.path().join(format!("{}.log", member.name));
                    bail!(
                        "{} exited ({status}):\n{}\n{}",
                        member.name,
                        tail(&out),
                        tail(&log)
                    );
                }
            }
            let Some(missing) = self.missing() else {
                return Ok(());
            };
            if Instant::now() >= deadline {
                bail!("supercluster not connected within {within:?}: {missing}");
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Supercluster {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        for member in &mut self.members {
            if let Some(mut child) = member.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if panicking {
            for member in &self.members {
                eprintln!("--- {} ---\n{}", member.name, tail(&self.log(&member.name)));
            }
        }
    }
}

/// The last [`TAIL_LINES`] lines of a log.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(TAIL_LINES);
    lines.get(skip..).unwrap_or_default().join("\n")
}
