//! Geo-aware service and failover: provisioner replicas in `us` (the home region) and in
//! `eu` join one queue group, so NATS serves each request in the caller's region while
//! that region has a replica, and across a gateway when it has none. Every reply names the
//! region that served it (`Served-Region`), and so does every issuance in the history.
//!
//! A client in `eu` is served by `eu`, one in `us` and one on the leaf node (whose hub is
//! the home region) by `us`; one in `ap`, a region with no replica, by another region.
//! Then the `eu` replicas are killed (SIGKILL) one by one while two `eu` clients keep
//! issuing: with one left, `eu` still serves; with none, `us` takes over. No request is
//! lost (clients retry what the kill interrupted), and the registry holds each issued name
//! exactly once with its key.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use claims::KeyPair;
use integration_tests::supercluster::Supercluster;
use serde_json::json;

use super::{admin_settled, connect, issue, provisioner};

/// Requests each site makes before the failover.
const ROUNDS: usize = 3;
/// Clients in `eu` issuing through the failover.
const WORKERS: usize = 2;
/// Issuances each `eu` client needs served by another region before it stops.
const AFTER_FAILOVER: usize = 4;
/// How long the failover part may take at most.
const FAILOVER_DEADLINE: Duration = Duration::from_secs(90);

/// One issuance of the failover part: the name, the key, the region that served it, how
/// many tries failed first, when it was asked for and when it was served.
struct Served {
    name: String,
    key: String,
    region: String,
    retries: usize,
    began: Instant,
    at: Instant,
}

/// Issues users from `client` until `AFTER_FAILOVER` of them were served outside `eu`.
async fn keep_issuing(
    client: async_nats::Client,
    worker: usize,
    progress: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<Served>>>,
) {
    let started = Instant::now();
    let mut elsewhere = 0;
    let mut i = 0;
    while elsewhere < AFTER_FAILOVER {
        assert!(
            started.elapsed() < FAILOVER_DEADLINE,
            "worker {worker}: no failover within {FAILOVER_DEADLINE:?}"
        );
        let user = KeyPair::new_user();
        let name = format!("eu{worker}-{i}");
        i += 1;
        let began = Instant::now();
        let issued = issue(&client, &user, &name).await;
        let region = issued.region.expect("every reply names its region");
        if region != "eu" {
            elsewhere += 1;
        }
        log.lock().unwrap().push(Served {
            name,
            key: user.public_key(),
            region,
            retries: issued.retries,
            began,
            at: Instant::now(),
        });
        progress.fetch_add(1, Ordering::SeqCst);
    }
}

