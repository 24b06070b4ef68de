//! The chromedriver process behind a [`super::Browser`]: found, spawned on a free port in
//! its own process group, waited for, and killed with its group when dropped; the
//! capabilities of a headless Debian Chromium; ending a session without async.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use tempfile::TempDir;

/// What to tell someone without a browser.
pub const INSTALL_HINT: &str =
    "run ./scripts/install-test-tools.sh from the repository root as root (installs Debian's \
     chromium and chromium-driver with apt-get), or set CHROMIUM_BIN and CHROMEDRIVER_BIN";
/// How long chromedriver may take to listen.
const DRIVER_DEADLINE: Duration = Duration::from_secs(10);
/// How often its log is read while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// What chromedriver prints once listening, followed by the port.
const STARTED: &str = "was started successfully on port ";

/// The screen a browser renders for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Screen {
    Desktop,
    Phone,
}

/// A chromedriver process and its temp dir; its process group is killed when dropped.
pub(super) struct Driver {
    child: Child,
    dir: TempDir,
    port: u16,
}

impl Driver {
    /// Starts chromedriver on a port of its choosing and waits until it listens.
    pub(super) fn spawn() -> anyhow::Result<Driver> {
        let binary = find_binary("CHROMEDRIVER_BIN", &[], "chromedriver")?;
        let dir = tempfile::Builder::new()
            .prefix("chromedriver-")
            .tempdir()
            .context("creating the browser's temp dir")?;
        let log = std::fs::File::create(dir.path().join("chromedriver.log"))
            .context("creating the chromedriver log")?;
        let child = Command::new(&binary)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("duplicating the log file")?)
            .stderr(log)
            // Its own group, so that the browsers it starts go with it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("spawning {}; {INSTALL_HINT}", binary.display()))?;
        // From here on, dropping `driver` kills it on every error path.
        let mut driver = Driver {
            child,
            dir,
            port: 0,
        };
        driver.port = driver.wait_for_port()?;
        Ok(driver)
    }

    /// The WebDriver port on 127.0.0.1.
    pub(super) fn port(&self) -> u16 {
        self.port
    }

    /// Its temp dir, holding `chromedriver.log`.
    pub(super) fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn wait_for_port(&mut self) -> anyhow::Result<u16> {
        let log = self.dir.path().join("chromedriver.log");
        let deadline = Instant::now() + DRIVER_DEADLINE;
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let port = text.lines().find_map(|line| {
                let (_, rest) = line.split_once(STARTED)?;
                rest.trim_end_matches('.').parse::<u16>().ok()
            });
            if let Some(port) = port {
                return Ok(port);
            }
            if let Some(status) = self.child.try_wait().context("polling chromedriver")? {
                bail!("chromedriver exited during start-up ({status}); {INSTALL_HINT}:\n{text}");
            }
            if Instant::now() >= deadline {
                bail!("chromedriver printed no port within {DRIVER_DEADLINE:?}:\n{text}");
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let leader = i32::try_from(self.child.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        if let Some(leader) = leader {
            let _ = rustix::process::kill_process_group(leader, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The WebDriver capabilities of a headless Debian Chromium for `screen`.
/// Its profile goes to `profile`, so that nothing of it outlives the test.
pub(super) fn capabilities(
    chromium: &Path,
    profile: &Path,
    screen: Screen,
) -> serde_json::Map<String, Value> {
    let size = match screen {
        Screen::Desktop => "--window-size=1280,900",
        Screen::Phone => "--window-size=390,844",
    };
    let user_data = format!("--user-data-dir={}", profile.display());
    let mut options = json!({
        "binary": chromium.to_string_lossy(),
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", size, user_data],
    });
    if let (Screen::Phone, Some(map)) = (screen, options.as_object_mut()) {
        map.insert(
            String::from("mobileEmulation"),
            json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0,
                                     "mobile": true, "touch": true}}),
        );
    }
    let mut caps = serde_json::Map::new();
    caps.insert(String::from("browserName"), json!("chrome"));
    caps.insert(String::from("goog:chromeOptions"), options);
    caps
}

/// `DELETE /session/<id>` to the driver, plainly over loopback (Drop cannot await).
pub(super) fn delete_session(port: u16, session: &str) {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(2)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        // The answer comes once Chromium has quit; chromedriver may keep the connection
        // open after it, so its first bytes are the signal, not the end of the stream.
        let _ = stream.read(&mut [0u8; 512]);
    }
}

/// `$var`, else the first of `fixed` that exists, else `name` on `PATH`.
pub(super) fn find_binary(var: &str, fixed: &[&str], name: &str) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        bail!("{var} {} does not exist; {INSTALL_HINT}", path.display());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path).map(|dir| dir.join(name));
    fixed
        .iter()
        .map(PathBuf::from)
        .chain(on_path)
        .find(|candidate| candidate.is_file())
        .with_context(|| format!("no {name} (and {var} unset); {INSTALL_HINT}"))
}
