//! `provisioner serve`: validate the configuration, connect, serve credential requests
//! until SIGTERM or SIGINT (then drain), reload the policy on SIGHUP.
//!
//! Bad configuration is one stderr line and exit 64, before anything connects; so is a
//! server too old to rebuild `Nats-Request-Info` on leaf node connections, right after
//! connecting (`server_version`).

mod registry_open;
mod server_version;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_nats::jetstream;
use oidc::remote::{http_client, JwksCache, JwksRefresher};
use registry::revoke::Revoker;
use tokio::sync::watch;

use crate::admin::{self, Readiness};
use crate::caller_jwts::CallerJwts;
use claims::{KeyKind, KeyPair};

use crate::config::runtime::{load_runtime, own_account, Runtime};
use crate::config::{ConfigError, RevocationFiles, ServeArgs, ServeConfig};
use crate::exit::Outcome;
use crate::handler::Context;
use crate::keys::load_seed;
use crate::nonce::NonceGuard;
use crate::service::{self, ServiceSettings};

/// Runs `serve`.
///
/// # Errors
/// Runtime failures (connection refused, subscription failure); configuration problems
/// are reported and mapped to exit 64 instead.
pub fn run(args: &ServeArgs) -> anyhow::Result<Outcome> {
    let config = match ServeConfig::resolve(args) {
        Ok(config) => config,
        Err(err) => return Ok(bad_config(&err)),
    };
    let jwks_client = match jwks_http_client(&config) {
        Ok(client) => client,
        Err(err) => return Ok(bad_config(&err)),
    };
    let (jwks, jwks_refresher) = JwksCache::new();
    let runtime = match load_runtime(&config, &jwks) {
        Ok(runtime) => runtime,
        Err(err) => return Ok(bad_config(&err)),
    };
    let own = match &config.creds {
        Some(creds) => match own_account(creds) {
            Ok(account) => account,
            Err(err) => return Ok(bad_config(&err)),
        },
        None => String::new(),
    };
    if let Some(path) = &config.nkey {
        if let Err(err) = read_user_seed(path) {
            return Ok(bad_config(&err));
        }
    }
    let operator_key = match &config.revocation {
        Some(files) => match load_revocation_files(files) {
            Ok(key) => Some(key),
            Err(err) => return Ok(bad_config(&err)),
        },
        None => None,
    };
    let callout = match crate::callout::setup::load(&config, &own, &runtime) {
        Ok(callout) => callout,
        Err(err) => return Ok(bad_config(&err)),
    };
    tracing::info!(
        tenants = runtime.policy.tenants().len(),
        own_account = %own,
        "configuration loaded"
    );
    for tenant in runtime
        .policy
        .tenants()
        .iter()
        .filter(|t| t.legacy_enabled())
    {
        tracing::warn!(
            tenant = %tenant.name(),
            "legacy mode: plain-text requests get a server-made seed in the reply; every user \
             of the requesting account that may subscribe to `_INBOX.>` reads every reply"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let jwks = Jwks {
        cache: jwks,
        refresher: jwks_refresher,
        client: jwks_client,
    };
    match rt.block_on(serve(config, runtime, own, operator_key, callout, jwks)) {
        Ok(()) => Ok(Outcome::Ok),
        Err(err) => match err.downcast_ref::<server_version::UnsafeServer>() {
            Some(unsafe_server) => Ok(bad_config(unsafe_server)),
            None => Err(err),
        },
    }
}

/// The JWKS URL cache (shared with reloads), its refresher (run once serving) and the
/// HTTP client it fetches with.
struct Jwks {
    cache: Arc<JwksCache>,
    refresher: JwksRefresher,
    client: reqwest::Client,
}

/// The JWKS HTTP client, trusting `--jwks-ca` too when given.
fn jwks_http_client(config: &ServeConfig) -> Result<reqwest::Client, ConfigError> {
    let pem = match &config.jwks_ca {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| ConfigError::Invalid(format!("jwks_ca `{}`: {e}", path.display())))?,
        ),
        None => None,
    };
    http_client(pem.as_deref()).map_err(|why| match &config.jwks_ca {
        Some(path) => ConfigError::Invalid(format!("jwks_ca `{}`: {why}", path.display())),
        None => ConfigError::Invalid(format!("the JWKS HTTP client: {why}")),
    })
}

