//! The `[handlers.<type>]` tables of the agent's TOML file, and their checks at start-up.
//!
//! ```toml
//! [handlers.folder]                  # resource type `folder`
//! argv = ["./handlers/mkdir.sh", "--root", "/srv/folders"]   # relative to the config file
//! timeout_secs = 30                  # default 30
//! max_output_bytes = 65536           # stdout cap, default 64 KiB
//! max_concurrent = 4                 # default 4
//! env = { FOLDER_ROOT = "/srv" }     # the program's whole environment, with PATH
//! requires_approval = false          # default false
//! ```
//!
//! `argv` is a program and its arguments, never a shell string: nothing in it is expanded
//! or split, so no part of a request can become a command. The program must exist and be
//! executable when the agent starts, so a typo is exit 64 and not a failed request later.
//! Pure apart from looking at the program file. Not here: running it (see
//! [`super::run`]).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use thiserror::Error;

use crate::contract::check_resource_type;

/// Seconds a handler may run unless configured.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// The longest timeout: a request waits for its handler, so hours make no sense here.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// Bytes of stdout read unless configured.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 64 * 1024;
/// The largest stdout cap: the details go into one NATS reply.
pub const MAX_OUTPUT_BYTES: usize = 512 * 1024;
/// Runs of one type at once unless configured.
pub const DEFAULT_MAX_CONCURRENT: usize = 4;
/// The most runs of one type at once.
pub const MAX_CONCURRENT: usize = 256;

/// One `[handlers.<type>]` table as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlerFile {
    /// The program (relative paths are relative to the config file) and its arguments.
    pub argv: Vec<String>,
    /// Seconds before the program's process group is killed.
    pub timeout_secs: Option<u64>,
    /// Bytes of stdout read at most; more is a failure.
    pub max_output_bytes: Option<usize>,
    /// Runs of this type at once.
    pub max_concurrent: Option<usize>,
    /// The only variables the program sees besides `PATH`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Whether a request of this type waits for a service admin's approval.
    #[serde(default)]
    pub requires_approval: bool,
}

/// A checked handler: what runs for one resource type, and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerConfig {
    /// The resource type it serves.
    pub resource_type: String,
    /// The program, resolved against the config file's directory.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// How long it may run.
    pub timeout: Duration,
    /// Bytes of stdout read at most.
    pub max_output_bytes: usize,
    /// Runs at once.
    pub max_concurrent: usize,
    /// Its environment besides `PATH` (which this may override).
    pub env: BTreeMap<String, String>,
    /// Kept for approval: a request of this type waits for a service admin.
    pub requires_approval: bool,
}

/// A `[handlers.<type>]` table that cannot be used; `field` is its TOML path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid `{field}`: {reason}")]
pub struct HandlerConfigError {
    /// The setting, e.g. `handlers.folder.argv`.
    pub field: String,
    /// Why.
    pub reason: String,
}

impl HandlerConfig {
    /// Checks the table of `resource_type`, resolving a relative program against `base`
    /// (the config file's directory).
    ///
    /// # Errors
    /// [`HandlerConfigError`] naming the first bad setting.
    pub fn from_file(
        resource_type: &str,
        file: &HandlerFile,
        base: &Path,
    ) -> Result<Self, HandlerConfigError> {
        let refuse = |key: &str, reason: String| {
            let field = if key.is_empty() {
                format!("handlers.{resource_type}")
            } else {
                format!("handlers.{resource_type}.{key}")
            };
            Err(HandlerConfigError { field, reason })
        };
        if let Err(reason) = check_resource_type(resource_type) {
            return refuse("", format!("not a resource type name: {reason}"));
        }
        let Some((program, args)) = file.argv.split_first() else {
            return refuse("argv", String::from("it is empty; give the program first"));
        };
        if program.is_empty() || file.argv.iter().any(|a| a.contains('\0')) {
            return refuse("argv", String::from("empty program or a NUL character"));
        }
        // Absolute now, so the agent's working directory never changes what runs.
        let program =
            std::path::absolute(base.join(program)).unwrap_or_else(|_| base.join(program));
        if let Err(reason) = check_executable(&program) {
            return refuse("argv", format!("`{}` {reason}", program.display()));
        }
        let timeout_secs = file.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
        if !(1..=MAX_TIMEOUT_SECS).contains(&timeout_secs) {
            return refuse(
                "timeout_secs",
                format!("it must be 1 to {MAX_TIMEOUT_SECS}"),
            );
        }
        let max_output_bytes = file.max_output_bytes.unwrap_or(DEFAULT_MAX_OUTPUT_BYTES);
        if !(1..=MAX_OUTPUT_BYTES).contains(&max_output_bytes) {
            return refuse(
                "max_output_bytes",
                format!("it must be 1 to {MAX_OUTPUT_BYTES}"),
            );
        }
        let max_concurrent = file.max_concurrent.unwrap_or(DEFAULT_MAX_CONCURRENT);
        if !(1..=MAX_CONCURRENT).contains(&max_concurrent) {
            return refuse(
                "max_concurrent",
                format!("it must be 1 to {MAX_CONCURRENT}"),
            );
        }
        for (name, value) in &file.env {
            if !is_variable_name(name) {
                return refuse(
                    "env",
                    format!("`{name}` is not a variable name (letters, digits, `_`)"),
                );
            }
            if value.contains('\0') {
                return refuse("env", format!("the value of `{name}` has a NUL character"));
            }
        }
        Ok(HandlerConfig {
            resource_type: resource_type.to_owned(),
            program,
            args: args.to_vec(),
            timeout: Duration::from_secs(timeout_secs),
            max_output_bytes,
            max_concurrent,
            env: file.env.clone(),
            requires_approval: file.requires_approval,
        })
    }
}

