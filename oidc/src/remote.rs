//! JWKS fetched from the URL a tenant's `identity.oidc.jwks_url` names, kept fresh in
//! the background: fetched at start (and for URLs a SIGHUP adds), every
//! [`REFRESH_EVERY`], and soon after a token names a key id the set lacks (at most once
//! per [`FORCED_REFRESH_GAP`] per URL, so made-up key ids cannot hammer the issuer).
//!
//! Verification stays synchronous: it reads the latest set, and a token signed by a key
//! the set does not have yet is refused while the refresh it asked for runs; the
//! client's next attempt finds the key. A failed fetch keeps the previous set. A reload
//! that drops a URL stops its fetches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::jwks::{KeyRing, MAX_JWKS_BYTES};

/// How often every URL is fetched again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(300);
/// The least time between two refreshes of one URL asked for by unknown key ids.
pub const FORCED_REFRESH_GAP: Duration = Duration::from_secs(10);
/// How long one fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// One URL's latest key set.
#[derive(Debug)]
pub struct RemoteKeys {
    url: String,
    ring: RwLock<Arc<KeyRing>>,
    last_forced: Mutex<Option<Instant>>,
    wake: mpsc::Sender<String>,
}

impl RemoteKeys {
    /// The latest set (empty until the first fetch succeeds).
    pub fn current(&self) -> Arc<KeyRing> {
        self.ring.read().map(|r| Arc::clone(&r)).unwrap_or_default()
    }

    /// Asks for a refresh because a token named a key the set lacks; ignored within
    /// [`FORCED_REFRESH_GAP`] of the last such refresh.
    pub fn want_refresh(&self, now: Instant) {
        let Ok(mut last) = self.last_forced.lock() else {
            return;
        };
        if last.is_some_and(|t| now.duration_since(t) < FORCED_REFRESH_GAP) {
            return;
        }
        *last = Some(now);
        // A full queue already holds a refresh to come.
        let _ = self.wake.try_send(self.url.clone());
    }

    fn replace(&self, ring: KeyRing) {
        if let Ok(mut current) = self.ring.write() {
            *current = Arc::new(ring);
        }
    }
}

/// Every JWKS URL in use, shared by the policy reloads and the refresher.
#[derive(Debug)]
pub struct JwksCache {
    entries: RwLock<HashMap<String, Arc<RemoteKeys>>>,
    wake: mpsc::Sender<String>,
}

/// The refresher's end: run it with [`JwksRefresher::run`].
#[derive(Debug)]
pub struct JwksRefresher {
    cache: Arc<JwksCache>,
    wakes: mpsc::Receiver<String>,
}

impl JwksCache {
    /// A cache and the refresher that keeps it fresh.
    pub fn new() -> (Arc<JwksCache>, JwksRefresher) {
        // Room for every URL of a large policy: a full queue drops a first fetch until the tick.
        let (wake, wakes) = mpsc::channel(1024);
        let cache = Arc::new(JwksCache {
            entries: RwLock::new(HashMap::new()),
            wake,
        });
        let refresher = JwksRefresher {
            cache: Arc::clone(&cache),
            wakes,
        };
        (cache, refresher)
    }

    /// The keys of `url`, registered (and queued for a first fetch) if new.
    pub fn keys(&self, url: &str) -> Arc<RemoteKeys> {
        if let Some(found) = self.entries.read().ok().and_then(|e| e.get(url).cloned()) {
            return found;
        }
        let Ok(mut entries) = self.entries.write() else {
            return Arc::new(self.entry(url));
        };
        let entry = entries
            .entry(url.to_owned())
            .or_insert_with(|| Arc::new(self.entry(url)));
        let _ = self.wake.try_send(url.to_owned());
        Arc::clone(entry)
    }

    fn entry(&self, url: &str) -> RemoteKeys {
        RemoteKeys {
            url: url.to_owned(),
            ring: RwLock::new(Arc::new(KeyRing::default())),
            last_forced: Mutex::new(None),
            wake: self.wake.clone(),
        }
    }

