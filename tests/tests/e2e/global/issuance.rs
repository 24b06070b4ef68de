//! A supercluster of three regions (`us`: a 3-server JetStream cluster, the home region;
//! `eu` and `ap`: one server each) and a leaf node bound to tenant `acme`; provisioner
//! replicas connected in `us` and in `eu`. Clients in every region and on the leaf node get
//! creds through the request flow, and each user's creds work in every region and on the
//! leaf node. Then one JetStream server of the home region (the users bucket's leader) is
//! killed while clients in every region issue users: issuance goes on (clients retry what
//! the failover interrupted) and the registry holds exactly one entry per issued user,
//! placed in the home region with 3 replicas.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use claims::KeyPair;
use integration_tests::supercluster::Supercluster;
use serde_json::json;

use super::{admin_settled, connect, issue, provisioner};

/// Where clients connect: every region, and the leaf node.
const SITES: [&str; 4] = ["us", "eu", "ap", "leaf-edge"];
/// Users each region's worker issues during the failover.
const PER_WORKER: usize = 8;
/// Issued users after which the home region loses a server.
const KILL_AFTER: usize = 6;
/// How long a message published in one region may take to reach another.
const DELIVERY: Duration = Duration::from_secs(10);

fn creds(sc: &Supercluster, account: &str, user: &str) -> String {
    let path = sc
        .estate()
        .join(format!("nkeys/creds/OP/{account}/{user}.creds"));
    std::fs::read_to_string(path).unwrap()
}

/// Publishes on `subject` from `publisher` until `subscription` gets it; returns how long
/// it took.
async fn delivered(
    publisher: &async_nats::Client,
    subscription: &mut async_nats::Subscriber,
    subject: &str,
) -> Duration {
    use futures::StreamExt as _;
    let start = Instant::now();
    while start.elapsed() < DELIVERY {
        publisher
            .publish(subject.to_owned(), "ping".into())
            .await
            .unwrap();
        publisher.flush().await.unwrap();
        let wait = tokio::time::timeout(Duration::from_millis(200), subscription.next());
        if let Ok(Some(_)) = wait.await {
            return start.elapsed();
        }
    }
    panic!("nothing on {subject} within {DELIVERY:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_region_issues_and_losing_a_home_server_loses_and_duplicates_nothing() {
    let started = Instant::now();
    let mut sc = Supercluster::start(
        &["us:3", "eu:1", "ap:1"],
        &["edge:acme"],
        &["--tenant", "acme"],
    )
    .unwrap();
    let connected = started.elapsed();
    let estate = sc.estate();
    // A quota, so that the tenant's active set is kept exact across the failover too.
    let policy_path = estate.join("policy.toml");
    let policy = std::fs::read_to_string(&policy_path).unwrap().replacen(
        "names.unique = true\n",
        "names.unique = true\nquotas.max_active_users = 1000\n",
        1,
    );
    std::fs::write(&policy_path, policy).unwrap();
    let _in_us = provisioner(&estate, "p-us", &sc.urls("us"));
    let _in_eu = provisioner(&estate, "p-eu", &sc.urls("eu"));
    let serving = started.elapsed();

    // The registry lives in the home region, 3 replicas, whoever reads it.
    let inspector = connect(&sc.urls("ap"), &creds(&sc, "AUTH", "provisioner")).await;
    let js = jetstream::new(inspector.clone());
    let mut users_stream = js.get_stream("KV_creds_users").await.unwrap();
    let info = users_stream.info().await.unwrap().clone();
    assert_eq!(info.config.num_replicas, 3);
    let placement = info.config.placement.clone().unwrap();
    assert_eq!(placement.tags, ["region:us"]);
    let cluster = info.cluster.clone().unwrap();
    assert_eq!(cluster.name.as_deref(), Some("us"), "{cluster:?}");

    // A client in every region and on the leaf node gets creds...
    let bootstrap = creds(&sc, "acme", "bootstrap");
    let mut minted = Vec::new();
    let mut clients = HashMap::new();
    for site in SITES {
        let client = connect(&sc.urls(site), &bootstrap).await;
        let user = KeyPair::new_user();
        let name = format!("from-{site}");
        let text = issue(&client, &user, &name).await.creds;
        minted.push((site, name, text));
        clients.insert(site, client);
    }
    // ...and they work in every region and on the leaf node.
    let mut slowest = Duration::ZERO;
    for (home, name, text) in &minted {
        let subscriber = connect(&sc.urls(home), text).await;
        let subject = format!("tenant.acme.{name}.ping");
        let mut subscription = subscriber.subscribe(subject.clone()).await.unwrap();
        subscriber.flush().await.unwrap();
        for site in SITES {
            let publisher = connect(&sc.urls(site), text).await;
            slowest = slowest.max(delivered(&publisher, &mut subscription, &subject).await);
        }
    }

    // Kill the users bucket's leader while every region issues.
    let issued = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for site in ["us", "eu", "ap"] {
        let client = clients[site].clone();
        let issued = Arc::clone(&issued);
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for i in 0..PER_WORKER {
                let user = KeyPair::new_user();
                let name = format!("{site}-u{i}");
                let began = Instant::now();
                let retries = issue(&client, &user, &name).await.retries;
                issued.fetch_add(1, Ordering::SeqCst);
                mine.push((name, user.public_key(), retries, began.elapsed()));
            }
            mine
        }));
    }
    while issued.load(Ordering::SeqCst) < KILL_AFTER {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let leader = cluster.leader.clone().unwrap();
    let killed_at = Instant::now();
    sc.kill(&leader).unwrap();
    let mut expected: HashMap<String, String> = HashMap::new();
    let (mut retried, mut longest) = (0, Duration::ZERO);
    for worker in workers {
        for (name, key, retries, took) in worker.await.unwrap() {
            retried += retries;
            longest = longest.max(took);
            assert!(expected.insert(name, key).is_none());
        }
    }
    let drained = killed_at.elapsed();
    assert_eq!(expected.len(), 3 * PER_WORKER);

    // Exactly one entry per issued user, with its key; the quota counts each once.
    let admin = connect(&sc.urls("eu"), &creds(&sc, "acme", "admin")).await;
    let listed = admin_settled(&admin, "users.list").await;
    let listed = listed["users"].as_array().unwrap().clone();
    assert_eq!(listed.len(), expected.len() + minted.len(), "{listed:?}");
    for user in &listed {
        let name = user["name"].as_str().unwrap();
        if let Some(key) = expected.get(name) {
            assert_eq!(user["public_key"].as_str(), Some(key.as_str()), "{name}");
        } else {
            assert!(
                minted.iter().any(|(_, n, _)| n == name),
                "unexpected {name}"
            );
        }
    }
    let quota = admin_settled(&admin, "quota").await;
    assert_eq!(quota["used"], json!(listed.len()), "{quota}");
    let after = users_stream.info().await.unwrap().cluster.clone().unwrap();
    eprintln!(
        "supercluster us:3 eu:1 ap:1 + leaf: connected in {connected:?}, 2 replicas serving \
         after {serving:?}; creds from {} sites work everywhere (slowest cross-region \
         delivery {slowest:?}); killed {leader} (users bucket leader, now {:?}) after \
         {KILL_AFTER} of {} issuances: all issued {drained:?} later, {retried} retries, \
         slowest issuance {longest:?}; registry holds {} users, quota used {}",
        minted.len(),
        after.leader,
        expected.len(),
        listed.len(),
        quota["used"]
    );
}
