//! `provisioner request`: make a user key locally, prove possession of it, ask the
//! provisioner for credentials and write a creds file (mode 0600) with the local seed;
//! with `--keep-fresh`, keep renewing it (`keep_fresh`).

mod keep_fresh;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use claims::KeyPair;
use clap::Args;

use crate::cli::connection::Connection;
use crate::cli::nats_args::NatsArgs;
use crate::client::{read_answer, request_body, served_region, Answer, Ask};
use crate::display::format_time;
use crate::exit::Outcome;

/// Arguments of `provisioner request`.
#[derive(Debug, Args)]
pub struct RequestArgs {
    #[command(flatten)]
    /// Connection.
    pub nats: NatsArgs,
    /// The user name to ask for.
    #[arg(long)]
    pub name: String,
    /// The tenant, when your identity does not imply it.
    #[arg(long)]
    pub tenant: Option<String>,
    /// An invite token.
    #[arg(long, env = "PROVISIONER_INVITE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// File holding an OpenID Connect ID token for the name (the tenant's `identity.oidc`).
    #[arg(long, env = "PROVISIONER_ID_TOKEN_FILE", value_name = "FILE")]
    pub id_token_file: Option<PathBuf>,
    /// Requested lifetime in seconds (the policy caps it).
    #[arg(long)]
    pub ttl: Option<u64>,
    /// A tag to ask for (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Where to write the creds file [default: NAME.creds].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Send the seed's plain-text request instead (the service then makes the seed).
    #[arg(long)]
    pub legacy: bool,
    /// Renew: ask for the same name with the key of the `--creds` file (the user's own
    /// current creds) instead of a new key; the new creds file holds that same seed.
    #[arg(long, conflicts_with = "legacy")]
    pub renew: bool,
    /// Stay running and keep the creds file fresh: renew at half the lifetime (with
    /// jitter, backing off on failures), rewrite the file atomically on each renewal and
    /// print it, until Ctrl-C. Renewals go over the `--creds` connection (with `--renew`,
    /// the user's own connection, which presents each renewed JWT).
    #[arg(long, conflicts_with = "legacy")]
    pub keep_fresh: bool,
}

/// Runs `request`.
///
/// # Errors
/// Connection, timeout and file errors; a policy denial is reported and exits 2.
pub fn run(args: &RequestArgs) -> anyhow::Result<Outcome> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(request(args))
}

async fn request(args: &RequestArgs) -> anyhow::Result<Outcome> {
    let target = args.nats.target()?;
    let mut connection = Connection::open(
        &target.nats_url,
        args.nats.creds.as_deref(),
        args.nats.inbox_prefix.as_deref(),
        args.nats.timeout,
    )
    .await?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.creds", args.name)));
    if args.legacy {
        let reply = connection
            .request(&target.subject, args.name.clone().into())
            .await?;
        if let Ok(Answer::Refused { status, error }) = read_answer(&reply) {
            eprintln!(
                "refused ({status} {}): {}",
                error.error.code, error.error.reason
            );
            return Ok(Outcome::Denied);
        }
        let text = String::from_utf8(reply.payload.to_vec()).context("reply is not text")?;
        let creds = claims::parse_creds(&text).context("reply is not a creds file")?;
        write_secret(&out, &text)?;
        let user = claims::UserClaims::decode(&creds.jwt)?;
        println!("wrote {} for `{}` ({})", out.display(), user.name, user.sub);
        println!("account {}, expires {}", user.account(), expiry(user.exp));
        return Ok(Outcome::Ok);
    }
    let user = if args.renew {
        renewing_key(args)?
    } else {
        KeyPair::new_user()
    };
    let ask = Ask {
        name: args.name.clone(),
        tenant: args.tenant.clone(),
        token: args.token.clone(),
        ttl: args.ttl,
        tags: args.tags.clone(),
        id_token: match &args.id_token_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading `{}`", path.display()))?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        },
    };
    let reply = connection
        .request(&target.subject, request_body(&user, &ask)?)
        .await?;
    let served = served_region(&reply).map(|r| format!(" in region {r}"));
    let served = served.unwrap_or_default();
    match read_answer(&reply)? {
        Answer::Refused { status, error } => {
            eprintln!(
                "refused{served} ({status} {}): {} [request {}]",
                error.error.code, error.error.reason, error.error.request_id
            );
            Ok(if status == 500 || status == 503 {
                Outcome::Error
            } else {
                Outcome::Denied
            })
        }
        Answer::Granted(granted) => {
            let seed = user.seed()?;
            let text = claims::format_creds(&granted.jwt, &seed);
            write_secret(&out, &text)?;
            println!("wrote {} for `{}`{served}", out.display(), granted.name);
            println!("user    {}", user.public_key());
            println!("account {}", granted.account);
            println!("expires {}", expiry(granted.expires));
            if !args.keep_fresh {
                return Ok(Outcome::Ok);
            }
            drop(connection);
            keep_fresh::keep_fresh(keep_fresh::FirstCreds {
                url: &target.nats_url,
                subject: &target.subject,
                ask: nats_creds_client::Ask {
                    name: args.name.clone(),
                    tenant: args.tenant.clone(),
                    ttl: args.ttl,
                    tags: args.tags.clone(),
                    token: None,
                    id_token: None,
                },
                creds: args.nats.creds.as_deref(),
                inbox_prefix: args.nats.inbox_prefix.as_deref(),
                own: args.renew,
                timeout: args.nats.timeout,
                out: &out,
                text: &text,
            })
            .await
        }
    }
}

/// The user key of the creds file the client connects with.
fn renewing_key(args: &RequestArgs) -> anyhow::Result<KeyPair> {
    let path = args
        .nats
        .creds
        .as_ref()
        .context("--renew needs --creds, the user's current creds file")?;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading creds `{}`", path.display()))?;
    let creds = claims::parse_creds(&text)
        .with_context(|| format!("creds `{}` are not a creds file", path.display()))?;
    creds
        .seed
        .key_pair()
        .with_context(|| format!("creds `{}` hold no usable seed", path.display()))
}

fn expiry(exp: i64) -> String {
    if exp == 0 {
        String::from("never")
    } else {
        format_time(exp)
    }
}

/// Writes a secret file with mode 0600 (created so, never widened).
///
/// # Errors
/// When the file cannot be written.
pub fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing `{}`", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing `{}`", path.display()))?;
    Ok(())
}
