//! CORS for browser apps on other origins: off unless origins are configured
//! (`--cors-origin`, repeatable; `PORTAL_CORS_ORIGINS`, comma-separated; `cors_origins`
//! in the file). Only those exact origins get CORS headers; the API's methods, the
//! `authorization` and `content-type` request headers, and the response headers a client
//! needs (`x-request-id`, `retry-after`, `content-disposition`). No credentials mode: the
//! API reads a bearer token, never a cookie.
//!
//! An origin must be a plain `scheme://host[:port]` (http or https; no wildcard, path,
//! query or user info), because a browser's `Origin` header is exactly that and anything
//! else would never match, or match more than meant. It is kept in the form a browser
//! sends: lower case, without the scheme's default port.

use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// `origin` in the form a browser sends it.
///
/// # Errors
/// Why it is not a plain `scheme://host[:port]`.
pub fn check_origin(origin: &str) -> Result<String, String> {
    let bad = |why: &str| {
        Err(format!(
            "`{origin}` is not a plain scheme://host[:port]: {why}"
        ))
    };
    let lower = origin.trim().to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else {
        return bad("no scheme");
    };
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return bad("the scheme is not http or https"),
    };
    if rest.contains('*') {
        return bad("no wildcards");
    }
    if rest.contains(['/', '?', '#']) {
        return bad("no path, query or fragment (not even a trailing `/`)");
    }
    if rest.contains('@') {
        return bad("no user info");
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (rest, None),
    };
    let ipv6 = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
    let name_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !(ipv6 || name_ok) {
        return bad("the host is not a name or an address");
    }
    match port {
        None => Ok(format!("{scheme}://{host}")),
        Some(port) if port.parse::<u16>().is_err() => bad("the port is not a number"),
        Some(port) if port == default_port => Ok(format!("{scheme}://{host}")),
        Some(port) => Ok(format!("{scheme}://{host}:{port}")),
    }
}

/// The layer for `origins` (checked with [`check_origin`]); `None` when there are none.
pub fn layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([
                HeaderName::from_static(crate::problem::REQUEST_ID_HEADER),
                header::RETRY_AFTER,
                header::CONTENT_DISPOSITION,
            ])
            .max_age(PREFLIGHT_MAX_AGE),
    )
}

/// `router` with CORS for `origins` as its outermost layer (a preflight is answered
/// before routing), or unchanged when there are none.
pub fn apply(router: Router, origins: &[String]) -> Router {
    match layer(origins) {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use super::*;
    use crate::test_http::{send, serve};

    #[test]
    fn origins_are_plain_scheme_host_port() {
        let ok = |o: &str| check_origin(o).unwrap();
        assert_eq!(ok("https://App.Example"), "https://app.example");
        assert_eq!(ok("https://app.example:443"), "https://app.example");
        assert_eq!(ok("http://localhost:5173"), "http://localhost:5173");
        assert_eq!(ok("http://127.0.0.1:80"), "http://127.0.0.1");
        assert_eq!(ok("http://[::1]:8080"), "http://[::1]:8080");
        for bad in [
            "*",
            "https://*.example",
            "https://app.example/",
            "https://app.example/path",
            "https://app.example?x",
            "ftp://app.example",
            "app.example",
            "https://",
            "https://u:p@app.example",
            "https://app.example:http",
            "https://app example",
            "null",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }

    fn app() -> Router {
        Router::new().route("/api/v1/me", get(|| async { "me" }))
    }

    #[tokio::test]
    async fn a_configured_origin_gets_the_headers_and_another_does_not() {
        let origins = vec![String::from("https://app.example")];
        let addr = serve(apply(app(), &origins)).await;
        let preflight = |origin: &'static str| async move {
            let headers = [
                ("origin", origin),
                ("access-control-request-method", "DELETE"),
                (
                    "access-control-request-headers",
                    "authorization,content-type",
                ),
            ];
            send(addr, "OPTIONS", "/api/v1/me", &headers).await
        };
        let allowed = preflight("https://app.example").await;
        assert_eq!(allowed.status, 200);
        assert_eq!(
            allowed.header("access-control-allow-origin"),
            "https://app.example"
        );
        let methods = allowed.header("access-control-allow-methods");
        for m in ["GET", "POST", "PATCH", "DELETE"] {
            assert!(methods.contains(m), "{methods}");
        }
        let headers = allowed.header("access-control-allow-headers");
        assert!(headers.contains("authorization") && headers.contains("content-type"));
        assert_eq!(allowed.header("access-control-max-age"), "600");
        assert_eq!(allowed.header("access-control-allow-credentials"), "");

        let refused = preflight("https://evil.example").await;
        // Without an allowed origin the browser refuses, whatever else is sent.
        assert_eq!(refused.header("access-control-allow-origin"), "");

        let simple = send(
            addr,
            "GET",
            "/api/v1/me",
            &[("origin", "https://app.example")],
        )
        .await;
        assert_eq!(simple.body, "me");
        assert_eq!(
            simple.header("access-control-allow-origin"),
            "https://app.example"
        );
        let exposed = simple.header("access-control-expose-headers");
        for h in ["x-request-id", "retry-after", "content-disposition"] {
            assert!(exposed.contains(h), "{exposed}");
        }
    }

    #[tokio::test]
    async fn without_origins_there_is_no_cors_at_all() {
        let addr = serve(apply(app(), &[])).await;
        let answer = send(
            addr,
            "OPTIONS",
            "/api/v1/me",
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "GET"),
            ],
        )
        .await;
        assert_eq!(answer.header("access-control-allow-origin"), "");
        let simple = send(
            addr,
            "GET",
            "/api/v1/me",
            &[("origin", "https://app.example")],
        )
        .await;
        assert_eq!(simple.header("access-control-allow-origin"), "");
    }
}
