//! `provisioner serve`: validate the configuration, connect, serve credential requests
//! until SIGTERM or SIGINT (then drain), reload the policy on SIGHUP.
//!
//! Bad configuration is one stderr line and exit 64, before anything connects.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_nats::jetstream;
use tokio::sync::watch;

use crate::admin::{self, Readiness};
use crate::config::runtime::{load_runtime, own_account};
use crate::config::{ServeArgs, ServeConfig};
use crate::exit::Outcome;
use crate::handler::Context;
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
    let runtime = match load_runtime(&config) {
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
    tracing::info!(
        tenants = runtime.policy.tenants().len(),
        own_account = %own,
        "configuration loaded"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(config, runtime, own))?;
    Ok(Outcome::Ok)
}

fn bad_config(err: &dyn std::fmt::Display) -> Outcome {
    eprintln!("provisioner: {err}");
    Outcome::BadConfig
}

async fn connect(
    config: &ServeConfig,
    readiness: &Arc<Readiness>,
) -> anyhow::Result<async_nats::Client> {
    let mut options = match &config.creds {
        Some(path) => async_nats::ConnectOptions::with_credentials_file(path).await?,
        None => async_nats::ConnectOptions::new(),
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
        .connect(config.nats_url.as_str())
        .await
        .map_err(|e| anyhow::anyhow!("connecting to `{}`: {e}", config.nats_url))?;
    readiness.connected.store(true, Ordering::Relaxed);
    Ok(client)
}

async fn nonce_guard(
    config: &ServeConfig,
    client: &async_nats::Client,
) -> anyhow::Result<NonceGuard> {
    let Some(bucket) = &config.nonce_bucket else {
        return Ok(NonceGuard::memory());
    };
    let js = jetstream::new(client.clone());
    let store = match js.get_key_value(bucket.as_str()).await {
        Ok(store) => store,
        Err(_) => js
            .create_key_value(jetstream::kv::Config {
                bucket: bucket.clone(),
                history: 1,
                max_age: std::time::Duration::from_secs(
                    u64::try_from(2 * config.proof_window_secs).unwrap_or(120),
                ),
                ..Default::default()
            })
            .await
            .map_err(|e| anyhow::anyhow!("creating nonce bucket `{bucket}`: {e}"))?,
    };
    Ok(NonceGuard::Kv(Box::new(store)))
}

async fn serve(
    config: ServeConfig,
    runtime: crate::config::runtime::Runtime,
    own: String,
) -> anyhow::Result<()> {
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
    let ctx = Arc::new(Context {
        runtime: std::sync::RwLock::new(Arc::new(runtime)),
        own_account: own,
        nonces: nonce_guard(&config, &client).await?,
        proof_window_secs: config.proof_window_secs,
    });
    spawn_signal_handlers(config.clone(), Arc::clone(&ctx), stop_tx)?;
    let settings = ServiceSettings {
        name: config.service_name.clone(),
        subject: config.subject.clone(),
        queue_group: config.queue_group.clone(),
        max_in_flight: config.max_in_flight,
        request_timeout: config.request_timeout,
        shutdown_grace: config.shutdown_grace,
        audit_subject: config.audit_subject.clone(),
    };
    let mut rx = stop_rx;
    let shutdown = async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    service::run(client, ctx, settings, readiness, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

fn spawn_signal_handlers(
    config: ServeConfig,
    ctx: Arc<Context>,
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
                _ = hup.recv() => reload(&config, &ctx),
            }
        }
    });
    Ok(())
}

/// Reloads the policy and keys; on any error the running policy stays.
fn reload(config: &ServeConfig, ctx: &Context) {
    let source = config
        .policy
        .as_deref()
        .unwrap_or(Path::new("(seed flags)"));
    match load_runtime(config) {
        Ok(runtime) => {
            let tenants = runtime.policy.tenants().len();
            ctx.replace_runtime(runtime);
            tracing::info!(policy = %source.display(), tenants, "SIGHUP: policy reloaded");
        }
        Err(err) => {
            tracing::error!(policy = %source.display(), error = %err, "SIGHUP: reload refused; the previous policy stays");
        }
    }
}
