//! What every page around its content shows: the title, the navigation with the current
//! page marked, who is logged in (name, tenant, role) with the logout form and its CSRF
//! token, and the asset links. Built from plain values, so that error pages can show it
//! for a person not logged in too.

use crate::assets::assets;

/// The logged-in person, as the page header shows them.
#[derive(Debug, Clone)]
pub struct ChromeUser {
    /// The user name.
    pub name: String,
    /// The tenant.
    pub tenant: String,
    /// `admin` or `user`.
    pub role: &'static str,
    /// Whether the admin pages are offered.
    pub admin: bool,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
}

/// The page frame.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page title.
    pub title: String,
    /// The navigation entry of the page (`overview`, `credentials`, …).
    pub active: &'static str,
    /// Who is logged in; `None` on the login and error pages of a stranger.
    pub user: Option<ChromeUser>,
    /// The stylesheet URL and integrity.
    pub css: &'static str,
    /// Its integrity value.
    pub css_sri: &'static str,
    /// The script URL.
    pub js: &'static str,
    /// Its integrity value.
    pub js_sri: &'static str,
    /// Seconds after which the page loads itself again, while it waits for something
    /// no event will announce (works without the script).
    pub refresh_secs: Option<u32>,
}

impl Chrome {
    /// The frame of `title` for `user` (if any), with `active` marked.
    pub fn new(title: impl Into<String>, active: &'static str, user: Option<ChromeUser>) -> Self {
        let a = assets();
        Self {
            title: title.into(),
            active,
            user,
            css: &a.css.url,
            css_sri: &a.css.sri,
            js: &a.js.url,
            js_sri: &a.js.sri,
            refresh_secs: None,
        }
    }

    /// The session's CSRF token, or empty for a stranger (whose forms are refused).
    pub fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
    }
}
