//! The API reference page: `GET /docs` (and `/`, which redirects there) serves a page
//! embedded in the binary whose script (`/docs/app.js`) reads `/openapi.json` and renders
//! every operation, grouped by tag, with a form to try it with a pasted bearer token.
//!
//! Everything is same-origin and compiled in (`include_str!`): no CDN, no Node step, no
//! build script that downloads anything. The page's Content-Security-Policy allows
//! scripts, styles and fetches from this origin only and no inline script, so even a
//! description in the document cannot run code (the script also builds the page with
//! DOM calls, never `innerHTML`).
//!
//! Not here: the document itself (`openapi`).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// The page.
const PAGE: &str = include_str!("../assets/docs.html");
/// Its script.
const SCRIPT: &str = include_str!("../assets/docs.js");
/// Its style sheet.
const STYLE: &str = include_str!("../assets/docs.css");

/// The page's policy: only this origin's script, style and fetches; no frames, no forms
/// posted elsewhere, no `<base>` to move relative URLs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The routes: `/` (to the reference), `/docs`, `/docs/app.js`, `/docs/style.css` (they
/// need no state).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    reference_routes().route("/", get(|| async { Redirect::to("/docs") }))
}

/// [`routes`] without `/` (which the web pages take when the portal serves them).
pub fn reference_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/docs",
            get(|| async { asset(PAGE, "text/html; charset=utf-8") }),
        )
        .route(
            "/docs/app.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/docs/style.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
}

fn asset(body: &'static str, media_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            // The assets change only with the binary; a short cache keeps upgrades visible.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `src="…"` and `href="…"` of the page.
    fn references(page: &str) -> Vec<&str> {
        let mut found = Vec::new();
        for attr in ["src=\"", "href=\""] {
            let mut rest = page;
            while let Some(at) = rest.find(attr) {
                rest = &rest[at + attr.len()..];
                let end = rest.find('"').unwrap();
                found.push(&rest[..end]);
                rest = &rest[end..];
            }
        }
        found
    }

    #[test]
    fn the_page_references_only_same_origin_assets_and_no_inline_script() {
        let refs = references(PAGE);
        assert!(refs.contains(&"/docs/app.js"), "{refs:?}");
        assert!(refs.contains(&"/docs/style.css"), "{refs:?}");
        for r in &refs {
            assert!(
                r.starts_with('/') || r.starts_with('#'),
                "not same-origin: {r}"
            );
            assert!(!r.starts_with("//"), "protocol-relative: {r}");
        }
        // Every <script> has a src (the CSP would block an inline one anyway).
        assert_eq!(
            PAGE.matches("<script").count(),
            PAGE.matches("<script src=").count()
        );
        assert!(
            !PAGE.contains("style=\""),
            "inline styles are blocked by the CSP"
        );
        assert!(!SCRIPT.contains("innerHTML"));
        assert!(!SCRIPT.contains("http://") && !SCRIPT.contains("https://"));
    }

    #[tokio::test]
    async fn the_page_script_and_style_are_served_with_their_types_and_policy() {
        let addr = crate::test_http::serve(routes()).await;
        for (path, media_type, needle) in [
            (
                "/docs",
                "text/html; charset=utf-8",
                "<script src=\"/docs/app.js\"",
            ),
            (
                "/docs/app.js",
                "text/javascript; charset=utf-8",
                "/openapi.json",
            ),
            (
                "/docs/style.css",
                "text/css; charset=utf-8",
                ":focus-visible",
            ),
        ] {
            let answer = crate::test_http::send(addr, "GET", path, &[]).await;
            assert_eq!(answer.status, 200, "{path}");
            assert_eq!(answer.header("content-type"), media_type, "{path}");
            assert_eq!(
                answer.header("content-security-policy"),
                CONTENT_SECURITY_POLICY,
                "{path}"
            );
            assert_eq!(answer.header("x-content-type-options"), "nosniff");
            assert!(answer.body.contains(needle), "{path}");
        }
        let root = crate::test_http::send(addr, "GET", "/", &[]).await;
        assert_eq!(root.status, 303);
        assert_eq!(root.header("location"), "/docs");
    }

    #[test]
    fn the_policy_allows_only_this_origin() {
        for directive in CONTENT_SECURITY_POLICY.split(';') {
            let sources: Vec<&str> = directive.split_whitespace().skip(1).collect();
            assert!(
                sources.iter().all(|s| *s == "'self'" || *s == "'none'"),
                "{directive}"
            );
        }
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    }
}
