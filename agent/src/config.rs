//! The agent's configuration: command-line flags (each with an `AGENT_*` variable) and an
//! optional TOML file, merged (flags win; tenants from both), checked before anything
//! connects.
//!
//! ```toml
//! server = "nats://127.0.0.1:4222"
//! creds = "agent.creds"            # relative paths are relative to this file
//! service = "storage"
//! site = "sto1"
//! quota = 10                       # resources per tenant at this site
//! account_jwts = ["jwt"]           # files or directories of account JWTs (tenant:<name> tags)
//! operator_jwt = "OP.jwt"          # the operator that must have signed them, or:
//! operator_keys = ["O…"]           # operator keys (identity or signing) that may sign them
//! [tenants]
//! acme = "A…"                      # tenant = account public key
//! [quotas]
//! acme = 25                        # per-tenant override
//! [handlers.folder]                # the program doing type `folder`'s work (see
//! argv = ["handlers/mkdir.sh"]     # `crate::exec::config`); without any [handlers]
//! ```                              # table the agent only stores records
//!
//! Not here: connecting (the binary) or serving (see [`crate::service`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;
use thiserror::Error;

use crate::exec::{HandlerFile, Handlers};
use crate::handler::Quotas;
use crate::subjects::{check_service, check_token, NameError};
use crate::tenants::{TenantError, TenantMap};
use crate::trust::{OperatorTrust, TrustError};

/// Resources per tenant at one site unless configured.
pub const DEFAULT_QUOTA: u64 = 100;
/// The default server.
pub const DEFAULT_SERVER: &str = "nats://127.0.0.1:4222";

/// The flags of the `agent` binary.
#[derive(Debug, Clone, Default, Args)]
pub struct AgentArgs {
    /// NATS server URL, or several separated by commas (the members of the agent's
    /// region, to fail over among) [default: nats://127.0.0.1:4222].
    #[arg(short = 's', long = "server", env = "AGENT_NATS_URL")]
    pub server: Option<String>,
    /// Creds file of the agent's user (in the services account).
    #[arg(long, env = "AGENT_CREDS", value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// This agent's site (a single subject token, e.g. `sto1`).
    #[arg(long, env = "AGENT_SITE")]
    pub site: Option<String>,
    /// The service name (letters, digits and `-`, e.g. `storage`).
    #[arg(long, env = "AGENT_SERVICE")]
    pub service: Option<String>,
    /// A tenant as NAME=ACCOUNT (repeatable).
    #[arg(
        long = "tenant",
        env = "AGENT_TENANTS",
        value_delimiter = ',',
        value_name = "NAME=ACCOUNT"
    )]
    pub tenants: Vec<String>,
    /// An account JWT file, or a directory of them; accounts tagged `tenant:<name>` become
    /// tenants (repeatable). Needs --operator-jwt or --operator-key: every one must be
    /// signed by the operator.
    #[arg(
        long = "account-jwt",
        env = "AGENT_ACCOUNT_JWTS",
        value_delimiter = ',',
        value_name = "PATH"
    )]
    pub account_jwts: Vec<PathBuf>,
    /// The operator JWT (the file the servers' `operator` setting names): account JWTs
    /// must be signed by the operator or one of its signing keys.
    #[arg(long, env = "AGENT_OPERATOR_JWT", value_name = "FILE")]
    pub operator_jwt: Option<PathBuf>,
    /// An operator public key (`O…`, identity or signing key) that may sign account JWTs
    /// (repeatable).
    #[arg(
        long = "operator-key",
        env = "AGENT_OPERATOR_KEYS",
        value_delimiter = ',',
        value_name = "KEY"
    )]
    pub operator_keys: Vec<String>,
    /// Resources per tenant at this site [default: 100].
    #[arg(long, env = "AGENT_QUOTA")]
    pub quota: Option<u64>,
    /// A queued request not finished this many seconds after the stream kept it ends
    /// as `error` (no agent of the site took it in time) and can be retried
    /// [default: 3600; 1 to 2592000].
    #[arg(long, env = "AGENT_QUEUED_DEADLINE_SECS", value_name = "SECS")]
    pub queued_deadline_secs: Option<u64>,
    /// The agent's own account public key [default: from the creds file's JWT].
    #[arg(long, env = "AGENT_ACCOUNT", value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// A TOML configuration file: every setting above, plus the handlers, the programs
    /// that do each resource type's work (`[handlers.<type>]` with `argv`,
    /// `timeout_secs`, `max_output_bytes`, `max_concurrent`, `env`; see the crate's
    /// README). Without a `[handlers]` table the agent only stores records; with one it
    /// refuses the types it has no handler for.
    #[arg(long, env = "AGENT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// NATS server URL.
    pub server: Option<String>,
    /// Creds file.
    pub creds: Option<PathBuf>,
    /// Service name.
    pub service: Option<String>,
    /// Site name.
    pub site: Option<String>,
    /// Default quota.
    pub quota: Option<u64>,
    /// Seconds a queued request may wait.
    pub queued_deadline_secs: Option<u64>,
    /// Account JWT files or directories.
    #[serde(default)]
    pub account_jwts: Vec<PathBuf>,
    /// The operator JWT.
    pub operator_jwt: Option<PathBuf>,
    /// Operator public keys that may sign account JWTs.
    #[serde(default)]
    pub operator_keys: Vec<String>,
    /// Tenant name → account public key.
    #[serde(default)]
    pub tenants: BTreeMap<String, String>,
    /// Tenant name → quota.
    #[serde(default)]
    pub quotas: BTreeMap<String, u64>,
    /// Resource type → its handler; `None` (no table at all) keeps the store-only agent.
    pub handlers: Option<BTreeMap<String, HandlerFile>>,
}

