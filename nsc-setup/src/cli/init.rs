//! `nsc-setup init`: build a new estate directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use nsc_setup::{InitExtras, InitOptions, Layout, ResolverKind, ServerSettings, ServiceSpec};

use super::portal::PortalArgs;
use super::regions::RegionArgs;

/// Seconds in a day, for `--history-days`.
const DAY_SECS: u64 = 86_400;

/// The resolver choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResolverArg {
    /// NATS-based: account JWTs in `<dir>/jwt`, updated by `push`.
    Full,
    /// Every account preloaded in `server.conf`.
    Memory,
}

impl From<ResolverArg> for ResolverKind {
    fn from(arg: ResolverArg) -> Self {
        match arg {
            ResolverArg::Full => ResolverKind::Full,
            ResolverArg::Memory => ResolverKind::Memory,
        }
    }
}

/// `init` arguments.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The estate directory to create (refused if it exists and is not empty).
    #[arg(long, env = "NSC_SETUP_DIR")]
    pub dir: PathBuf,
    /// The operator's name.
    #[arg(long, env = "NSC_SETUP_OPERATOR", default_value = "OP")]
    pub operator: String,
    /// A tenant (repeat, or comma-separate in the environment variable).
    #[arg(long = "tenant", env = "NSC_SETUP_TENANTS", value_delimiter = ',')]
    pub tenants: Vec<String>,
    /// The account resolver of `server.conf`.
    #[arg(long, env = "NSC_SETUP_RESOLVER", value_enum, default_value_t = ResolverArg::Full)]
    pub resolver: ResolverArg,
    /// Make tenants' minted-users signing keys scoped (the server applies the template).
    #[arg(long, env = "NSC_SETUP_SCOPED_KEYS")]
    pub scoped_keys: bool,
    /// Enable JetStream (store in `<dir>/js`; unlimited for AUTH and SERVICES).
    #[arg(long, env = "NSC_SETUP_JETSTREAM")]
    pub jetstream: bool,
    /// The server's client listen host.
    #[arg(long, env = "NSC_SETUP_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// The server's client listen port.
    #[arg(long, env = "NSC_SETUP_PORT", default_value_t = 4222)]
    pub port: u16,
    /// Replace an existing directory.
    #[arg(long, env = "NSC_SETUP_FORCE")]
    pub force: bool,
    /// Wire the estate for the provisioner's auth callout: AUTH's `authorization` block
    /// (auth_users, allowed_accounts, xkey), a default sentinel, the provisioner's
    /// callout keys and each tenant's callout credentials file.
    #[arg(long, env = "NSC_SETUP_CALLOUT")]
    pub callout: bool,
    /// With `--jetstream`: how many days the provisioner keeps its issuance history
    /// (`history_max_age_secs` in provisioner.toml); 0 writes nothing (its default).
    #[arg(
        long,
        env = "NSC_SETUP_HISTORY_DAYS",
        default_value_t = 90,
        value_parser = clap::value_parser!(u64).range(0..=36_500)
    )]
    pub history_days: u64,
    /// A provisioning service and its sites, `NAME:SITE[,SITE...]` (repeat; in the
    /// environment variable, separate services with spaces). Builds the isolated layout:
    /// per service and site an agent user `agent-NAME-SITE` that reaches only its own
    /// subjects, KV bucket and queued requests' consumer `site-SITE` on stream
    /// `svcq_NAME`, per service an admin `admin-NAME` for `svc.NAME.admin.>`,
    /// and exports of these services' subjects only. Without it, one `agent` user serves
    /// every service and tenants import `svc.>`. Service names: letters, digits, `-`;
    /// sites: letters, digits, `_`, `-`, not `admin`.
    #[arg(
        long = "service",
        env = "NSC_SETUP_SERVICES",
        value_delimiter = ' ',
        value_name = "NAME:SITE[,SITE...]"
    )]
    pub services: Vec<String>,
    /// The portal (the tenant self-service HTTP API).
    #[command(flatten)]
    pub portal: PortalArgs,
    /// The multi-region layout.
    #[command(flatten)]
    pub regions: RegionArgs,
}

/// Builds and writes the estate, then prints where things are.
pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let options = InitOptions {
        dir: args.dir.clone(),
        operator: args.operator.clone(),
        tenants: args.tenants.clone(),
        scoped_keys: args.scoped_keys,
        server: ServerSettings {
            resolver: args.resolver.into(),
            host: args.host.clone(),
            port: args.port,
            jetstream: args.jetstream,
        },
        force: args.force,
        callout: args.callout,
    };
    let extras = InitExtras {
        portal: args.portal.settings(&service_names(&args.services)),
        history_max_age_secs: Some(args.history_days * DAY_SECS),
    };
    let written = args
        .services
        .iter()
        .map(|text| ServiceSpec::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(nsc_setup::StoreError::from)
        .and_then(|services| {
            nsc_setup::init_regions(&options, &extras, &services, &args.regions.spec())
        })
        .with_context(|| format!("initializing `{}`", args.dir.display()))?;
    let layout = Layout::new(&written.dir);
    println!(
        "wrote {} files for operator {} ({} tenants) in {}",
        written.files.len(),
        written.estate.operator.name,
        written.estate.tenants().count(),
        written.dir.display()
    );
    println!(
        "  server:      nats-server -c {}",
        layout.server_conf().display()
    );
    println!("  provisioner: {}", layout.provisioner_toml().display());
    print!("{}", nsc_setup::regions_describe::table(&written.dir));
    if let Some(portal) = &extras.portal {
        println!(
            "  portal:      portal serve --config {}",
            layout.portal_toml().display()
        );
        if portal.oidc.is_none() {
            println!(
                "               no OpenID Connect issuer given (--oidc-issuer ...): fill in each \
                 tenant's identity.oidc in {} (written commented out) before starting the portal",
                layout.policy_toml().display()
            );
        }
    }
    for line in super::describe::identity_lines(&written.estate, &layout) {
        println!("  {line}");
    }
    println!("  nsc:         source {}", layout.env_file().display());
    Ok(ExitCode::SUCCESS)
}

/// The service names of `--service NAME:SITE,...` values.
fn service_names(specs: &[String]) -> Vec<String> {
    specs
        .iter()
        .filter_map(|s| s.split(':').next())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}