fn bad_config(err: &dyn std::fmt::Display) -> Outcome {
    eprintln!("provisioner: {err}");
    Outcome::BadConfig
}

async fn connect(
    config: &ServeConfig,
    readiness: &Arc<Readiness>,
) -> anyhow::Result<async_nats::Client> {
    let mut options = match (&config.creds, &config.nkey) {
        (Some(path), _) => async_nats::ConnectOptions::with_credentials_file(path).await?,
        (None, Some(path)) => async_nats::ConnectOptions::with_nkey(read_user_seed(path)?),
        (None, None) => async_nats::ConnectOptions::new(),
    };
    if let Some(ca) = &config.tls_ca {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    let events = Arc::clone(readiness);
    let client = options
        .name(&config.service_name)
        .event_callback(move |event| {
            let events = Arc::clone(&events);
            async move {
                match event {
                    async_nats::Event::Connected => {
                        events.connected.store(true, Ordering::Relaxed);
                        tracing::info!("connected");
                    }
                    async_nats::Event::Disconnected => {
                        events.connected.store(false, Ordering::Relaxed);
                        tracing::warn!("disconnected; reconnecting");
                    }
                    other => tracing::warn!(event = %other, "nats event"),
                }
            }
        })
        .connect(agent::servers::server_addrs(&config.nats_url)?)
        .await
        .map_err(|e| anyhow::anyhow!("connecting to `{}`: {e}", config.nats_url))?;
    readiness.connected.store(true, Ordering::Relaxed);
    Ok(client)
}

/// Reads a user seed (`SU…`) to connect with; the error names the file, never the seed.
fn read_user_seed(path: &Path) -> anyhow::Result<String> {
    let key = load_seed(path, KeyKind::User, "nkey")?;
    Ok(key.seed()?)
}

/// Reads the operator signing key (an operator seed, `SO…`) and checks the system
/// account creds file, before anything connects.
fn load_revocation_files(files: &RevocationFiles) -> Result<KeyPair, ConfigError> {
    let key = load_seed(
        &files.operator_signing_key,
        KeyKind::Operator,
        "operator signing key",
    )?;
    own_account(&files.sys_creds)?;
    Ok(key)
}

async fn nonce_guard(
    config: &ServeConfig,
    client: &async_nats::Client,
) -> anyhow::Result<NonceGuard> {
    let registry_bucket = config
        .registry
        .as_ref()
        .map(|r| (r.bucket(registry::NONCES_BUCKET), r.replicas));
    let (bucket, replicas) = match (&config.nonce_bucket, registry_bucket) {
        (Some(bucket), registry) => (bucket.clone(), registry.map_or(1, |(_, n)| n)),
        (None, Some(registry)) => registry,
        (None, None) => return Ok(NonceGuard::memory()),
    };
    // With the registry's replicas, in the registry's place (a 1-server region could not
    // hold them).
    let tags = config.registry.as_ref().map(|r| r.placement_tags.clone());
    let js = jetstream::new(client.clone());
    let window = config.proof_window_secs;
    NonceGuard::open_bucket(&js, &bucket, replicas, &tags.unwrap_or_default(), window).await
}

/// Connects as the system account's user for revocation pushes.
async fn connect_revoker(
    config: &ServeConfig,
    operator_key: Option<KeyPair>,
) -> anyhow::Result<Option<Revoker>> {
    let (Some(files), Some(operator_key)) = (&config.revocation, operator_key) else {
        return Ok(None);
    };
    let mut options = async_nats::ConnectOptions::with_credentials_file(&files.sys_creds).await?;
    if let Some(ca) = &config.tls_ca {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    let sys = options
        .name(format!("{}-revocations", config.service_name))
        .retry_on_initial_connect()
        .connect(agent::servers::server_addrs(&config.nats_url)?)
        .await
        .map_err(|e| anyhow::anyhow!("connecting the system account user: {e}"))?;
    tracing::info!(operator_signing_key = %operator_key.public_key(), "revocation pushes enabled");
    Ok(Some(Revoker {
        sys,
        operator_key,
        budget: config.account_jwt_budget,
    }))
}

async fn serve(
    config: ServeConfig,
    runtime: Runtime,
    own: String,
    operator_key: Option<KeyPair>,
    callout: Option<crate::callout::keys::CalloutKeys>,
    jwks: Jwks,
) -> anyhow::Result<()> {
    tokio::spawn(jwks.refresher.run(jwks.client));
    let readiness = Arc::new(Readiness::default());
    readiness.policy_loaded.store(true, Ordering::Relaxed);
    let (stop_tx, stop_rx) = watch::channel(false);
    if let Some(addr) = config.admin_addr {
        let mut rx = stop_rx.clone();
        let bound = admin::serve(
            addr,
            Arc::clone(&readiness),
            crate::metrics::install(),
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("binding admin address `{addr}`: {e}"))?;
        tracing::info!(addr = %bound, "admin endpoint listening");
    }
    let client = connect(&config, &readiness).await?;
    server_version::check(&client.server_info().version)?;
    let registry = registry_open::open_registry(&config, &client, &runtime).await?;
    let history = registry_open::open_history(&config, &client).await?;
    let revoker = connect_revoker(&config, operator_key).await?;
    let ctx = Arc::new(Context {
        runtime: std::sync::RwLock::new(Arc::new(runtime)),
        own_account: own,
        nonces: nonce_guard(&config, &client).await?,
        proof_window_secs: config.proof_window_secs,
        registry,
        revoker,
        caller_jwts: CallerJwts::default(),
        history,
        notices: crate::renew_notice::Notices::new(client.clone()),
    });
    if let Some(revoker) = &ctx.revoker {
        crate::presence::start(&revoker.sys, &config.queue_group, Arc::clone(&ctx)).await?;
    }
    spawn_signal_handlers(config.clone(), Arc::clone(&ctx), jwks.cache, stop_tx)?;
    let settings = ServiceSettings {
        name: config.service_name.clone(),
        subject: config.subject.clone(),
        queue_group: config.queue_group.clone(),
        max_in_flight: config.max_in_flight,
        request_timeout: config.request_timeout,
        shutdown_grace: config.shutdown_grace,
        audit_subject: config.audit_subject.clone(),
        admin_prefix: config
            .registry
            .as_ref()
            .map(|_| config.admin_subject_prefix.clone()),
    };
    let callout =
        crate::callout::service::start(callout, &client, &ctx, &config, stop_rx.clone()).await?;
    let mut rx = stop_rx;
    let shutdown = async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    service::run(client, ctx, settings, readiness, shutdown).await?;
    if let Some(callout) = callout {
        let _ = callout.await;
    }
    tracing::info!("stopped");
    Ok(())
}

fn spawn_signal_handlers(
    config: ServeConfig,
    ctx: Arc<Context>,
    jwks: Arc<JwksCache>,
    stop: watch::Sender<bool>,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); let _ = stop.send(true); break; }
                _ = int.recv() => { tracing::info!("SIGINT: shutting down"); let _ = stop.send(true); break; }
                _ = hup.recv() => reload(&config, &ctx, &jwks),
            }
        }
    });
    Ok(())
}