/// A configuration that cannot be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read.
    #[error("reading `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TOML file is not valid.
    #[error("config `{path}`: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// A required setting is missing.
    #[error("missing --{0} (or `{0}` in the config file)")]
    Missing(&'static str),
    /// A name is not a single token.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A tenant is not usable.
    #[error(transparent)]
    Tenant(#[from] TenantError),
    /// The operator is not usable.
    #[error(transparent)]
    Operator(#[from] TrustError),
    /// Account JWTs are given, but not the operator that must have signed them.
    #[error(
        "account JWTs need the operator that signs them: give --operator-jwt FILE or \
         --operator-key KEY (`operator_jwt` or `operator_keys` in the config file)"
    )]
    NoOperator,
    /// The creds file is not a creds file.
    #[error("creds `{path}`: {reason}")]
    Creds {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Neither a creds file nor `--account` tells the agent's own account.
    #[error("cannot tell the agent's own account: give --creds or --account")]
    NoOwnAccount,
    /// A handler is not usable (the message names its setting).
    #[error("config: {0}")]
    Handler(#[from] crate::exec::HandlerConfigError),
    /// No tenant is configured.
    #[error("no tenants: give --tenant NAME=ACCOUNT, --account-jwt or [tenants]")]
    NoTenants,
    /// A setting is out of range.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// NATS server URL.
    pub server: String,
    /// Creds file.
    pub creds: Option<PathBuf>,
    /// Service name.
    pub service: String,
    /// Site name.
    pub site: String,
    /// The agent's own account.
    pub own_account: String,
    /// Tenants.
    pub tenants: TenantMap,
    /// Quotas.
    pub quotas: Quotas,
    /// The handlers by resource type; `None`: the agent only stores records.
    pub handlers: Option<Handlers>,
    /// Seconds a queued request may wait before it ends as `error`.
    pub queued_deadline_secs: u64,
}

/// How long a queued request may wait by default: an hour.
pub const DEFAULT_QUEUED_DEADLINE_SECS: u64 = 3_600;
/// The longest a queued request may wait: 30 days.
pub const MAX_QUEUED_DEADLINE_SECS: u64 = 30 * 24 * 60 * 60;

impl AgentConfig {
    /// Merges the flags and the file they name, reads the creds file and account JWTs,
    /// and checks everything.
    ///
    /// # Errors
    /// [`ConfigError`].
    pub fn resolve(args: &AgentArgs) -> Result<Self, ConfigError> {
        let (file, base) = match &args.config {
            Some(path) => {
                let text = read(path)?;
                let file: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.message().to_owned(),
                })?;
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (file, base)
            }
            None => (FileConfig::default(), PathBuf::new()),
        };
        let service = args
            .service
            .clone()
            .or(file.service)
            .ok_or(ConfigError::Missing("service"))?;
        check_service(&service)?;
        let site = args
            .site
            .clone()
            .or(file.site)
            .ok_or(ConfigError::Missing("site"))?;
        check_token("site", &site)?;
        let creds = args.creds.clone().or(file.creds.map(|p| base.join(p)));
        let own_account = match (&args.account, &creds) {
            (Some(account), _) => account.clone(),
            (None, Some(path)) => own_account(path)?,
            (None, None) => return Err(ConfigError::NoOwnAccount),
        };
        let mut tenants = TenantMap::new();
        for (name, account) in &file.tenants {
            tenants.insert_from(name, account, "[tenants] in the config file")?;
        }
        for pair in &args.tenants {
            tenants.insert_pair(pair)?;
        }
        let jwt_paths: Vec<PathBuf> = file
            .account_jwts
            .iter()
            .map(|p| base.join(p))
            .chain(args.account_jwts.iter().cloned())
            .collect();
        let operator_jwt = args
            .operator_jwt
            .clone()
            .or(file.operator_jwt.map(|p| base.join(p)));
        let operator_keys = file.operator_keys.iter().chain(&args.operator_keys);
        let operator = operator_trust(operator_jwt.as_deref(), operator_keys)?;
        if !jwt_paths.is_empty() && operator.is_empty() {
            return Err(ConfigError::NoOperator);
        }
        for path in &jwt_paths {
            for file in jwt_files(path)? {
                let text = read(&file)?;
                tenants.insert_account_jwt(&file.display().to_string(), &text, &operator)?;
            }
        }
        if tenants.is_empty() {
            return Err(ConfigError::NoTenants);
        }
        for name in file.quotas.keys() {
            check_token("tenant", name)?;
        }
        let handlers = match &file.handlers {
            Some(tables) => Some(Handlers::from_tables(tables, &base)?),
            None => None,
        };
        let queued_deadline_secs = args
            .queued_deadline_secs
            .or(file.queued_deadline_secs)
            .unwrap_or(DEFAULT_QUEUED_DEADLINE_SECS);
        if !(1..=MAX_QUEUED_DEADLINE_SECS).contains(&queued_deadline_secs) {
            return Err(ConfigError::Invalid {
                field: "queued_deadline_secs",
                reason: format!("must be 1 to {MAX_QUEUED_DEADLINE_SECS} seconds"),
            });
        }
        Ok(AgentConfig {
            server: args
                .server
                .clone()
                .or(file.server)
                .unwrap_or_else(|| DEFAULT_SERVER.to_owned()),
            creds,
            service,
            site,
            own_account,
            tenants,
            quotas: Quotas {
                default: args.quota.or(file.quota).unwrap_or(DEFAULT_QUOTA),
                per_tenant: file.quotas,
            },
            handlers,
            queued_deadline_secs,
        })
    }
}

