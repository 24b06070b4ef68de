//! The `NatsServer` harness itself: start-up, clients, JetStream, fixed ports, failures, drop.

use std::net::TcpStream;
use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt as _;
use integration_tests::{free_port, NatsServer, ServerOptions};

/// Upper bound for any single client operation in these tests.
const STEP: Duration = Duration::from_secs(10);

/// Subscribes, publishes and receives one message through the server at `url`.
async fn round_trip(client: &async_nats::Client, subject: &str) {
    let mut sub = client.subscribe(subject.to_owned()).await.unwrap();
    client.flush().await.unwrap();
    client
        .publish(subject.to_owned(), "hello".into())
        .await
        .unwrap();
    let msg = tokio::time::timeout(STEP, sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(msg.subject.as_str(), subject);
    assert_eq!(msg.payload.as_ref(), b"hello");
}

#[tokio::test]
async fn plain_config_serves_clients() {
    let server = NatsServer::start("authorization { user: a, password: b }").unwrap();
    assert!(
        server.client_url().starts_with("nats://127.0.0.1:"),
        "{}",
        server.client_url()
    );
    assert_eq!(
        server.client_url(),
        format!("nats://127.0.0.1:{}", server.port())
    );
    assert!(server.dir().join("server.conf").is_file());
    assert!(server
        .log_tail(50)
        .contains("Listening for client connections on"));

    let client = async_nats::ConnectOptions::with_user_and_password("a".into(), "b".into())
        .connection_timeout(STEP)
        .connect(server.client_url())
        .await
        .unwrap();
    round_trip(&client, "harness.plain").await;
}

#[tokio::test]
async fn wrong_password_is_refused() {
    let server = NatsServer::start("authorization { user: a, password: b }").unwrap();
    let result = async_nats::ConnectOptions::with_user_and_password("a".into(), "x".into())
        .connection_timeout(STEP)
        .connect(server.client_url())
        .await;
    assert!(result.is_err(), "connected with a wrong password");
}

#[test]
fn empty_config_starts() {
    let server = NatsServer::start("").unwrap();
    assert_ne!(server.port(), 0);
}

#[tokio::test]
async fn jetstream_stores_in_the_temp_dir() {
    let server = NatsServer::start_with(ServerOptions::new("").jetstream(true)).unwrap();
    let client = async_nats::connect(server.client_url()).await.unwrap();
    let js = jetstream::new(client);
    let stream = js
        .create_stream(jetstream::stream::Config {
            name: "HARNESS".into(),
            subjects: vec!["harness.js.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let ack = js
        .publish("harness.js.one", "x".into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(ack.stream, "HARNESS");
    assert_eq!(stream.get_info().await.unwrap().state.messages, 1);
    assert!(server.dir().join("js").is_dir());
}

#[tokio::test]
async fn fixed_port_is_used() {
    let port = free_port().unwrap();
    let server = NatsServer::start_with(ServerOptions::new("").port(port)).unwrap();
    assert_eq!(server.port(), port);
    assert_eq!(server.client_url(), format!("nats://127.0.0.1:{port}"));
    let client = async_nats::connect(server.client_url()).await.unwrap();
    round_trip(&client, "harness.fixed").await;
}

#[tokio::test]
async fn two_servers_run_in_parallel() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| NatsServer::start(""));
        let b = s.spawn(|| NatsServer::start(""));
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert_ne!(a.port(), b.port());
    assert_ne!(a.dir(), b.dir());
    for (server, subject) in [(&a, "harness.a"), (&b, "harness.b")] {
        let client = async_nats::connect(server.client_url()).await.unwrap();
        round_trip(&client, subject).await;
    }
}

#[test]
fn drop_stops_the_server_and_removes_its_dir() {
    let server = NatsServer::start("").unwrap();
    let port = server.port();
    let dir = server.dir().to_path_buf();
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(server);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} still open"
    );
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[test]
fn missing_binary_fails_with_an_install_hint() {
    let options = ServerOptions::new("").binary("/nonexistent/bin/nats-server");
    let err = NatsServer::start_with(options).unwrap_err().to_string();
    assert!(err.contains("install-test-tools.sh"), "{err}");
    assert!(err.contains("/nonexistent/bin/nats-server"), "{err}");
}

#[test]
fn broken_config_fails_with_the_log_tail() {
    let err = NatsServer::start("authorization { user: a, password").unwrap_err();
    let err = format!("{err:#}");
    assert!(err.contains("exited during start-up"), "{err}");
    assert!(err.contains("log tail"), "{err}");
    assert!(err.contains("server.conf"), "{err}");
    assert!(err.contains("Parse error"), "{err}");
}

#[test]
fn unknown_setting_fails_with_the_server_message() {
    let err = NatsServer::start("no_such_setting_here: 1").unwrap_err();
    let err = format!("{err:#}");
    assert!(err.contains("no_such_setting_here"), "{err}");
}