    /// Forgets the URLs `policy` no longer names (after a reload), so that they are no
    /// longer fetched.
    pub fn retain_used_by(&self, policy: &policy::Policy) {
        let used: std::collections::HashSet<&str> = policy
            .tenants()
            .iter()
            .filter_map(|t| t.config().identity.oidc.as_ref())
            .map(|o| o.jwks_url.as_str())
            .filter(|u| !u.is_empty())
            .collect();
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|url, _| used.contains(url.as_str()));
        }
    }

    fn urls(&self) -> Vec<Arc<RemoteKeys>> {
        self.entries
            .read()
            .map(|e| e.values().cloned().collect())
            .unwrap_or_default()
    }

    fn get(&self, url: &str) -> Option<Arc<RemoteKeys>> {
        self.entries.read().ok().and_then(|e| e.get(url).cloned())
    }
}

impl JwksRefresher {
    /// Fetches with `client` on every wake and every [`REFRESH_EVERY`], until the
    /// process ends.
    pub async fn run(mut self, client: reqwest::Client) {
        // Registration queued the first fetches; the timer starts one period on.
        let start = tokio::time::Instant::now() + REFRESH_EVERY;
        let mut tick = tokio::time::interval_at(start, REFRESH_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    for keys in self.cache.urls() {
                        refresh(&client, &keys).await;
                    }
                }
                wake = self.wakes.recv() => {
                    let Some(url) = wake else { return };
                    if let Some(keys) = self.cache.get(&url) {
                        refresh(&client, &keys).await;
                    }
                }
            }
        }
    }
}

/// The HTTP client for JWKS URLs: the system's trusted CAs, plus those of `extra_ca_pem`
/// (a PEM bundle, `serve --jwks-ca`) for issuers behind a private CA.
///
/// # Errors
/// Why the bundle or the TLS setup is unusable.
pub fn http_client(extra_ca_pem: Option<&[u8]>) -> Result<reqwest::Client, String> {
    client_with(extra_ca_pem, reqwest::redirect::Policy::limited(3))
}

/// The HTTP client of a login's calls to its provider (discovery, code exchange): as
/// [`http_client`], but it follows no redirect, so a provider's answer cannot send the
/// portal's requests elsewhere.
///
/// # Errors
/// As [`http_client`].
pub fn login_http_client(extra_ca_pem: Option<&[u8]>) -> Result<reqwest::Client, String> {
    client_with(extra_ca_pem, reqwest::redirect::Policy::none())
}

fn client_with(
    extra_ca_pem: Option<&[u8]>,
    redirects: reqwest::redirect::Policy,
) -> Result<reqwest::Client, String> {
    // reqwest is built without a default crypto provider: use ring, as async-nats does.
    // An error only says one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .redirect(redirects);
    if let Some(pem) = extra_ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| describe(&e))?;
        if certs.is_empty() {
            return Err(String::from("holds no PEM certificate"));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| describe(&e))
}

async fn refresh(client: &reqwest::Client, keys: &RemoteKeys) {
    match fetch(client, &keys.url).await {
        Ok(ring) => {
            tracing::info!(url = %keys.url, keys = ring.keys.len(), "JWKS fetched");
            keys.replace(ring);
        }
        Err(why) => {
            tracing::warn!(url = %keys.url, error = %why, "JWKS fetch failed; the previous keys stay");
        }
    }
}

