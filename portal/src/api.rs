//! The JSON API under `/api/v1`, one file per route group: `me` (who is calling),
//! `credentials` (issue a credential), `users`, `invites`, `quota` and `issuances` (the
//! tenant admin operations). The caller's tenant is implicit: no path names a tenant, and the
//! provisioner takes the tenant from the caller's connection, never from the portal.
//!
//! Handlers are thin: the [`crate::auth::ApiCaller`] extractor, one NATS call as the
//! caller ([`crate::nats_call::admin_call`] for the admin subjects), the reply mapped to the response.
//! No signing, policy or KV code here.

pub mod credentials;
pub mod invites;
pub mod issuances;
pub mod me;
pub mod quota;
pub mod resource_events;
pub mod resource_list;
pub mod resource_retry;
pub mod resource_site;
pub mod resources;
pub mod resources_wire;
pub mod services;
pub mod tag;
pub mod users;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Where the API lives.
pub const API_PREFIX: &str = "/api/v1";

/// The API's routes, with their OpenAPI operations.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me::me))
        .routes(routes!(credentials::create))
        .routes(routes!(users::list))
        .routes(routes!(users::show, users::revoke))
        .routes(routes!(invites::list, invites::create))
        .routes(routes!(invites::revoke))
        .routes(routes!(quota::quota))
        .routes(routes!(issuances::list))
        .routes(routes!(resource_list::list, resources::create))
        .routes(routes!(
            resources::show,
            resources::update,
            resources::delete
        ))
        .routes(routes!(resource_events::events))
        .routes(routes!(resource_retry::retry))
        .routes(routes!(services::list))
}
