//! The admin HTTP endpoint: `/healthz` (the process is up), `/readyz` (connected to NATS,
//! subscribed, policy loaded) and `/metrics` (Prometheus text). No request data here.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;

/// What `/readyz` reports.
#[derive(Debug, Default)]
pub struct Readiness {
    /// The NATS connection is up.
    pub connected: AtomicBool,
    /// The request endpoint is subscribed.
    pub subscribed: AtomicBool,
    /// A valid policy is loaded.
    pub policy_loaded: AtomicBool,
}

impl Readiness {
    /// Whether all three hold.
    pub fn is_ready(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
            && self.subscribed.load(Ordering::Relaxed)
            && self.policy_loaded.load(Ordering::Relaxed)
    }
}

#[derive(Clone)]
struct AdminState {
    readiness: Arc<Readiness>,
    metrics: Option<PrometheusHandle>,
}

/// Binds `addr` and serves the admin endpoints until `shutdown` completes.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    readiness: Arc<Readiness>,
    metrics: Option<PrometheusHandle>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(AdminState { readiness, metrics });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
    });
    Ok(bound)
}

async fn readyz(State(state): State<AdminState>) -> (StatusCode, String) {
    let r = &state.readiness;
    let body = format!(
        "connected {}\nsubscribed {}\npolicy_loaded {}\n",
        r.connected.load(Ordering::Relaxed),
        r.subscribed.load(Ordering::Relaxed),
        r.policy_loaded.load(Ordering::Relaxed)
    );
    let status = if r.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

async fn render_metrics(State(state): State<AdminState>) -> (StatusCode, String) {
    match &state.metrics {
        Some(handle) => {
            handle.run_upkeep();
            (StatusCode::OK, handle.render())
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            String::from("metrics recorder not installed\n"),
        ),
    }
}
