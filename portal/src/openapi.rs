//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations
//! and their types (`utoipa_axum::OpenApiRouter` collects them as the routes are
//! mounted, so the document cannot name a route the router lacks, or miss one). Served
//! at `/openapi.json`.
//!
//! Here: the document's info, the `bearer` security scheme every operation names, and
//! the shared [`Problem`] schema.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::Problem;

/// The document's top: info, tags, the shared schemas and the security scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "nats-provisioner portal",
        description = "Tenant self-service over HTTP. Send an OpenID Connect ID token as \
                       `Authorization: Bearer`; the portal acts over NATS as that caller, in \
                       the caller's tenant. Errors are RFC 9457 problem details."
    ),
    components(schemas(Problem)),
    modifiers(&BearerScheme),
    tags(
        (name = "identity", description = "Who is calling"),
        (name = "credentials", description = "Issuing NATS credentials"),
        (name = "tenant", description = "The tenant's users, invites, quota and issuance history (admins)"),
        (name = "resources", description = "Services, and resources queued at their sites")
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` scheme (an OpenID Connect ID token, a JWT).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An OpenID Connect ID token a tenant of the policy trusts",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_lists_every_route_with_the_bearer_scheme() {
        let (_, doc) = crate::router::api_router().split_for_parts();
        let json = serde_json::to_value(&doc).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = json["paths"].as_object().unwrap();
        let mut names: Vec<&str> = paths.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "/api/v1/credentials",
                "/api/v1/invites",
                "/api/v1/invites/{id}",
                "/api/v1/issuances",
                "/api/v1/me",
                "/api/v1/quota",
                "/api/v1/resources",
                "/api/v1/resources/{rid}",
                "/api/v1/resources/{rid}/events",
                "/api/v1/resources/{rid}/retry",
                "/api/v1/services",
                "/api/v1/users",
                "/api/v1/users/{name}",
            ]
        );
        assert_eq!(
            json["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                assert!(op["security"].is_array(), "{method} {path}");
                let problem = &op["responses"]["4XX"]["content"]["application/problem+json"];
                assert!(problem.is_object(), "{method} {path}");
            }
        }
    }
}
