//! The product's binaries as processes: build them once per test run, start them with
//! arguments, wait for a log line, stop them with SIGTERM and read their exit status.
//!
//! Output goes to a file in the process's own temp dir so that failing tests can show
//! it. Not here: the binaries' behaviour (the suites assert that).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// How often log files are polled.
const POLL: Duration = Duration::from_millis(10);

/// Path of a workspace binary (its package has the same name), built once per test run
/// with the same profile as the running test.
///
/// # Errors
/// When `cargo build` fails.
pub fn workspace_bin(name: &str) -> anyhow::Result<PathBuf> {
    static BUILT: Mutex<Option<HashMap<String, Result<(), String>>>> = Mutex::new(None);
    let exe = std::env::current_exe()?;
    // <target>/<profile>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("locating the target directory")?
        .to_path_buf();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let built = {
        let mut guard = BUILT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let map = guard.get_or_insert_with(HashMap::new);
        map.entry(name.to_owned())
            .or_insert_with(|| {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
                let mut cmd = Command::new(cargo);
                cmd.args(["build", "--quiet", "-p", name, "--bin", name]);
                if release {
                    cmd.arg("--release");
                }
                match cmd.status() {
                    Ok(status) if status.success() => Ok(()),
                    Ok(status) => Err(format!("cargo build of `{name}` failed: {status}")),
                    Err(err) => Err(format!("running cargo build: {err}")),
                }
            })
            .clone()
    };
    built.map_err(anyhow::Error::msg)?;
    let bin = profile_dir.join(name);
    anyhow::ensure!(
        bin.is_file(),
        "binary `{}` not found after building",
        bin.display()
    );
    Ok(bin)
}

/// A running product process.
pub struct ProductProcess {
    child: Child,
    log: PathBuf,
    name: String,
}

impl ProductProcess {
    /// Starts `bin` with `args`, stdout and stderr into `log`.
    ///
    /// # Errors
    /// When the process cannot be spawned.
    pub fn start(
        bin: &Path,
        args: &[&str],
        log: PathBuf,
        envs: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let out = std::fs::File::create(&log)?;
        let err = out.try_clone()?;
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .env("PROVISIONER_LOG", "info");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting `{}`", bin.display()))?;
        Ok(ProductProcess {
            child,
            log,
            name: bin
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })
    }

    /// The process's output so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the output contains `needle`.
    ///
    /// # Errors
    /// When the process exits first or `within` passes; the error holds the output.
    pub fn wait_for_output(&mut self, needle: &str, within: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        loop {
            if self.output().contains(needle) {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "{} exited ({status}) before `{needle}`:\n{}",
                    self.name,
                    self.output()
                );
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "no `{needle}` from {} within {within:?}:\n{}",
                    self.name,
                    self.output()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Sends `signal` (for example `TERM`, `HUP`) to the process.
    ///
    /// # Errors
    /// When `kill` cannot be run.
    pub fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()?;
        anyhow::ensure!(status.success(), "kill -{signal} failed");
        Ok(())
    }

    /// Waits for the process to exit.
    ///
    /// # Errors
    /// When it does not exit within `within`.
    pub fn wait_exit(&mut self, within: Duration) -> anyhow::Result<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "{} still running after {within:?}:\n{}",
                    self.name,
                    self.output()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Kills the process at once (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProductProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- {} output ----\n{}", self.name, self.output());
        }
        self.kill();
    }
}
