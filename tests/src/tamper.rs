//! A man in the middle for one client's NATS connection: it relays both ways and, on the
//! server-to-client side, flips one bit in the payload of the next messages delivered on
//! a chosen subject. It shows what a client does with a message altered on the wire
//! (for example an auth callout request sealed with an xkey).
//!
//! It reads the server's protocol just enough to find message payloads: `MSG` and `HMSG`
//! lines end with the total size of the bytes that follow; everything else is one line.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The running proxy; stops when dropped.
pub struct TamperingProxy {
    port: u16,
    tampered: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl TamperingProxy {
    /// Listens on a free loopback port, relaying to `upstream` (`host:port`) and altering
    /// the first `budget` messages delivered on `subject`.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(upstream: String, subject: &str, budget: usize) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let left = Arc::new(AtomicUsize::new(budget));
        let tampered = Arc::new(AtomicUsize::new(0));
        let subject = subject.to_owned();
        let counter = Arc::clone(&tampered);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (subject, left, counter) =
                    (subject.clone(), Arc::clone(&left), Arc::clone(&counter));
                tokio::spawn(relay(client, server, subject, left, counter));
            }
        });
        Ok(TamperingProxy {
            port,
            tampered,
            task,
        })
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// How many messages were altered so far.
    pub fn tampered(&self) -> usize {
        self.tampered.load(Ordering::SeqCst)
    }
}

impl Drop for TamperingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    subject: String,
    left: Arc<AtomicUsize>,
    tampered: Arc<AtomicUsize>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (server_read, mut server_write) = server.into_split();
    let upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut server_read = BufReader::new(server_read);
    let mut line = Vec::new();
    loop {
        line.clear();
        match server_read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let mut payload = Vec::new();
        if let Some((msg_subject, header_len, total)) = message_line(&line) {
            payload.resize(total + 2, 0);
            if server_read.read_exact(&mut payload).await.is_err() {
                break;
            }
            let chosen = msg_subject == subject && total > header_len;
            if chosen
                && left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
            {
                if let Some(byte) = payload.get_mut(header_len + (total - header_len) / 2) {
                    *byte ^= 1;
                    tampered.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        if client_write.write_all(&line).await.is_err()
            || client_write.write_all(&payload).await.is_err()
        {
            break;
        }
    }
    upstream.abort();
}

/// `(subject, header bytes, total bytes)` of a `MSG` or `HMSG` line.
fn message_line(line: &[u8]) -> Option<(String, usize, usize)> {
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = text.split(' ');
    let op = parts.next()?;
    let args: Vec<&str> = parts.collect();
    let subject = (*args.first()?).to_owned();
    let total: usize = args.last()?.parse().ok()?;
    match op {
        "MSG" => Some((subject, 0, total)),
        "HMSG" => {
            let header_len: usize = args.get(args.len().checked_sub(2)?)?.parse().ok()?;
            Some((subject, header_len, total))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::message_line;

    #[test]
    fn message_lines_give_subject_and_sizes() {
        assert_eq!(
            message_line(b"MSG a.b 1 5\r\n"),
            Some(("a.b".to_owned(), 0, 5))
        );
        assert_eq!(
            message_line(b"HMSG $SYS.REQ.USER.AUTH 3 _INBOX.x 40 120\r\n"),
            Some(("$SYS.REQ.USER.AUTH".to_owned(), 40, 120))
        );
        assert_eq!(message_line(b"PING\r\n"), None);
        assert_eq!(message_line(b"INFO {}\r\n"), None);
    }
}