/// The operator keys account JWTs may be signed by: those of the operator JWT at `jwt`
/// and `keys`.
fn operator_trust<'a>(
    jwt: Option<&Path>,
    keys: impl Iterator<Item = &'a String>,
) -> Result<OperatorTrust, ConfigError> {
    let mut trust = OperatorTrust::new();
    if let Some(path) = jwt {
        trust.add_operator_jwt(&path.display().to_string(), &read(path)?)?;
    }
    for key in keys {
        trust.add_key(key)?;
    }
    Ok(trust)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

/// `path` itself, or the `*.jwt` files directly inside it when it is a directory, sorted.
fn jwt_files(path: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let err = |source| ConfigError::Read {
        path: path.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(err)? {
        let file = entry.map_err(err)?.path();
        if file.is_file() && file.extension().is_some_and(|e| e == "jwt") {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// The account of the user in creds file `path`.
///
/// # Errors
/// [`ConfigError::Read`], [`ConfigError::Creds`].
pub fn own_account(path: &Path) -> Result<String, ConfigError> {
    let text = read(path)?;
    let bad = |reason: String| ConfigError::Creds {
        path: path.to_owned(),
        reason,
    };
    let creds = claims::parse_creds(&text).map_err(|e| bad(e.to_string()))?;
    let user = claims::UserClaims::decode(&creds.jwt).map_err(|e| bad(e.to_string()))?;
    Ok(user.account().to_owned())
}

#[cfg(test)]
mod tests;
