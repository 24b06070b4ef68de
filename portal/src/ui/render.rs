//! Rendering a page: a template into an HTML response, or the error page when the
//! template fails (a bug, logged).

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::UiCaller;
use crate::error::ApiError;
use crate::page_error::PageError;

/// `page` rendered for `who`.
///
/// # Errors
/// The 500 page when the template fails.
pub fn html(who: &UiCaller, page: &impl Template) -> Result<Response, PageError> {
    match page.render() {
        Ok(text) => Ok(Html(text).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            Err(who.fail(ApiError::Internal))
        }
    }
}

/// A unix time as `YYYY-MM-DD HH:MM UTC`.
pub fn when(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            let format =
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
            t.format(&format).ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// A duration in seconds, as people say it (`45 s`, `12 min`, `3 h`, `2 d`).
pub fn span(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7_200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3_600),
        s => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_spans_read_plainly() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(span(45), "45 s");
        assert_eq!(span(3_600), "60 min");
        assert_eq!(span(86_400), "24 h");
        assert_eq!(span(604_800), "7 d");
    }
}
