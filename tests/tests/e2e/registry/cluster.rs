//! A three-server cluster (routes, JetStream, registry buckets with 3 replicas) and two
//! provisioner replicas: one server is killed while users are being issued; issuance
//! goes on (clients retry what the failover interrupted), and afterwards the registry
//! holds exactly one entry per issued user, with the key that user holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use claims::{KeyPair, UserClaims};
use integration_tests::{
    free_port, quote, workspace_bin, NatsServer, ProductProcess, ServerOptions,
};
use nsc_setup::{InitOptions, ResolverKind, ServerSettings};
use serde_json::{json, Value};

use super::{ask, proven, ADMIN};

/// Workers issuing users at once.
const WORKERS: usize = 4;
/// Users each worker issues.
const PER_WORKER: usize = 12;
/// Issued users after which a server is killed.
const KILL_AFTER: usize = 12;
/// Tries per user before the test gives up.
const TRIES: usize = 60;

/// `server.conf` of cluster member `name`: the estate's memory-resolver config without
/// its listen address and JetStream block, plus a JetStream store, a cluster listener
/// and routes to every member.
fn member_config(estate_conf: &str, name: &str, store: &Path, port: u16, routes: &[u16]) -> String {
    let mut out = String::new();
    let mut in_jetstream = false;
    for line in estate_conf.lines() {
        if line.starts_with("jetstream {") {
            in_jetstream = true;
        } else if in_jetstream {
            in_jetstream = line.trim() != "}";
        } else if !line.starts_with("listen:") {
            out.push_str(line);
            out.push('\n');
        }
    }
    let routes: Vec<String> = routes
        .iter()
        .map(|p| format!("nats-route://127.0.0.1:{p}"))
        .collect();
    out.push_str(&format!(
        "server_name: {name}\njetstream {{ store_dir: {} }}\n\
         cluster {{ name: registry, listen: \"127.0.0.1:{port}\", routes: [{}] }}\n",
        quote(&store.display().to_string()),
        routes.join(", ")
    ));
    out
}