/// Waits until `progress` reaches `count`.
async fn until(progress: &AtomicUsize, count: usize) {
    let deadline = Instant::now() + FAILOVER_DEADLINE;
    while progress.load(Ordering::SeqCst) < count {
        assert!(
            Instant::now() < deadline,
            "only {progress:?} of {count} issued"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_region_serves_its_own_callers_and_another_takes_over_when_it_has_no_replica() {
    let sc = Supercluster::start(
        &["us:3", "eu:1", "ap:1"],
        &["edge:acme"],
        &["--tenant", "acme"],
    )
    .unwrap();
    let estate = sc.estate();
    let creds = |user: &str| {
        std::fs::read_to_string(estate.join(format!("nkeys/creds/OP/acme/{user}.creds"))).unwrap()
    };
    let _in_us = provisioner(&estate, "p-us", &sc.urls("us"));
    let mut in_eu = [
        provisioner(&estate, "p-eu-1", &sc.urls("eu")),
        provisioner(&estate, "p-eu-2", &sc.urls("eu")),
    ];

    // Served where the caller is, while the caller's region has a replica.
    let bootstrap = creds("bootstrap");
    let mut served_by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for site in ["us", "eu", "ap", "leaf-edge"] {
        let client = connect(&sc.urls(site), &bootstrap).await;
        for i in 0..ROUNDS {
            let issued = issue(&client, &KeyPair::new_user(), &format!("{site}-{i}")).await;
            let region = issued.region.expect("every reply names its region");
            served_by.entry(site).or_default().push(region);
        }
    }
    let all = |site: &str, region: &str| served_by[site].iter().all(|r| r == region);
    assert!(all("eu", "eu"), "{served_by:?}");
    assert!(all("us", "us"), "{served_by:?}");
    // The leaf node's remotes go to the home region, so its requests enter there.
    assert!(all("leaf-edge", "us"), "{served_by:?}");
    // `ap` has no replica: a gateway takes its requests to a region that has one.
    assert!(
        served_by["ap"].iter().all(|r| r == "us" || r == "eu"),
        "{served_by:?}"
    );

    // Kill the eu replicas one by one while eu clients keep issuing.
    let progress = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let client = connect(&sc.urls("eu"), &bootstrap).await;
        let (progress, log) = (Arc::clone(&progress), Arc::clone(&log));
        workers.push(tokio::spawn(keep_issuing(client, worker, progress, log)));
    }
    until(&progress, 2 * WORKERS).await;
    in_eu[0].kill();
    let one_left_at = Instant::now();
    let issued_before = progress.load(Ordering::SeqCst);
    until(&progress, issued_before + 2 * WORKERS).await;
    in_eu[1].kill();
    let killed_at = Instant::now();
    for worker in workers {
        worker.await.unwrap();
    }
    let log = std::mem::take(&mut *log.lock().unwrap());

    // With one eu replica left, eu served; with none, another region did, from the
    // first request after the kill that was not interrupted by it.
    let between: Vec<&Served> = log
        .iter()
        .filter(|s| s.at > one_left_at && s.at <= killed_at)
        .collect();
    assert!(between.len() >= 2 * WORKERS, "{}", between.len());
    assert!(between.iter().all(|s| s.region == "eu"));
    let first_elsewhere = log
        .iter()
        .filter(|s| s.region != "eu")
        .map(|s| s.at)
        .min()
        .unwrap();
    assert!(first_elsewhere > killed_at);
    let failover = first_elsewhere - killed_at;
    // A request asked for after the kill meets no dead replica: how long it took.
    let asked_after = log
        .iter()
        .filter(|s| s.began > killed_at)
        .min_by_key(|s| s.began)
        .map(|s| s.at - s.began)
        .unwrap();
    let after: Vec<&Served> = log.iter().filter(|s| s.at > first_elsewhere).collect();
    assert!(after.iter().all(|s| s.region != "eu"));
    let retries: usize = log.iter().map(|s| s.retries).sum();

    // Nothing lost and nothing twice: every name once, with its key.
    let admin = connect(&sc.urls("ap"), &creds("admin")).await;
    let listed = admin_settled(&admin, "users.list").await;
    let keys: HashMap<String, String> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let name = u["name"].as_str().unwrap().to_owned();
            (name, u["public_key"].as_str().unwrap().to_owned())
        })
        .collect();
    let issued_total = served_by.values().map(Vec::len).sum::<usize>() + log.len();
    assert_eq!(keys.len(), issued_total, "{listed}");
    for served in &log {
        assert_eq!(keys.get(&served.name), Some(&served.key), "{}", served.name);
    }

    // The history says which region served each issuance: those served before the
    // failover, and those the surviving replica served after it (a killed replica's
    // history records still queued in it die with it).
    let mut expected: Vec<(String, String)> = Vec::new();
    for (site, regions) in &served_by {
        for (i, region) in regions.iter().enumerate() {
            expected.push((format!("{site}-{i}"), region.clone()));
        }
    }
    expected.extend(after.iter().map(|s| (s.name.clone(), s.region.clone())));
    let deadline = Instant::now() + Duration::from_secs(20);
    let history = loop {
        let history = admin_settled(&admin, "issuances").await;
        let records = history["issuances"].as_array().unwrap();
        let found = expected.iter().all(|(name, region)| {
            records
                .iter()
                .any(|r| r["name"] == json!(name) && r["region"] == json!(region))
        });
        if found {
            break history;
        }
        assert!(
            Instant::now() < deadline,
            "{expected:?} not all in {history}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let records = history["issuances"].as_array().unwrap();
    assert!(records.iter().all(|r| r["region"].is_string()), "{history}");

    let took_over = after.first().map_or("-", |s| s.region.as_str());
    eprintln!(
        "geo-aware service: eu→{:?} us→{:?} ap→{:?} leaf→{:?}; {} eu issuances through \
         the failover: with one eu replica of two killed eu kept serving ({} issued), with \
         both killed {took_over} served the first request {failover:?} after the kill (a \
         request in flight at the kill waits for its client's timeout; the first asked \
         after it took {asked_after:?}), {retries} retries in all, every name once in \
         the registry",
        served_by["eu"],
        served_by["us"],
        served_by["ap"],
        served_by["leaf-edge"],
        log.len(),
        between.len()
    );
}