/// GETs and parses one JWKS, reading at most [`MAX_JWKS_BYTES`].
async fn fetch(client: &reqwest::Client, url: &str) -> Result<KeyRing, String> {
    let mut response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| describe(&e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| describe(&e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| String::from("not UTF-8"))?;
    KeyRing::parse(&text)
}

/// The error and its causes on one line ("error sending request: …: invalid peer
/// certificate: UnknownIssuer"): reqwest's own text alone hides why.
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_refreshes_are_spaced_and_urls_registered_once() {
        let (cache, mut refresher) = JwksCache::new();
        let a = cache.keys("https://idp.example/jwks");
        let again = cache.keys("https://idp.example/jwks");
        assert!(Arc::ptr_eq(&a, &again));
        assert!(a.current().keys.is_empty());
        // Registration queued one first fetch.
        assert_eq!(
            refresher.wakes.try_recv().as_deref(),
            Ok("https://idp.example/jwks")
        );
        assert!(refresher.wakes.try_recv().is_err());

        let t0 = Instant::now();
        a.want_refresh(t0);
        a.want_refresh(t0 + Duration::from_secs(1));
        assert!(refresher.wakes.try_recv().is_ok());
        assert!(
            refresher.wakes.try_recv().is_err(),
            "a second refresh within the gap"
        );
        a.want_refresh(t0 + FORCED_REFRESH_GAP);
        assert!(refresher.wakes.try_recv().is_ok());

        // A reload that drops the URL drops it from the fetches.
        let policy = policy::Policy::from_toml_str(&format!(
            "version = 1\n[[tenants]]\nname = \"acme\"\naccount = \"{}\"\n\
             namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n\
             identity.import.enabled = true\n\
             permissions.pub.allow = [\"tenant.acme.>\"]\npermissions.sub.allow = [\"_INBOX.>\"]\n",
            claims::KeyPair::new_account().public_key()
        ))
        .unwrap();
        cache.retain_used_by(&policy);
        assert!(cache.urls().is_empty());
    }

    /// Answers every connection with `status` and `body`, once per connection.
    async fn http_once(status: &'static str, body: String) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn failed_oversized_and_foreign_answers_are_errors() {
        let client = http_client(None).unwrap();
        let url = http_once("404 Not Found", String::new()).await;
        let err = fetch(&client, &url).await.unwrap_err();
        assert!(err.contains("404"), "{err}");
        let url = http_once("200 OK", "x".repeat(MAX_JWKS_BYTES + 1)).await;
        let err = fetch(&client, &url).await.unwrap_err();
        assert!(err.contains("larger than"), "{err}");
        let url = http_once("200 OK", String::from("<html>")).await;
        let err = fetch(&client, &url).await.unwrap_err();
        assert!(err.contains("not a JSON Web Key Set"), "{err}");
        let url = http_once("200 OK", String::from(r#"{"keys":[]}"#)).await;
        let err = fetch(&client, &url).await.unwrap_err();
        assert!(err.contains("no usable"), "{err}");
    }

    /// Serves `localhost` over TLS with a certificate from the test CA (`testdata`, not
    /// secrets), which no system trusts; the body is an empty key set.
    async fn untrusted_https() -> String {
        use rustls::pki_types::pem::PemObject as _;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        use tokio::io::AsyncWriteExt as _;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cert =
            CertificateDer::from_pem_slice(include_bytes!("testdata/localhost-cert.pem")).unwrap();
        let key =
            PrivateKeyDer::from_pem_slice(include_bytes!("testdata/localhost-key.pem")).unwrap();
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    let _ = tls
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{\"keys\":[]}")
                        .await;
                }
            }
        });
        format!("https://localhost:{port}/jwks")
    }

    #[tokio::test]
    async fn an_untrusted_https_certificate_is_refused_with_its_reason() {
        let client = http_client(None).unwrap();
        let url = untrusted_https().await;
        let err = fetch(&client, &url).await.unwrap_err();
        assert!(err.contains("invalid peer certificate"), "{err}");
    }

    #[tokio::test]
    async fn a_private_ca_given_as_jwks_ca_is_trusted() {
        let client = http_client(Some(include_bytes!("testdata/test-ca.pem"))).unwrap();
        let url = untrusted_https().await;
        let err = fetch(&client, &url).await.unwrap_err();
        // The TLS handshake passed: what is left is the server's empty key set.
        assert!(err.contains("no usable signature key"), "{err}");
        assert!(http_client(Some(b"not a certificate")).is_err());
    }
}
