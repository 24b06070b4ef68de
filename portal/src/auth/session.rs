//! The web pages' session: an encrypted, authenticated cookie (`portal_session`,
//! AES-GCM under the session key) holding the person's ID token, its expiry, a session id
//! and the session's CSRF token; nothing is kept on the server but the ids of sessions
//! logged out before they expired, so that a copy of a logged-out cookie opens nothing.
//!
//! The cookie is `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` under HTTPS, and expires
//! with the ID token: a session never outlives the token it acts with. A login in flight
//! keeps its `state`, nonce and PKCE verifier in a second cookie (`portal_login`, ten
//! minutes, used once).
//!
//! Logged-out ids live in this process only: behind several replicas, route a person
//! to one replica (sticky sessions) or accept that another replica honours the cookie
//! until its token expires.
//!
//! Not here: the login itself (`login_flow`), who the token names (`bearer::verify`).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use serde::{Deserialize, Serialize};
use time::Duration as CookieDuration;

use super::login_flow::LoginFlow;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "portal_session";
/// The login-in-flight cookie's name.
pub const LOGIN_COOKIE: &str = "portal_login";
/// How long a login may take at the provider.
pub const LOGIN_MAX_SECS: i64 = 600;

/// A logged-in session. Secret: `Debug` shows only its id and expiry.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    /// A random id, to end this session at logout.
    pub sid: String,
    /// The ID token the portal acts with.
    pub token: String,
    /// The token's expiry, unix seconds.
    pub exp: i64,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("sid", &self.sid)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

/// A login in flight.
#[derive(Serialize, Deserialize)]
pub struct PendingLogin {
    /// The `state` the provider must send back.
    pub state: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier. Secret.
    pub verifier: String,
    /// The page to return to (a local path).
    pub next: String,
    /// When this login stops being accepted, unix seconds.
    pub exp: i64,
}

/// What the pages' authentication shares: the login flow, the cookie key and the ids of
/// ended sessions.
pub struct WebAuth {
    /// The login flow.
    pub flow: LoginFlow,
    key: Key,
    secure: bool,
    ended: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for WebAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebAuth")
            .field("flow", &self.flow)
            .finish_non_exhaustive()
    }
}

/// A fresh random token (session ids, CSRF tokens): 256 bits from the operating
/// system's generator, base64url. Empty only if the system has no generator, and then
/// no session can start (an empty CSRF token matches nothing).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    match getrandom::fill(&mut bytes) {
        Ok(()) => data_encoding::BASE64URL_NOPAD.encode(&bytes),
        Err(_) => String::new(),
    }
}

impl WebAuth {
    /// The pages' authentication over `flow`; the key from the config or, without one,
    /// a fresh one.
    ///
    /// # Errors
    /// When the configured key is shorter than 64 bytes (checked with the config).
    pub fn new(flow: LoginFlow) -> Result<Self, String> {
        let key = match &flow.config.session_key {
            Some(bytes) => Key::try_from(bytes.as_slice()).map_err(|e| e.to_string())?,
            None => Key::generate(),
        };
        let secure = flow.config.secure_cookies;
        Ok(Self {
            flow,
            key,
            secure,
            ended: Mutex::new(HashMap::new()),
        })
    }

    fn jar(&self, headers: &HeaderMap) -> PrivateCookieJar {
        PrivateCookieJar::from_headers(headers, self.key.clone())
    }

    fn cookie(&self, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .path("/")
            .max_age(CookieDuration::seconds(max_age_secs.max(0)))
            .build()
    }

    /// The live session the request carries at `now`, if any: sealed by our key, not
    /// expired, not logged out.
    pub fn session(&self, headers: &HeaderMap, now: i64) -> Option<Session> {
        let cookie = self.jar(headers).get(SESSION_COOKIE)?;
        let session: Session = serde_json::from_str(cookie.value()).ok()?;
        if session.exp <= now || self.is_ended(&session.sid, now) {
            return None;
        }
        Some(session)
    }