/// Reloads the policy and keys; on any error the running policy stays.
fn reload(config: &ServeConfig, ctx: &Context, jwks: &JwksCache) {
    let source = config
        .policy
        .as_deref()
        .unwrap_or(Path::new("(seed flags)"));
    let checked = load_runtime(config, jwks).and_then(|runtime| {
        crate::callout::setup::check_policy(config, &runtime.policy)?;
        Ok(runtime)
    });
    match checked {
        Ok(runtime) => {
            jwks.retain_used_by(&runtime.policy);
            let tenants = runtime.policy.tenants().len();
            let before = ctx.runtime();
            ctx.replace_runtime(runtime);
            ctx.notices
                .after_reload(ctx.registry.clone(), &before, &ctx.runtime());
            tracing::info!(policy = %source.display(), tenants, "SIGHUP: policy reloaded");
            if let Some(registry) = ctx.registry.clone() {
                // Names follow the new policy's case rule; leases a quota it set, changed
                // or dropped.
                let runtime = ctx.runtime();
                tokio::spawn(async move {
                    if let Err(err) = registry_open::fold_names(&registry, &runtime, true).await {
                        tracing::warn!(error = %err, "SIGHUP: folding user names failed");
                    }
                    registry_open::sync_quota_leases(&registry, &runtime).await;
                });
            }
        }
        Err(err) => {
            tracing::error!(policy = %source.display(), error = %err, "SIGHUP: reload refused; the previous policy stays");
        }
    }
}
