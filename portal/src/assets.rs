//! The pages' static files, compiled into the binary: our stylesheet and script, served
//! at content-hashed URLs (`/static/portal-<hash>.css`) with a year-long cache, and
//! linked with Subresource Integrity. No CDN and no build step: the files in `static/`
//! are what browsers get.
//!
//! Also the security headers every page carries, with a Content Security Policy that
//! allows only this origin's scripts and styles (and form posts to the login provider,
//! where logout sends the browser).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256, Sha384};

/// One embedded file.
pub struct Asset {
    /// Its URL path, with the content hash.
    pub url: String,
    /// Its `integrity` attribute value.
    pub sri: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

impl Asset {
    fn new(stem: &str, ext: &str, bytes: &'static [u8], content_type: &'static str) -> Self {
        let hash = Sha256::digest(bytes);
        let short: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let sri = data_encoding::BASE64.encode(&Sha384::digest(bytes));
        Self {
            url: format!("/static/{stem}-{short}.{ext}"),
            sri: format!("sha384-{sri}"),
            bytes,
            content_type,
        }
    }
}

/// The stylesheet and the script.
pub struct Assets {
    /// `static/portal.css`.
    pub css: Asset,
    /// `static/portal.js`.
    pub js: Asset,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| Assets {
    css: Asset::new(
        "portal",
        "css",
        include_bytes!("../static/portal.css"),
        "text/css; charset=utf-8",
    ),
    js: Asset::new(
        "portal",
        "js",
        include_bytes!("../static/portal.js"),
        "text/javascript; charset=utf-8",
    ),
});

/// The embedded files.
pub fn assets() -> &'static Assets {
    &ASSETS
}

/// `GET /static/{file}`: an embedded file by its hashed name; anything else is 404.
pub async fn serve(Path(file): Path<String>) -> Response {
    let all = assets();
    let Some(asset) = [&all.css, &all.js]
        .into_iter()
        .find(|a| a.url.strip_prefix("/static/") == Some(file.as_str()))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.bytes,
    )
        .into_response()
}

/// The Content Security Policy of the pages; `provider` is the login provider's origin
/// (logout's form post ends there).
pub fn content_security_policy(provider: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self' {provider}; frame-ancestors 'none'; \
         base-uri 'none'"
    )
}

/// Adds the pages' security headers to `response`.
pub fn secure_headers(response: &mut Response, csp: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Page URLs (the login callback's carries the authorization code) go to no other
    // site; `no-referrer` would also make browsers send `Origin: null` on our own forms,
    // which the CSRF check refuses.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_content_and_integrity_is_sha384() {
        let a = assets();
        assert!(a.css.url.starts_with("/static/portal-") && a.css.url.ends_with(".css"));
        assert!(a.js.sri.starts_with("sha384-"));
        assert_ne!(a.css.url, a.js.url);
    }

    #[tokio::test]
    async fn only_the_hashed_names_are_served() {
        let name = assets().css.url.trim_start_matches("/static/").to_owned();
        assert_eq!(serve(Path(name)).await.status(), StatusCode::OK);
        let plain = serve(Path(String::from("portal.css"))).await;
        assert_eq!(plain.status(), StatusCode::NOT_FOUND);
    }
}
