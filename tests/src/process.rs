//! The product's binaries as processes: find them (built once, before the tests run),
//! start them with arguments, wait for a log line, stop them with SIGTERM and read their
//! exit status.
//!
//! Output goes to a file in the process's own temp dir so that failing tests can show
//! it. Not here: the binaries' behaviour (the suites assert that).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;

/// How often log files are polled.
const POLL: Duration = Duration::from_millis(10);

/// How long a log line may take to appear after the event it reports (a loaded 2-core
/// machine can take seconds).
pub const LOG_WAIT: Duration = Duration::from_secs(15);

/// Where the test command says the binaries are (it builds them all once, before any
/// test starts).
pub const BIN_DIR_ENV: &str = "PRODUCT_BIN_DIR";

/// How to build the binaries when they are missing or older than the sources.
const BUILD_HINT: &str = "build every binary first with `cargo test --workspace --no-run` \
     (`./scripts/test.sh` does this before running the tests)";

/// Path of a workspace binary (its package has the same name).
///
/// Tests never build: running `cargo build` from inside a test resolves features for one
/// package instead of the workspace, so it recompiles half the dependency tree and
/// overwrites the binary the workspace build made (minutes per run, and a race between
/// test binaries). The binary is taken from `PRODUCT_BIN_DIR` when set, else from the
/// profile folder of the running test, and refused when a source file it is built from
/// is newer.
///
/// # Errors
/// When the binary is missing or older than a source file, with the build command.
pub fn workspace_bin(name: &str) -> anyhow::Result<PathBuf> {
    let dir = match std::env::var_os(BIN_DIR_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => profile_dir()?,
    };
    let bin = dir.join(name);
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .map_err(|_| anyhow::anyhow!("binary `{}` not found: {BUILD_HINT}", bin.display()))?;
    if let Some(newer) = newest_source_after(&bin, built) {
        anyhow::bail!(
            "binary `{}` is older than `{}`: {BUILD_HINT}",
            bin.display(),
            newer.display()
        );
    }
    Ok(bin)
}

/// `<target>/<profile>` of the running test binary (`<target>/<profile>/deps/<test>`).
fn profile_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .context("locating the target directory")
}

/// A source file of `bin`'s package, or of a workspace crate it depends on, modified
/// after `built`, if any (also their `Cargo.toml`s). Not the lock file: a dependency
/// added for another crate changes it without touching this binary, which cargo then
/// rightly leaves as it is; a change that does concern the binary comes with a change
/// of one of these `Cargo.toml`s.
fn newest_source_after(bin: &Path, built: SystemTime) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let newer = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified > built)
    };
    let package = bin.file_name()?.to_str()?;
    let mut stack: Vec<PathBuf> = workspace_crates_of(root, package)
        .iter()
        .map(|name| root.join(name))
        .collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                // Tests, benches and build output do not go into the binaries.
                if !matches!(
                    entry.file_name().to_str(),
                    Some("tests" | "benches" | "target")
                ) {
                    stack.push(path);
                }
            } else if is_source(&path) && newer(&path) {
                return Some(path);
            }
        }
    }
    None
}

/// `package` and every workspace crate it depends on (directly or not), by folder name:
/// the `[dependencies]` of each `Cargo.toml` that name a folder of the workspace.
fn workspace_crates_of(root: &Path, package: &str) -> Vec<String> {
    let mut found = vec![package.to_owned()];
    let mut next = 0;
    while let Some(name) = found.get(next).cloned() {
        next += 1;
        let manifest =
            std::fs::read_to_string(root.join(&name).join("Cargo.toml")).unwrap_or_default();
        let mut in_dependencies = false;
        for line in manifest.lines().map(str::trim) {
            if line.starts_with('[') {
                in_dependencies = line == "[dependencies]";
                continue;
            }
            let dependency = line.split(['.', '=', ' ']).next().unwrap_or("");
            let is_member = root.join(dependency).join("Cargo.toml").is_file();
            if in_dependencies
                && !dependency.is_empty()
                && is_member
                && !found.iter().any(|f| f == dependency)
            {
                found.push(dependency.to_owned());
            }
        }
    }
    found
}

fn is_source(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
        || path.file_name().is_some_and(|n| n == "Cargo.toml")
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

    /// Waits until the output holds `needle` at least `count` times, and returns the
    /// output. For assertions on log lines a process writes after it answered: the
    /// client can see the answer before the line is written.
    ///
    /// # Errors
    /// When the process exits first or `within` passes; the error holds the output.
    pub fn wait_for_count(
        &mut self,
        needle: &str,
        count: usize,
        within: Duration,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + within;
        loop {
            let output = self.output();
            if output.matches(needle).count() >= count {
                return Ok(output);
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "{} exited ({status}) before {count} × `{needle}`:\n{output}",
                    self.name
                );
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "fewer than {count} × `{needle}` from {} within {within:?}:\n{output}",
                    self.name
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unwrap_used, reason = "test")]
    fn a_binary_is_checked_against_the_crates_it_is_built_from_only() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let agent = workspace_crates_of(root, "agent");
        assert!(agent.contains(&String::from("claims")), "{agent:?}");
        assert!(!agent.contains(&String::from("nsc-setup")), "{agent:?}");
        let provisioner = workspace_crates_of(root, "provisioner");
        for name in [
            "provisioner",
            "claims",
            "policy",
            "oidc",
            "registry",
            "agent",
        ] {
            assert!(provisioner.contains(&String::from(name)), "{provisioner:?}");
        }
    }
}
