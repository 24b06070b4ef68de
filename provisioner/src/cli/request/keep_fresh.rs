//! `provisioner request --keep-fresh`: after the first creds are written, renew them with
//! the `nats-creds-client` library until Ctrl-C, rewriting the creds file atomically (a
//! reader sees the old file or the new one, never half of one) and printing each renewal.
//!
//! Renewals go over a connection with the `--creds` file's user: a tenant's bootstrap
//! user (vouched for through the tenant's import, like the first request) or, with
//! `--renew`, the user's own creds, whose connection then presents each renewed JWT
//! (the tenant's `identity.renewal`, and a grant of the request subject, must allow it).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use nats_creds_client::{Ask, FreshCreds, RenewalEvent, RenewalOptions};
use tokio::sync::broadcast::error::RecvError;

use crate::cli::connection::client_options;
use crate::display::format_time;
use crate::exit::Outcome;

/// What `--keep-fresh` needs from the first request: where it went, what it asked for
/// and what it wrote.
pub struct FirstCreds<'a> {
    /// The server URL.
    pub url: &'a str,
    /// The request subject.
    pub subject: &'a str,
    /// What renewals ask for (without the first request's invite or ID token).
    pub ask: Ask,
    /// The `--creds` file of the connection that made the first request.
    pub creds: Option<&'a Path>,
    /// `--inbox-prefix`.
    pub inbox_prefix: Option<&'a str>,
    /// Whether `--creds` holds the user's own creds (`--renew`).
    pub own: bool,
    /// How long a request waits for its reply.
    pub timeout: Duration,
    /// The creds file written.
    pub out: &'a Path,
    /// Its text.
    pub text: &'a str,
}

/// Keeps `first.out` fresh until Ctrl-C.
///
/// # Errors
/// When the creds cannot be read back or the renewal connection cannot be made.
pub async fn keep_fresh(first: FirstCreds<'_>) -> anyhow::Result<Outcome> {
    let options = RenewalOptions {
        subject: first.subject.to_owned(),
        request_timeout: first.timeout,
        ..RenewalOptions::default()
    };
    let fresh = FreshCreds::from_creds(first.text, first.ask.for_renewal(), options)
        .context("reading back the creds just written")?;
    let mut events = fresh.subscribe();
    let _renewal = if first.own {
        let own = fresh
            .connect_options()
            .connect(first.url)
            .await
            .with_context(|| format!("connecting to `{}` with the renewed creds", first.url))?;
        fresh.spawn_renewal(own.clone(), Some(own))
    } else {
        let requester = client_options(first.creds, first.inbox_prefix)?
            .connect(first.url)
            .await
            .with_context(|| format!("connecting to `{}`", first.url))?;
        fresh.spawn_renewal(requester, None)
    };
    println!("keeping {} fresh until Ctrl-C", first.out.display());
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            stop = &mut ctrl_c => {
                stop.context("waiting for Ctrl-C")?;
                println!("stopped; {} holds the last renewed creds", first.out.display());
                return Ok(Outcome::Ok);
            }
            event = events.recv() => match event {
                Ok(RenewalEvent::Renewed { expires }) => {
                    write_atomically(first.out, &fresh.creds_file()?)?;
                    let expires = format_time(expires);
                    println!("renewed: wrote {}, expires {expires}", first.out.display());
                }
                Ok(RenewalEvent::Failed { reason, retry_in }) => {
                    eprintln!("renewal failed: {reason}; retrying in {retry_in:.1?}");
                }
                // Missed events only delay a rewrite to the next one.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => anyhow::bail!("the renewal task stopped"),
            }
        }
    }
}

/// Writes a secret file (mode 0600) beside `path` and renames it over `path`.
///
/// # Errors
/// When the file cannot be written or renamed.
pub fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut name = path
        .file_name()
        .context("the creds path names no file")?
        .to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    let temporary: PathBuf = path.with_file_name(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("writing `{}`", temporary.display()))?;
    #[cfg(unix)]
    {
        // A file left by an earlier run keeps its mode on open: narrow it first.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing `{}`", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing `{}`", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_the_file_and_keeps_it_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alice.creds");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
