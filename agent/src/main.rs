//! `agent`: the reference provisioning agent of one site. `main` parses the flags, checks
//! the configuration (bad configuration: one stderr line, exit 64), connects, opens the
//! site's KV bucket and serves until SIGTERM or SIGINT, then drains.
//!
//! Logs go to stderr: `AGENT_LOG` (EnvFilter syntax, default `info`), `AGENT_LOG_FORMAT`
//! `plain` (default) or `json`.

use std::process::ExitCode;
use std::sync::Arc;

use agent::{Agent, AgentArgs, AgentConfig, ResourceStore};
use anyhow::Context as _;
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Exit code for bad configuration (sysexits `EX_USAGE`).
const EXIT_BAD_CONFIG: u8 = 64;

/// The reference provisioning agent of one site.
#[derive(Debug, Parser)]
#[command(author, version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    args: AgentArgs,
    /// Without a subcommand the agent serves its site.
    #[command(subcommand)]
    command: Option<Command>,
}

/// What else the binary does.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// A service admin's approvals at a site: list, show ID, approve ID, deny ID --reason.
    Approvals(agent::approvals_cli::ApprovalsArgs),
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    if let Some(Command::Approvals(args)) = &cli.command {
        return agent::approvals_cli::run(args);
    }
    let config = match AgentConfig::resolve(&cli.args) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("agent: {err}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(run(config)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "agent failed");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = EnvFilter::try_from_env("AGENT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("AGENT_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn run(config: AgentConfig) -> anyhow::Result<()> {
    tracing::info!(
        service = %config.service,
        site = %config.site,
        own_account = %config.own_account,
        tenants = config.tenants.len(),
        handlers = ?config.handlers.as_ref().map(agent::Handlers::types),
        "configuration loaded"
    );
    let mut options = match &config.creds {
        Some(path) => async_nats::ConnectOptions::with_credentials_file(path)
            .await
            .with_context(|| format!("reading creds `{}`", path.display()))?,
        None => async_nats::ConnectOptions::new(),
    };
    // Replies (the KV's among them) come back on the user's private inbox, the only
    // one an isolated agent identity (`nsc-setup --service`) may subscribe to.
    if let Some(prefix) = config
        .creds
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| claims::creds_inbox_prefix(&text))
    {
        options = options.custom_inbox_prefix(prefix);
    }
    let client = options
        .name(format!("agent {} {}", config.service, config.site))
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("connected"),
                async_nats::Event::Disconnected => tracing::warn!("disconnected; reconnecting"),
                other => tracing::warn!(event = %other, "nats event"),
            }
        })
        .connect(agent::servers::server_addrs(&config.server)?)
        .await
        .with_context(|| format!("connecting to `{}`", config.server))?;
    let js = async_nats::jetstream::new(client.clone());
    let bucket = agent::subjects::bucket(&config.service, &config.site);
    let store = ResourceStore::open(&js, &bucket)
        .await
        .with_context(|| format!("opening bucket `{bucket}`"))?;
    let book = agent::queued::Book::open(&js, &bucket)
        .await
        .with_context(|| format!("opening the lifecycle records in `{bucket}`"))?;
    let longest = config
        .handlers
        .as_ref()
        .map_or(std::time::Duration::ZERO, agent::Handlers::longest_timeout);
    let queue = agent::queued::Queue {
        deadline_secs: i64::try_from(config.queued_deadline_secs).unwrap_or(i64::MAX),
        // Past the longest handler run, a request not acknowledged is taken again.
        ack_wait: longest + agent::queued::settings::ACK_MARGIN,
    };
    let agent = Arc::new(Agent {
        service: config.service,
        site: config.site,
        own_account: config.own_account,
        tenants: config.tenants,
        quotas: config.quotas,
        store,
        js,
        handlers: config.handlers,
        book,
        queue,
    });
    // Slots held by allocations whose agent died are given back (or, when their record
    // may still be at work, at the first allocation that needs them).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    for tenant in agent.tenants.tenants() {
        match agent::quota::reconcile(&agent.store, &agent.book, tenant, now).await {
            Ok(found) => tracing::debug!(tenant, taken = found.after, "quota slots checked"),
            Err(err) => tracing::warn!(tenant, error = %err, "checking the quota slots failed"),
        }
    }
    let worker = Arc::clone(&agent);
    tokio::spawn(async move {
        if let Err(err) = agent::queued::run(&worker, &worker.book, worker.queue).await {
            tracing::error!(error = %err, "queued requests are not taken");
        }
    });
    agent::service::run(client, agent, shutdown_signal()?).await?;
    tracing::info!("stopped");
    Ok(())
}

fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = int.recv() => tracing::info!("SIGINT: shutting down"),
        }
    })
}
