//! Buckets: an agent's creds do everything the reference agent does with its own KV
//! bucket `agent_<service>_<site>` (create it on first use, create, read, update, purge
//! and list keys, list the account's streams for the sites it knows), and nothing with
//! another service's bucket.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures::TryStreamExt as _;

use super::Isolated;

/// Short enough that the refused JetStream call below ends soon, long enough for a busy
/// test machine to answer the allowed ones.
const JS_TIMEOUT: Duration = Duration::from_secs(3);

fn bucket_config(bucket: &str) -> kv::Config {
    kv::Config {
        bucket: bucket.to_owned(),
        history: 1,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_uses_its_own_bucket_and_no_other() {
    let estate = Isolated::start();
    let mut storage = estate.service_user("agent-storage-sto1").await;
    let compute = estate.service_user("agent-compute-sto1").await;

    // Compute's agent makes its bucket and keeps a resource in it.
    let compute_js = jetstream::new(compute.client.clone());
    let theirs = compute_js
        .create_key_value(bucket_config("agent_compute_sto1"))
        .await
        .unwrap();
    theirs.create("acme.r1", "secret".into()).await.unwrap();

    // Storage's agent: first use creates the bucket (as `ResourceStore::open` does when
    // it is missing), then every operation the store uses.
    let mut js = jetstream::new(storage.client.clone());
    js.set_timeout(JS_TIMEOUT);
    assert!(js.get_key_value("agent_storage_sto1").await.is_err());
    js.create_key_value(bucket_config("agent_storage_sto1"))
        .await
        .unwrap();
    let ours = js.get_key_value("agent_storage_sto1").await.unwrap();
    let revision = ours.create("acme", "1".into()).await.unwrap();
    ours.update("acme", "2".into(), revision).await.unwrap();
    ours.create("acme.r1", "{}".into()).await.unwrap();
    let entry = ours.entry("acme").await.unwrap().unwrap();
    assert_eq!(&entry.value[..], b"2");
    let mut keys: Vec<String> = ours.keys().await.unwrap().try_collect().await.unwrap();
    keys.sort();
    assert_eq!(keys, ["acme", "acme.r1"]);
    ours.purge("acme.r1").await.unwrap();
    assert!(ours.get("acme.r1").await.unwrap().is_none());
    let names: Vec<String> = js.stream_names().try_collect().await.unwrap();
    assert!(names.contains(&String::from("KV_agent_storage_sto1")));

    // Compute's bucket: neither read nor written.
    assert!(js.get_key_value("agent_compute_sto1").await.is_err());
    storage
        .expect_permission_violation("$JS.API.STREAM.INFO.KV_agent_compute_sto1")
        .await
        .unwrap();
    storage
        .client
        .publish("$KV.agent_compute_sto1.acme.r1", "overwritten".into())
        .await
        .unwrap();
    storage.client.flush().await.unwrap();
    storage
        .expect_permission_violation("$KV.agent_compute_sto1.acme.r1")
        .await
        .unwrap();
    let direct = "$JS.API.DIRECT.GET.KV_agent_compute_sto1.$KV.agent_compute_sto1.acme.r1";
    storage.client.publish(direct, "".into()).await.unwrap();
    storage.client.flush().await.unwrap();
    storage.expect_permission_violation(direct).await.unwrap();
    let kept = theirs.get("acme.r1").await.unwrap().unwrap();
    assert_eq!(&kept[..], b"secret");
}
