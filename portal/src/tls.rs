//! HTTPS for the API (optional: `--tls-cert` and `--tls-key`, PEM). [`load`] reads and
//! checks both files at start-up, so a bad file is a configuration error (exit 64), not a
//! failure at the first client. [`TlsListener`] is an axum [`Listener`]: `axum::serve`
//! and its graceful shutdown work on it as on a TCP listener.
//!
//! rustls with the `ring` provider (the one the workspace uses everywhere, no aws-lc),
//! TLS 1.2 and 1.3, HTTP/1.1 by ALPN. Handshakes run in their own tasks with a deadline,
//! at most [`MAX_HANDSHAKES`] at once, so a client that stalls its handshake holds up
//! nobody else; only finished handshakes reach axum.
//!
//! Not here: the admin address, which stays plain HTTP (for probes on a private port).

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client has to finish its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; past it new connections wait in the kernel's queue.
pub const MAX_HANDSHAKES: usize = 512;

/// Which file a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFile {
    /// The certificate chain.
    Cert,
    /// The private key.
    Key,
}

/// The server's TLS configuration from a PEM certificate chain and a PEM private key.
///
/// # Errors
/// The file at fault and why (unreadable, no certificate, no key, a key that does not
/// match the certificate). Never the key's bytes.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, (TlsFile, String)> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| (TlsFile::Cert, format!("`{}`: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| (TlsFile::Cert, format!("`{}`: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err((
            TlsFile::Cert,
            format!("`{}` holds no PEM certificate", cert.display()),
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        (
            TlsFile::Key,
            format!("`{}`: no usable PEM private key ({e})", key.display()),
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| (TlsFile::Cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            (
                TlsFile::Key,
                format!(
                    "`{}` does not go with `{}`: {e}",
                    key.display(),
                    cert.display()
                ),
            )
        })?;
    // axum serves HTTP/1.1 only (its `http2` feature is off).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TCP listener whose connections are handed on after a finished TLS handshake.
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    /// Accepts on `tcp` with `config`.
    ///
    /// # Errors
    /// When the listener has no local address.
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<Self> {
        let addr = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(MAX_HANDSHAKES);
        let acceptor = tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(TlsListener {
            ready,
            addr,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // Stop accepting: the socket closes with the loop (graceful shutdown drops us).
        self.acceptor.abort();
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                accept_failed(err).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Err(err)) => tracing::debug!(%peer, error = %err, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// As axum's TCP listener: a connection's own error is nothing; anything else (out of
/// file descriptors) gets a pause, so the loop does not spin.
async fn accept_failed(err: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %err, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accept loop ended (it only does when aborted): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use axum::routing::get;
    use axum::Router;
    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;
    use crate::test_http::exchange;

    /// A throwaway certificate for `localhost`, its files, and its DER for the client.
    fn throwaway(dir: &Path) -> (PathBuf, PathBuf, CertificateDer<'static>) {
        let made = rcgen::generate_simple_self_signed(vec![String::from("localhost")]).unwrap();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
        (cert, key, made.cert.der().clone())
    }

    fn client(trusted: CertificateDer<'static>) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(trusted).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }

    #[tokio::test]
    async fn https_is_served_plain_http_is_not_and_shutdown_is_graceful() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, der) = throwaway(dir.path());
        let config = load(&cert, &key).unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener = TlsListener::new(tcp, config).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/hello", get(|| async { "hello over tls" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });

        // A client that stalls its handshake holds up nobody.
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        stalled.write_all(b"\x16\x03").await.unwrap();

        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let tls = client(der.clone()).connect(name, tcp).await.unwrap();
        let answer = exchange(tls, "GET", "/hello", &[]).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, "hello over tls");

        // Plain HTTP on the TLS port gets no HTTP answer.
        let mut plain = TcpStream::connect(addr).await.unwrap();
        plain
            .write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut raw = Vec::new();
        let _ = plain.read_to_end(&mut raw).await;
        assert!(!raw.starts_with(b"HTTP/1.1 200"), "{raw:?}");

        // A client that does not trust the certificate refuses it.
        let other = rcgen::generate_simple_self_signed(vec![String::from("localhost")]).unwrap();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        assert!(client(other.cert.der().clone())
            .connect(name, tcp)
            .await
            .is_err());

        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
        // The socket closes with the listener: poll until connecting is refused.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).await.is_ok() {
            assert!(tokio::time::Instant::now() < deadline, "still accepting");
            tokio::task::yield_now().await;
        }
    }

    #[test]
    fn bad_files_name_the_file_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, _) = throwaway(dir.path());
        let missing = dir.path().join("missing.pem");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not pem\n").unwrap();
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        let (_, other_key, _) = throwaway(&other);
        let file = |c: &Path, k: &Path| load(c, k).unwrap_err().0;
        assert_eq!(file(&missing, &key), TlsFile::Cert);
        assert_eq!(file(&garbage, &key), TlsFile::Cert);
        assert_eq!(file(&cert, &missing), TlsFile::Key);
        assert_eq!(file(&cert, &garbage), TlsFile::Key);
        assert_eq!(file(&key, &key), TlsFile::Cert);
        let (which, why) = load(&cert, &other_key).unwrap_err();
        assert_eq!(which, TlsFile::Key, "{why}");
        assert!(load(&cert, &key).is_ok());
        // No key material in the reason.
        let pem = std::fs::read_to_string(&key).unwrap();
        let body = pem.lines().nth(1).unwrap();
        assert!(!why.contains(body));
    }
}
