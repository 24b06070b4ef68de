//! `portal serve`: check the whole configuration (options, the policy, its JWKS files,
//! the JWKS CA bundle) before binding anything (a problem: one line on stderr, exit 64),
//! then serve the API until SIGTERM or SIGINT: stop accepting, finish the requests in
//! flight within the grace, close (drain) every caller's NATS connection, exit 0.
//!
//! Not here: what a request does (`api`), the options themselves (`config`).

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use oidc::remote::{http_client, login_http_client, JwksCache};

use crate::auth::login_flow::LoginFlow;
use crate::auth::session::WebAuth;

use crate::config::{ConfigError, PortalConfig, ServeArgs};
use crate::limit::IdentityLimiter;
use crate::nats_call::unix_now;
use crate::sessions::Sessions;
use crate::state::{AppState, Shared, Subjects};
use crate::tls::{TlsFile, TlsListener};

/// Exit status of a bad configuration (sysexits `EX_USAGE`).
pub const EXIT_CONFIG: u8 = 64;
/// Exit status of a failure after start.
pub const EXIT_ERROR: u8 = 1;
/// How often connections of expired tokens are closed and idle identities forgotten by
/// the request limit.
const SWEEP_EVERY: Duration = Duration::from_secs(15);

/// What `serve` needs besides the options: checked and loaded before binding.
struct Loaded {
    policy: policy::Policy,
    verifiers: oidc::OidcVerifiers,
    jwks: Arc<JwksCache>,
    refresher: oidc::remote::JwksRefresher,
    client: reqwest::Client,
    tls: Option<Arc<rustls::ServerConfig>>,
    web: Option<WebAuth>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn load(config: &PortalConfig) -> Result<Loaded, ConfigError> {
    let tls = match &config.tls {
        None => None,
        Some(paths) => Some(
            crate::tls::load(&paths.cert, &paths.key).map_err(|(file, why)| match file {
                TlsFile::Cert => invalid("tls_cert", why),
                TlsFile::Key => invalid("tls_key", why),
            })?,
        ),
    };
    let path = &config.policy;
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid("policy", format!("`{}`: {e}", path.display())))?;
    let policy = policy::Policy::from_toml_str(&text).map_err(|problems| {
        let line = problems.to_string().replace('\n', "; ");
        invalid("policy", format!("`{}`: {line}", path.display()))
    })?;
    let pem = match &config.jwks_ca {
        None => None,
        Some(ca) => Some(
            std::fs::read(ca)
                .map_err(|e| invalid("jwks_ca", format!("`{}`: {e}", ca.display())))?,
        ),
    };
    let client = http_client(pem.as_deref()).map_err(|why| invalid("jwks_ca", why))?;
    let (jwks, refresher) = JwksCache::new();
    let base = path.parent().unwrap_or(Path::new("."));
    let verifiers = oidc::OidcVerifiers::load(&policy, base, &jwks)
        .map_err(|e| invalid("policy", e.to_string()))?;
    if verifiers.is_empty() {
        return Err(invalid(
            "policy",
            "no tenant accepts ID tokens (`identity.oidc`): the portal has no callers",
        ));
    }
    let web = config
        .login
        .clone()
        .map(|login| web_auth(&policy, login, pem.as_deref()))
        .transpose()?;
    Ok(Loaded {
        policy,
        verifiers,
        jwks,
        refresher,
        client,
        tls,
        web,
    })
}