    /// The cookie jar that starts `session` at `now` (and ends the login in flight).
    pub fn start_session(&self, session: &Session, now: i64) -> PrivateCookieJar {
        let value = serde_json::to_string(session).unwrap_or_default();
        PrivateCookieJar::new(self.key.clone())
            .add(self.cookie(SESSION_COOKIE, value, session.exp - now))
            .remove(self.cookie(LOGIN_COOKIE, String::new(), 0))
    }

    /// The cookie jar that ends `session` (its id refused from now on, until it would
    /// have expired anyway).
    pub fn end_session(&self, session: Option<&Session>, now: i64) -> PrivateCookieJar {
        if let Some(session) = session {
            if let Ok(mut ended) = self.ended.lock() {
                ended.retain(|_, exp| *exp > now);
                ended.insert(session.sid.clone(), session.exp);
            }
        }
        PrivateCookieJar::new(self.key.clone()).remove(self.cookie(
            SESSION_COOKIE,
            String::new(),
            0,
        ))
    }

    fn is_ended(&self, sid: &str, now: i64) -> bool {
        self.ended
            .lock()
            .map(|ended| ended.get(sid).is_some_and(|exp| *exp > now))
            .unwrap_or(true)
    }

    /// The jar holding a login in flight.
    pub fn start_login(&self, pending: &PendingLogin) -> PrivateCookieJar {
        let value = serde_json::to_string(pending).unwrap_or_default();
        PrivateCookieJar::new(self.key.clone()).add(self.cookie(
            LOGIN_COOKIE,
            value,
            LOGIN_MAX_SECS,
        ))
    }

    /// The login in flight the request carries at `now`, if still valid.
    pub fn pending_login(&self, headers: &HeaderMap, now: i64) -> Option<PendingLogin> {
        let cookie = self.jar(headers).get(LOGIN_COOKIE)?;
        let pending: PendingLogin = serde_json::from_str(cookie.value()).ok()?;
        (pending.exp > now).then_some(pending)
    }
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LoginFile;
    use axum::http::header::{COOKIE, SET_COOKIE};
    use axum::response::IntoResponse as _;

    fn web() -> WebAuth {
        let file: LoginFile = toml::from_str(
            "issuer = \"http://127.0.0.1:1\"\nclient_id = \"portal\"\npublic_url = \"http://p\"\n",
        )
        .unwrap();
        let config = file.resolve(&|p| p, false).unwrap();
        let http = oidc::remote::login_http_client(None).unwrap();
        WebAuth::new(LoginFlow::new(config, http)).unwrap()
    }

    /// The request headers a browser would send back after `jar` was set.
    fn sent_back(jar: PrivateCookieJar) -> HeaderMap {
        let response = (jar, ()).into_response();
        let mut headers = HeaderMap::new();
        let cookies: Vec<String> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter(|v| !v.contains("Max-Age=0"))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
            .collect();
        headers.insert(COOKIE, cookies.join("; ").parse().unwrap());
        headers
    }

    fn session(exp: i64) -> Session {
        Session {
            sid: random_token(),
            token: String::from("eyJ.secret.token"),
            exp,
            csrf: random_token(),
        }
    }

    #[test]
    fn a_session_lives_until_its_token_expires_and_not_after_logout() {
        let web = web();
        let s = session(1_000);
        let headers = sent_back(web.start_session(&s, 900));
        assert!(!headers[COOKIE].to_str().unwrap().contains("secret"));
        assert_eq!(web.session(&headers, 999).unwrap().csrf, s.csrf);
        assert!(web.session(&headers, 1_000).is_none());
        let _ = web.end_session(Some(&s), 950);
        assert!(web.session(&headers, 951).is_none());
        assert!(!format!("{s:?}").contains("secret"));
    }

    #[test]
    fn a_cookie_sealed_by_another_key_opens_nothing() {
        let (a, b) = (web(), web());
        let headers = sent_back(a.start_session(&session(1_000), 900));
        assert!(b.session(&headers, 901).is_none());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
