//! The HTTP routes and their layers: `/api/v1/…` (`api`), `/openapi.json`, the reference
//! page (`docs`: `/docs`, `/`), `/healthz` and `/readyz` on the public address;
//! `/healthz`, `/readyz` and `/metrics` on the admin address. Layers, outermost first: the request id and problem rendering (`problem`),
//! metrics by route (`metrics`), the body size cap. Unknown routes and methods are
//! problems too.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::api::{self, API_PREFIX};
use crate::error::ApiError;
use crate::health::{healthz, readyz};
use crate::openapi::ApiDoc;
use crate::state::AppState;

/// The API's routes under [`API_PREFIX`], with the document they make.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(API_PREFIX, api::routes())
}

/// The public router.
///
/// # Errors
/// When the OpenAPI document cannot be written (a bug).
pub fn router(state: AppState, max_body_bytes: usize) -> Result<Router, serde_json::Error> {
    let pages = state.web.is_some();
    let (routes, doc) = api_router().split_for_parts();
    let spec: Arc<str> = Arc::from(doc.to_json()?);
    let openapi = get(move || {
        let spec = Arc::clone(&spec);
        async move {
            (
                [(header::CONTENT_TYPE, "application/json")],
                spec.to_string(),
            )
        }
    });
    let routes = routes.route("/openapi.json", openapi);
    // With a login the pages own `/`; without one, `/` is the API reference.
    let routes = if pages {
        routes
            .merge(crate::ui::routes(&state))
            .merge(crate::docs::reference_routes())
    } else {
        routes.merge(crate::docs::routes())
    };
    Ok(routes
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn(crate::metrics::layer))
        .layer(middleware::from_fn(crate::problem::layer))
        .with_state(state))
}

/// The admin router.
pub fn admin_router(state: AppState, metrics: Option<PrometheusHandle>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(move |_: State<AppState>| {
                let text = metrics
                    .as_ref()
                    .map(PrometheusHandle::render)
                    .unwrap_or_default();
                async move { text }
            }),
        )
        .with_state(state)
}

/// An unknown route: a problem for API clients; the 404 page for a browser asking for a
/// page of a portal that serves pages (outside `/api/`).
async fn not_found(
    State(state): State<AppState>,
    id: crate::problem::RequestId,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let wants_page = state.web.is_some()
        && !uri.path().starts_with("/api/")
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        crate::page_error::PageError::not_found(&id.0, None).into_response()
    } else {
        ApiError::NotFound.into_response()
    }
}

async fn method_not_allowed() -> impl IntoResponse {
    ApiError::MethodNotAllowed
}