/// The pages' login for `login`, whose issuer must be one a tenant of `policy` trusts
/// (else nobody logging in there could be accepted).
fn web_auth(
    policy: &policy::Policy,
    login: crate::config::LoginConfig,
    ca_pem: Option<&[u8]>,
) -> Result<WebAuth, ConfigError> {
    let trusted = policy.tenants().iter().any(|t| {
        t.config()
            .identity
            .oidc
            .as_ref()
            .is_some_and(|o| o.issuer.trim_end_matches('/') == login.issuer)
    });
    if !trusted {
        return Err(invalid(
            "login.issuer",
            format!(
                "`{}` is no tenant's `identity.oidc.issuer`: nobody logging in there could be accepted",
                login.issuer
            ),
        ));
    }
    if login.session_key.is_none() {
        tracing::warn!(
            "login.session_key_file is not set: sessions end when this process does and \
             are not shared with other replicas"
        );
    }
    let client = login_http_client(ca_pem).map_err(|why| invalid("jwks_ca", why))?;
    WebAuth::new(LoginFlow::new(login, client))
        .map_err(|why| invalid("login.session_key_file", why))
}

/// Runs `portal serve`.
pub fn run(args: &ServeArgs) -> ExitCode {
    let loaded = args
        .resolve()
        .and_then(|config| Ok((load(&config)?, config)));
    let (loaded, config) = match loaded {
        Ok(both) => both,
        Err(err) => {
            eprintln!("portal: {err}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("portal: starting the runtime: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match runtime.block_on(serve(config, loaded, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("portal: {err}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn serve(
    config: PortalConfig,
    loaded: Loaded,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics = crate::metrics::install();
    let state: AppState = Arc::new(Shared {
        policy: loaded.policy,
        verifiers: loaded.verifiers,
        sessions: Sessions::new(
            config.nats_url.clone(),
            config.max_connections,
            config.nats_timeout,
        ),
        subjects: Subjects {
            request: config.request_subject.clone(),
            admin_prefix: config.admin_subject_prefix.clone(),
        },
        nats_timeout: config.nats_timeout,
        nats_url: config.nats_url.clone(),
        limiter: IdentityLimiter::new(config.rate_per_identity),
        web: loaded.web.map(Arc::new),
        sites: agent::locate::SiteCache::default(),
    });
    // The cache outlives no reload (there is none yet); keep it alive with the refresher.
    let _jwks = loaded.jwks;
    tokio::spawn(loaded.refresher.run(loaded.client));
    let app = crate::router::router(Arc::clone(&state), config.max_body_bytes)?;
    let app = crate::cors::apply(app, &config.cors_origins);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("binding `{}`: {e}", config.listen))?;
    let bound = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if let Some(addr) = config.admin_addr {
        let admin = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("binding `{addr}`: {e}"))?;
        tracing::info!(addr = %admin.local_addr()?, "admin endpoint listening");
        let router = crate::router::admin_router(Arc::clone(&state), metrics);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            let _ = axum::serve(admin, router)
                .with_graceful_shutdown(stopped)
                .await;
        });
    }
    let sweeper = Arc::clone(&state);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            sweeper.sessions.sweep(unix_now());
            if let Some(limiter) = &sweeper.limiter {
                limiter.retain();
            }
        }
    });
    let scheme = if loaded.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(addr = %bound, scheme, nats = %config.nats_url, "portal listening");
    let mut stop = stop_rx;
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    // Two listener types, one shutdown: axum's graceful shutdown works on either.
    let server = match loaded.tls {
        Some(tls) => {
            let listener = TlsListener::new(listener, tls)?;
            let server = axum::serve(listener, app).with_graceful_shutdown(stopped);
            tokio::spawn(async move { server.await })
        }
        None => {
            let server = axum::serve(listener, app).with_graceful_shutdown(stopped);
            tokio::spawn(async move { server.await })
        }
    };
    shutdown.await;
    tracing::info!("stopping: no new requests; finishing those in flight");
    let _ = stop_tx.send(true);
    match tokio::time::timeout(config.shutdown_grace, server).await {
        Ok(_) => tracing::info!("requests finished"),
        Err(_) => tracing::warn!("requests still running at the end of the grace"),
    }
    let held = state.sessions.len();
    state.sessions.close_all().await;
    tracing::info!(connections = held, "callers' connections closed; stopped");
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
