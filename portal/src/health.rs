//! `/healthz` (the process is up) and `/readyz` (the NATS server answers): the portal
//! holds no NATS connection of its own (it has no identity of its own to connect with),
//! so readiness opens a TCP connection to the configured server and waits for the
//! server's `INFO` line, which nats-server sends before any authentication.
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

/// `/readyz`: 200 when the NATS server answers, else 503.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(PROBE_TIMEOUT, probe(&state.nats_url)).await {
        Ok(true) => (StatusCode::OK, "nats reachable\n"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "nats unreachable\n"),
    }
}

async fn probe(url: &str) -> bool {
    let Some(addr) = host_port(url) else {
        return false;
    };
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr.as_str()).await else {
        return false;
    };
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).await.is_ok() && &head == b"INFO "
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
    use super::*;

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