/// Connects with a creds file to any of `urls`, reconnecting forever; replies come to the
/// user's private inbox.
async fn connect(urls: &str, creds: &Path) -> async_nats::Client {
    let text = std::fs::read_to_string(creds).unwrap();
    async_nats::ConnectOptions::with_credentials(&text)
        .unwrap()
        .custom_inbox_prefix(claims::creds_inbox_prefix(&text).unwrap())
        .request_timeout(Some(Duration::from_secs(3)))
        .connect(
            urls.split(',')
                .map(|u| u.parse::<async_nats::ServerAddr>().unwrap())
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap()
}

/// Issues `name` for `user`, retrying through the failover; returns the JWT's id.
async fn issue(client: &async_nats::Client, user: &KeyPair, name: &str) -> (String, usize) {
    for attempt in 0..TRIES {
        let sent = tokio::time::timeout(
            Duration::from_secs(4),
            client.request(
                "creds.request",
                proven(user, name, None, None).to_string().into(),
            ),
        )
        .await;
        if let Ok(Ok(reply)) = sent {
            let status = reply
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Service-Error-Code"))
                .map(|v| v.as_str().to_owned());
            let body: Value = serde_json::from_slice(&reply.payload).unwrap_or(Value::Null);
            match status.as_deref() {
                None => {
                    let jwt = UserClaims::decode(body["jwt"].as_str().unwrap()).unwrap();
                    assert_eq!(jwt.sub, user.public_key());
                    return (jwt.jti, attempt);
                }
                // Only unavailability is retried; a refusal would be a bug.
                Some("500" | "503") => {}
                Some(other) => panic!("`{name}` refused with {other}: {body}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("`{name}` not issued after {TRIES} tries");
}

/// An admin call, retried while the cluster settles after the failover.
async fn admin_settled(client: &async_nats::Client, op: &str) -> Value {
    for _ in 0..TRIES {
        let subject = format!("{ADMIN}.{op}");
        let sent = tokio::time::timeout(
            Duration::from_secs(4),
            client.request(subject, bytes::Bytes::from_static(b"{}")),
        )
        .await;
        if let Ok(Ok(reply)) = sent {
            let failed = reply
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Service-Error-Code"))
                .map(|v| v.as_str().to_owned());
            match failed.as_deref() {
                None => return serde_json::from_slice(&reply.payload).unwrap(),
                Some("500" | "503") => {}
                Some(other) => panic!("`{op}` refused with {other}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("`{op}` failed after {TRIES} tries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_a_cluster_server_during_issuance_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let written = nsc_setup::init(&InitOptions {
        dir: dir.path().join("estate"),
        operator: String::from("OP"),
        tenants: vec![String::from("acme")],
        scoped_keys: false,
        server: ServerSettings {
            resolver: ResolverKind::Memory,
            host: String::from("127.0.0.1"),
            port: 4222,
            jetstream: true,
        },
        force: false,
        callout: false,
    })
    .unwrap();
    let estate_conf = std::fs::read_to_string(written.dir.join("server.conf")).unwrap();
    let client_ports: Vec<u16> = (0..3).map(|_| free_port().unwrap()).collect();
    let route_ports: Vec<u16> = (0..3).map(|_| free_port().unwrap()).collect();
    let mut servers: Vec<Option<NatsServer>> = Vec::new();
    for i in 0..3 {
        let store = dir.path().join(format!("js{i}"));
        let config = member_config(
            &estate_conf,
            &format!("n{i}"),
            &store,
            route_ports[i],
            &route_ports,
        );
        let options = ServerOptions::new(config).port(client_ports[i]);
        servers.push(Some(NatsServer::start_with(options).unwrap()));
    }
    let urls: Vec<String> = client_ports
        .iter()
        .map(|p| format!("nats://127.0.0.1:{p}"))
        .collect();
    let all = urls.join(",");

    // Quota on, so that the tenant's active set is exercised too.
    let policy_path: PathBuf = written.dir.join("policy-cluster.toml");
    let policy = std::fs::read_to_string(written.dir.join("policy.toml"))
        .unwrap()
        .replacen(
            "names.unique = true\n",
            "names.unique = true\nquotas.max_active_users = 1000\n",
            1,
        );
    std::fs::write(&policy_path, policy).unwrap();
    let bin = workspace_bin("provisioner").unwrap();
    let config = written.dir.join("provisioner.toml").display().to_string();
    let policy_arg = policy_path.display().to_string();
    let mut replicas = Vec::new();
    for label in ["c1", "c2"] {
        let args = [
            "serve",
            "--config",
            &config,
            "-s",
            &all,
            "--admin-addr",
            "127.0.0.1:0",
            "--policy",
            &policy_arg,
            "--registry-replicas",
            "3",
            "--request-timeout-ms",
            "10000",
        ];
        let log = dir.path().join(format!("{label}.log"));
        let mut p = ProductProcess::start(&bin, &args, log, &[]).unwrap();
        p.wait_for_output("serving", Duration::from_secs(60))
            .unwrap();
        replicas.push(p);
    }

    let creds = |account: &str, user: &str| {
        written
            .dir
            .join("nkeys/creds/OP")
            .join(account)
            .join(format!("{user}.creds"))
    };
    let bootstrap = connect(&all, &creds("acme", "bootstrap")).await;
    let issued = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let client = bootstrap.clone();
        let issued = Arc::clone(&issued);
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for i in 0..PER_WORKER {
                let user = KeyPair::new_user();
                let name = format!("w{w}u{i}");
                let (jti, retries) = issue(&client, &user, &name).await;
                issued.fetch_add(1, Ordering::SeqCst);
                mine.push((name, user.public_key(), jti, retries));
            }
            mine
        }));
    }
    while issued.load(Ordering::SeqCst) < KILL_AFTER {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Kill the second server mid-issuance.
    drop(servers[1].take());
    let mut expected: HashMap<String, String> = HashMap::new();
    let mut retried = 0;
    for worker in workers {
        for (name, key, _jti, retries) in worker.await.unwrap() {
            retried += retries;
            assert!(expected.insert(name, key).is_none());
        }
    }
    assert_eq!(expected.len(), WORKERS * PER_WORKER);
    eprintln!(
        "issued {} users, {retried} retries across the failover",
        expected.len()
    );

    // Exactly one entry per issued user, with that user's key; the quota counts them.
    let admin_client = connect(&all, &creds("acme", "admin")).await;
    let users = admin_settled(&admin_client, "users.list").await;
    let users = users["users"].as_array().unwrap();
    assert_eq!(users.len(), expected.len(), "{users:?}");
    for user in users {
        let name = user["name"].as_str().unwrap();
        assert_eq!(
            user["public_key"].as_str(),
            expected.get(name).map(String::as_str),
            "{name}"
        );
        assert_eq!(user["active"], json!(true));
    }
    let quota = admin_settled(&admin_client, "quota").await;
    assert_eq!(quota["used"], json!(expected.len()), "{quota}");

    // The registry really is replicated three times.
    let writer = integration_tests::connect_with_creds(&urls[0], &nsc_admin_free_user(&written))
        .await
        .unwrap();
    let js = jetstream::new(writer.client.clone());
    let mut stream = js.get_stream("KV_creds_users").await.unwrap();
    assert_eq!(stream.info().await.unwrap().config.num_replicas, 3);

    // And issuance still works after the failover.
    let user = KeyPair::new_user();
    issue(&bootstrap, &user, "after").await;
    let (status, body) = ask(&bootstrap, &proven(&user, "after", None, None)).await;
    assert_eq!(status, 200, "a renewal for the same key: {body}");
}

/// An AUTH user without permission limits, to read stream info.
fn nsc_admin_free_user(written: &nsc_setup::Written) -> String {
    let auth = written.estate.account("AUTH").unwrap();
    let key = auth.key.as_ref().unwrap();
    let user = KeyPair::new_user();
    let mut claims = UserClaims::new_user(user.public_key());
    claims.name = String::from("inspector");
    let jwt = claims.encode(key, integration_tests::unix_now()).unwrap();
    claims::format_creds(&jwt, &user.seed().unwrap())
}
