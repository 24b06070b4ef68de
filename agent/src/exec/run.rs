//! Running one handler: the program with a scrubbed environment and the document on
//! stdin, at most `max_concurrent` of a type at once, stdout read up to its cap, the last
//! part of stderr kept for the error message, and the whole process group killed at the
//! timeout.
//!
//! The program leads its own process group, so a timeout (or an oversized output, or the
//! agent dropping the request) kills everything it started, not only the shell.
//! Not here: what the document holds or what the output means (see [`super::document`]).

use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::Command;
use tokio::sync::Semaphore;

use super::config::HandlerConfig;
use super::document::{failure_message, success_details, HandlerInput};
use crate::contract::Details;

/// The `PATH` a handler gets unless its `env` sets one.
pub const DEFAULT_PATH: &str = "/usr/bin:/bin";
/// Bytes of stderr kept (its end) for the error message.
pub const STDERR_KEPT_BYTES: usize = 8 * 1024;

/// Why a handler run failed; the text is shown to the user (it holds the handler's own
/// message, never the spec or the agent's secrets).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The program could not be started.
    #[error("the handler could not be started: {reason}")]
    Spawn {
        /// The OS error.
        reason: String,
    },
    /// It ran longer than its timeout and was killed.
    #[error("the handler did not finish within {} s and was stopped", .timeout.as_secs())]
    TimedOut {
        /// The timeout.
        timeout: Duration,
    },
    /// It printed more than its cap and was killed.
    #[error("the handler printed more than {limit} bytes and was stopped")]
    OutputTooLarge {
        /// The cap.
        limit: usize,
    },
    /// It exited 0 but its stdout is not the contract's.
    #[error("the handler's output is not valid: {reason}")]
    BadOutput {
        /// Why.
        reason: &'static str,
    },
    /// It exited non-zero (or was killed by a signal): its own message.
    #[error("{message}")]
    Failed {
        /// What it said, or its exit status when it said nothing.
        message: String,
    },
    /// Reading from or waiting for it failed.
    #[error("the handler could not be run: {reason}")]
    Io {
        /// The OS error.
        reason: String,
    },
}

/// One resource type's handler with its concurrency limit; clones share the limit.
#[derive(Debug, Clone)]
pub struct Handler {
    config: Arc<HandlerConfig>,
    permits: Arc<Semaphore>,
}

impl Handler {
    /// The handler `config` describes.
    pub fn new(config: HandlerConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.max_concurrent));
        Handler {
            config: Arc::new(config),
            permits,
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &HandlerConfig {
        &self.config
    }

    /// Runs the program on `input` (waiting for a free slot first) and logs the run:
    /// type, operation, resource id, duration and outcome, never the spec.
    ///
    /// # Errors
    /// [`HandlerError`].
    pub async fn run(&self, input: &HandlerInput<'_>) -> Result<Details, HandlerError> {
        let _permit = self.permits.acquire().await.map_err(|e| HandlerError::Io {
            reason: e.to_string(),
        })?;
        let started = Instant::now();
        let result = self.run_once(input).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(details) => tracing::info!(
                resource_type = %input.resource_type,
                operation = input.operation.name(),
                resource_id = %input.resource_id,
                duration_ms,
                outcome = "ok",
                details = details.len(),
                "handler ran"
            ),
            Err(err) => tracing::warn!(
                resource_type = %input.resource_type,
                operation = input.operation.name(),
                resource_id = %input.resource_id,
                duration_ms,
                outcome = "failed",
                error = %err,
                "handler ran"
            ),
        }
        result
    }

    async fn run_once(&self, input: &HandlerInput<'_>) -> Result<Details, HandlerError> {
        let config = &self.config;
        let io = |e: std::io::Error| HandlerError::Io {
            reason: e.to_string(),
        };
        let document = serde_json::to_vec(input).map_err(|e| HandlerError::Io {
            reason: e.to_string(),
        })?;
        let mut child = Command::new(&config.program)
            .args(&config.args)
            .env_clear()
            .env("PATH", DEFAULT_PATH)
            .envs(&config.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| HandlerError::Spawn {
                reason: e.to_string(),
            })?;
        let group = ProcessGroup::of(child.id());
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let limit = config.max_output_bytes;
        let work = async {
            let write = async {
                if let Some(mut stdin) = stdin {
                    // A handler may exit without reading its input; that is its business.
                    let _ = stdin.write_all(&document).await;
                }
            };
            let read_out = async {
                let out = read_capped(stdout, limit).await;
                if matches!(out, Err(OutputError::TooLarge)) {
                    group.kill();
                }
                out
            };
            let (_, out, err, status) = tokio::join!(
                write,
                read_out,
                read_tail(stderr, STDERR_KEPT_BYTES),
                child.wait()
            );
            (out, err, status)
        };
        let Ok((out, err, status)) = tokio::time::timeout(config.timeout, work).await else {
            group.kill();
            // Reaps it; an error means it is gone already.
            let _ = child.kill().await;
            group.disarm();
            return Err(HandlerError::TimedOut {
                timeout: config.timeout,
            });
        };
        group.disarm();
        let stdout = match out {
            Ok(stdout) => stdout,
            Err(OutputError::TooLarge) => return Err(HandlerError::OutputTooLarge { limit }),
            Err(OutputError::Io(e)) => return Err(io(e)),
        };
        let status = status.map_err(io)?;
        if status.success() {
            return success_details(&stdout).map_err(|reason| HandlerError::BadOutput { reason });
        }
        let stderr = err.map_err(io)?;
        let message = failure_message(&stdout, &stderr).unwrap_or_else(|| describe(status));
        Err(HandlerError::Failed { message })
    }
}

