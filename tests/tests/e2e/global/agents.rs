//! A site's agents in two regions: replicas of `storage` at site `sto1` run in `us` and in
//! `eu` and join the site's one queue group, so a tenant's allocation from `eu` is served
//! by the `eu` agent, and by the `us` agent once the `eu` one is gone (through the
//! gateway). Each reply names the region that served it (`Served-Region`), and so does
//! the move each agent wrote in the resource's lifecycle record.

use std::path::Path;
use std::time::{Duration, Instant};

use claims::KeyPair;
use integration_tests::agent::{folder_config, start_agent, AgentSite, AGENT_START};
use integration_tests::supercluster::Supercluster;
use integration_tests::ProductProcess;
use serde_json::{json, Value};

use super::{connect, issue, provisioner};

/// How long the allocation after the `eu` agent's death may keep failing over.
const FAILOVER: Duration = Duration::from_secs(30);

/// Starts the agent of `storage` at `sto1` connected to `urls`, running the example
/// `mkdir.sh` handler for type `folder` under `root`.
fn agent(sc: &Supercluster, label: &str, urls: &str, root: &Path) -> ProductProcess {
    let estate = sc.estate();
    let config = estate.join(format!("{label}.toml"));
    std::fs::write(&config, folder_config(root)).unwrap();
    let loaded = nsc_setup::load_dir(&estate).unwrap();
    let acme = loaded.account("acme").unwrap().public_key().to_owned();
    let creds = estate.join("nkeys/creds/OP/SERVICES/agent-storage-sto1.creds");
    let site = AgentSite {
        urls,
        creds: &creds,
        service: "storage",
        site: "sto1",
        tenants: &[("acme", acme)],
    };
    start_agent(&site, &config, estate.join(format!("{label}.log"))).unwrap()
}

/// One contract request on `subject`; the answer's body and the region that served it.
async fn ask(
    client: &async_nats::Client,
    subject: &str,
    kind: &str,
    body: Value,
) -> Option<(Value, Option<String>)> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Message-Type", kind);
    let sent = client.request_with_headers(subject.to_owned(), headers, body.to_string().into());
    let reply = tokio::time::timeout(Duration::from_secs(5), sent)
        .await
        .ok()?
        .ok()?;
    let region = reply
        .headers
        .as_ref()
        .and_then(|h| h.get("Served-Region"))
        .map(|v| v.as_str().to_owned());
    Some((serde_json::from_slice(&reply.payload).ok()?, region))
}

/// Allocates a folder at `sto1`, retrying while no agent answers; its id and the region
/// that served it.
async fn allocate(client: &async_nats::Client, within: Duration) -> (String, String) {
    let until = Instant::now() + within;
    let request = json!({"type": "folder", "target_entity": "dana", "specification": {}});
    loop {
        let answer = ask(
            client,
            "svc.storage.sto1.allocate",
            "ResourceAllocateV1",
            request.clone(),
        )
        .await;
        if let Some((body, Some(region))) = answer {
            if let Some(id) = body["id"].as_str() {
                return (id.to_owned(), region);
            }
            assert!(body.get("error").is_some(), "{body}");
        }
        assert!(Instant::now() < until, "no allocation within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The regions named by the moves of resource `id`'s lifecycle record.
async fn move_regions(client: &async_nats::Client, id: &str) -> Vec<Value> {
    let (record, _) = ask(
        client,
        "svc.storage.sto1.status",
        "ResourceStatusV1",
        json!({ "id": id }),
    )
    .await
    .expect("a status answer");
    assert_eq!(record["status"], json!("created"), "{record}");
    record["history"]
        .as_array()
        .unwrap_or_else(|| panic!("no history in {record}"))
        .iter()
        .map(|m| m["region"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sites_agents_in_two_regions_serve_their_region_and_cover_for_each_other() {
    let sc = Supercluster::start(
        &["us:3", "eu:1"],
        &[],
        &["--tenant", "acme", "--service", "storage:sto1"],
    )
    .unwrap();
    let estate = sc.estate();
    let root = tempfile::tempdir().unwrap();
    let _provisioner = provisioner(&estate, "p-us", &sc.urls("us"));
    let _in_us = agent(&sc, "agent-us", &sc.urls("us"), root.path());
    let mut in_eu = agent(&sc, "agent-eu", &sc.urls("eu"), root.path());

    // A user of acme, connected in eu.
    let bootstrap =
        std::fs::read_to_string(estate.join("nkeys/creds/OP/acme/bootstrap.creds")).unwrap();
    let boot = connect(&sc.urls("eu"), &bootstrap).await;
    let dana = issue(&boot, &KeyPair::new_user(), "dana").await.creds;
    let client = connect(&sc.urls("eu"), &dana).await;

    let (near, served_near) = allocate(&client, AGENT_START).await;
    assert_eq!(served_near, "eu");

    in_eu.kill();
    let killed = Instant::now();
    let (far, served_far) = allocate(&client, FAILOVER).await;
    let took = killed.elapsed();
    assert_eq!(served_far, "us");

    // The record of each says where each move was made.
    let near_moves = move_regions(&client, &near).await;
    assert!(!near_moves.is_empty());
    assert!(near_moves.iter().all(|r| r == "eu"), "{near_moves:?}");
    let far_moves = move_regions(&client, &far).await;
    assert!(far_moves.iter().all(|r| r == "us"), "{far_moves:?}");
    eprintln!(
        "agents of storage/sto1 in us and eu: an allocation from eu served by eu; with the \
         eu agent killed, the next served by us {took:?} after the kill; each record's \
         moves name their region"
    );
}
