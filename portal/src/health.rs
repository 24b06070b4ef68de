//! `/healthz` (the process is up) and `/readyz` (the NATS server answers): the portal
//! holds no NATS connection of its own (it has no identity of its own to connect with),
//! so readiness opens a TCP connection to the configured server and waits for the
//! server's `INFO` line, which nats-server sends before any authentication.
//!
//! The body says what was checked and what was not: the NATS server only. Whether the
//! provisioner answers and its KV buckets are reachable is the provisioner's own
//! `/readyz` (the portal would need a NATS identity of its own to ask, and has none by
//! design).
//!
//! Not here: whether a given caller may connect (that is each request's business).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use tokio::io::AsyncReadExt as _;

use crate::state::AppState;

/// How long `/readyz` waits for the server.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// The port of a URL without one.
const DEFAULT_PORT: u16 = 4222;

/// `/healthz`.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// What `/readyz` leaves to the provisioner, said in every answer.
const NOT_CHECKED: &str = "not checked here: the provisioner and its KV buckets (the \
                           portal has no NATS identity of its own; see the provisioner's /readyz)";

/// `/readyz`: 200 when the NATS server answers, else 503; the body says what was checked.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    readiness(&state.nats_url).await
}

/// The readiness of the NATS server at `url` (its first server).
pub async fn readiness(url: &str) -> (StatusCode, String) {
    let Some(addr) = host_port(url) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the NATS URL names no server\n{NOT_CHECKED}\n"),
        );
    };
    match tokio::time::timeout(PROBE_TIMEOUT, probe(&addr)).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            format!(
                "ready: nats-server at {addr} accepted a TCP connection and sent INFO\n\
                 {NOT_CHECKED}\n"
            ),
        ),
        Ok(Err(why)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: nats-server at {addr}: {why}\n{NOT_CHECKED}\n"),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: nats-server at {addr}: no INFO within {} s\n{NOT_CHECKED}\n",
                PROBE_TIMEOUT.as_secs()
            ),
        ),
    }
}

async fn probe(addr: &str) -> Result<(), String> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect ({e})"))?;
    let mut head = [0u8; 5];
    stream
        .read_exact(&mut head)
        .await
        .map_err(|e| format!("closed before INFO ({e})"))?;
    if &head == b"INFO " {
        Ok(())
    } else {
        Err(String::from(
            "answered, but not with INFO (not a NATS server?)",
        ))
    }
}

/// `host:port` of the first server of a NATS URL list.
pub fn host_port(url: &str) -> Option<String> {
    let first = url.split(',').next()?.trim();
    let rest = first.split_once("://").map_or(first, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = rest.split('/').next()?;
    if host.is_empty() {
        return None;
    }
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok() && !host.ends_with(']'));
    Some(if has_port {
        host.to_owned()
    } else {
        format!("{host}:{DEFAULT_PORT}")
    })
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;

    /// A one-connection server that sends `greeting`; its URL.
    async fn greeter(greeting: &'static [u8]) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.write_all(greeting).await.unwrap();
        });
        format!("nats://{addr}")
    }

    #[tokio::test]
    async fn readiness_says_what_it_checked() {
        let url = greeter(b"INFO {\"server_id\":\"x\"}\r\n").await;
        let (status, body) = readiness(&url).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.starts_with("ready: nats-server at 127.0.0.1:"),
            "{body}"
        );
        assert!(body.contains("sent INFO") && body.contains("KV"), "{body}");

        let url = greeter(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        let (status, body) = readiness(&url).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("not with INFO"), "{body}");

        // A port nobody listens on (bound, then closed).
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let (status, body) = readiness(&format!("nats://user:secret@{addr}")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body.contains("cannot connect"), "{body}");
        assert!(!body.contains("secret"), "{body}");
    }

    #[test]
    fn the_first_server_of_the_url_is_probed() {
        assert_eq!(
            host_port("nats://127.0.0.1:4333").unwrap(),
            "127.0.0.1:4333"
        );
        assert_eq!(host_port("nats://u:p@h:1,nats://x:2").unwrap(), "h:1");
        assert_eq!(
            host_port("tls://nats.example").unwrap(),
            "nats.example:4222"
        );
        assert_eq!(host_port("nats://[::1]").unwrap(), "[::1]:4222");
        assert_eq!(host_port("nats://[::1]:5").unwrap(), "[::1]:5");
        assert!(host_port("nats://").is_none());
    }
}