/// "exited with status 3" or "was killed by signal 9".
fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("the handler exited with status {code}"),
        (None, Some(signal)) => format!("the handler was killed by signal {signal}"),
        (None, None) => String::from("the handler failed"),
    }
}

enum OutputError {
    TooLarge,
    Io(std::io::Error),
}

/// All of `pipe` if it is at most `limit` bytes.
async fn read_capped(
    pipe: Option<impl AsyncRead + Unpin>,
    limit: usize,
) -> Result<Vec<u8>, OutputError> {
    let Some(pipe) = pipe else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    pipe.take(most)
        .read_to_end(&mut out)
        .await
        .map_err(OutputError::Io)?;
    if out.len() > limit {
        return Err(OutputError::TooLarge);
    }
    Ok(out)
}

/// The last `keep` bytes (about) of `pipe`, read to its end so the program never blocks
/// on a full stderr.
async fn read_tail(
    pipe: Option<impl AsyncRead + Unpin>,
    keep: usize,
) -> Result<Vec<u8>, std::io::Error> {
    let Some(mut pipe) = pipe else {
        return Ok(Vec::new());
    };
    let mut kept = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let n = pipe.read(&mut chunk).await?;
        if n == 0 {
            return Ok(kept);
        }
        kept.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if kept.len() > keep.saturating_mul(2) {
            kept.drain(..kept.len().saturating_sub(keep));
        }
    }
}

/// The process group a handler leads: killed on [`ProcessGroup::kill`], and on drop
/// unless disarmed, so a request the agent gives up on leaves nothing running.
struct ProcessGroup {
    leader: Option<rustix::process::Pid>,
    armed: AtomicBool,
}

impl ProcessGroup {
    fn of(pid: Option<u32>) -> Self {
        let leader = pid
            .and_then(|p| i32::try_from(p).ok())
            .and_then(rustix::process::Pid::from_raw);
        ProcessGroup {
            leader,
            armed: AtomicBool::new(true),
        }
    }

    fn kill(&self) {
        if let Some(leader) = self.leader {
            // ESRCH: everyone in it is gone already.
            let _ = rustix::process::kill_process_group(leader, rustix::process::Signal::KILL);
        }
    }

    /// The leader was reaped normally: its id may be reused, so never signal it again.
    fn disarm(&self) {
        self.armed.store(false, Ordering::SeqCst);
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if self.armed.load(Ordering::SeqCst) {
            self.kill();
        }
    }
}