/// Whether `path` is a file someone may execute (the kernel decides the rest at spawn).
fn check_executable(path: &Path) -> Result<(), &'static str> {
    let meta = std::fs::metadata(path).map_err(|_| "does not exist or cannot be read")?;
    if !meta.is_file() {
        return Err("is not a file");
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err("is not executable (chmod +x)");
    }
    Ok(())
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(argv: &[&str]) -> HandlerFile {
        HandlerFile {
            argv: argv.iter().map(|s| (*s).to_owned()).collect(),
            timeout_secs: None,
            max_output_bytes: None,
            max_concurrent: None,
            env: BTreeMap::new(),
            requires_approval: false,
        }
    }

    fn script(dir: &Path, name: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn defaults_and_a_program_relative_to_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("handlers")).unwrap();
        script(&dir.path().join("handlers"), "mkdir.sh", 0o755);
        let config =
            HandlerConfig::from_file("folder", &file(&["handlers/mkdir.sh", "-x"]), dir.path())
                .unwrap();
        assert_eq!(config.program, dir.path().join("handlers/mkdir.sh"));
        assert_eq!(config.args, ["-x"]);
        assert_eq!(config.timeout, Duration::from_secs(30));
        assert_eq!(config.max_output_bytes, 64 * 1024);
        assert_eq!(config.max_concurrent, 4);
        assert!(!config.requires_approval);
    }

    #[test]
    fn each_bad_setting_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let ok = script(dir.path(), "ok.sh", 0o700);
        script(dir.path(), "plain.txt", 0o644);
        let ok = ok.to_str().unwrap();
        let refusal = |t: &str, f: HandlerFile| {
            HandlerConfig::from_file(t, &f, dir.path())
                .unwrap_err()
                .to_string()
        };
        let with = |change: &dyn Fn(&mut HandlerFile)| {
            let mut f = file(&[ok]);
            change(&mut f);
            f
        };
        for (got, field, why) in [
            (
                refusal("a b", file(&[ok])),
                "handlers.a b`",
                "resource type",
            ),
            (refusal("t", file(&[])), "handlers.t.argv`", "empty"),
            (
                refusal("t", file(&["nope.sh"])),
                "handlers.t.argv`",
                "exist",
            ),
            (
                refusal("t", file(&["plain.txt"])),
                "handlers.t.argv`",
                "executable",
            ),
            (refusal("t", file(&["."])), "handlers.t.argv`", "not a file"),
            (
                refusal("t", with(&|f| f.timeout_secs = Some(0))),
                "handlers.t.timeout_secs`",
                "1 to 3600",
            ),
            (
                refusal("t", with(&|f| f.max_output_bytes = Some(0))),
                "handlers.t.max_output_bytes`",
                "1 to",
            ),
            (
                refusal("t", with(&|f| f.max_concurrent = Some(0))),
                "handlers.t.max_concurrent`",
                "1 to 256",
            ),
            (
                refusal(
                    "t",
                    with(&|f| f.env = BTreeMap::from([("A=B".into(), "x".into())])),
                ),
                "handlers.t.env`",
                "`A=B` is not a variable name",
            ),
        ] {
            assert!(got.contains(field), "{got}");
            assert!(got.contains(why), "{got}");
        }
    }
}
