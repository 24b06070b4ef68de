//! Finding a resource's site when the caller does not know it, on a real nats-server
//! with two sites of one service, each a running agent:
//!
//! - the site that holds the caller's resource answers `here`, so `locate` names it;
//!   another tenant asking about the same id hears "not here" from every site, exactly
//!   as for an id that exists nowhere;
//! - a cache naming the wrong site is corrected: the operation there answers
//!   `not_found`, the library searches, runs it at the right site, and the cache then
//!   names that site;
//! - `provisioner svc deallocate` and `svc status` without `--site` reach the owning
//!   site, and the record there says `deleted`.
//!
//! Needs nats-server 2.10+ (`./scripts/install-test-tools.sh`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::time::Duration;

use agent::locate::{by_id, locate, ResourceKey, SiteCache};
use async_nats::HeaderMap;
use serde_json::json;

mod support;
use support::{raw, World, SERVICE};

/// How long a search may gather answers.
const SEARCH: Duration = Duration::from_secs(5);

/// Allocates a resource for `creds` at `site`; returns its id.
fn allocate(world: &World, creds: &Path, site: &str) -> String {
    let (code, created) = world.svc(
        creds,
        &[
            "allocate",
            "--site",
            site,
            "--type",
            "folder",
            "--target-entity",
            "vo-x",
        ],
    );
    assert_eq!(code, 0, "{created}");
    assert_eq!(created["site"], site);
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_is_found_at_its_site_and_a_stale_cached_site_is_corrected() {
    let world = World::start(&["acme", "globex"]);
    let flags = world.tenant_flags(&["acme", "globex"]);
    let _sto1 = world.agent("sto1", &flags);
    let _osl1 = world.agent("osl1", &flags);
    let alice = world.mint("acme", "alice");
    let bob = world.mint("globex", "bob");
    let alice_client = world.connect(&alice).await;
    let bob_client = world.connect(&bob).await;

    let first = allocate(&world, &alice, "sto1");

    // The owner's search names the site that holds it.
    let found = locate(&alice_client.client, SERVICE, &first, SEARCH)
        .await
        .unwrap();
    assert_eq!(found.site.as_deref(), Some("sto1"), "{found:?}");

    // Another tenant hears "not here" from every site, and nothing reveals the id.
    let found = locate(&bob_client.client, SERVICE, &first, SEARCH)
        .await
        .unwrap();
    assert_eq!(found.site, None, "{found:?}");
    assert_eq!(found.answered, ["osl1", "sto1"], "both sites answered");
    assert!(found.missing.is_empty(), "{found:?}");
    let (kind, answer) = raw(
        &bob_client,
        &format!("svc.{SERVICE}.locate"),
        HeaderMap::new(),
        json!({ "id": first }),
    )
    .await;
    assert_eq!(kind, "ResourceLocationV1", "{answer}");
    assert_eq!(answer["here"], false, "{answer}");
    let nowhere = by_id::status(
        &bob_client.client,
        &SiteCache::default(),
        (SERVICE, &first),
        SEARCH,
    )
    .await
    .unwrap();
    assert_eq!(nowhere.site, None);
    let refusal = nowhere.answer.unwrap_err();
    assert_eq!(refusal.error_type, "not_found", "{refusal:?}");

    // A cache naming the wrong site: osl1 answers not_found, the library finds sto1,
    // deallocates there, and remembers sto1.
    let cache = SiteCache::default();
    let key = ResourceKey::new(SERVICE, &first);
    cache.put(key.clone(), "osl1");
    let reached = by_id::deallocate(&alice_client.client, &cache, (SERVICE, &first), SEARCH)
        .await
        .unwrap();
    assert_eq!(reached.site.as_deref(), Some("sto1"));
    let gone = reached.answer.unwrap();
    assert_eq!(
        (gone.id.as_str(), gone.site.as_str()),
        (first.as_str(), "sto1")
    );
    assert!(reached.searched.is_some(), "the stale entry made it search");
    assert_eq!(
        cache.get(&key).as_deref(),
        Some("sto1"),
        "the cache is corrected"
    );

    // The corrected entry is used as is: the record is read at sto1 without a search.
    let state = by_id::status(&alice_client.client, &cache, (SERVICE, &first), SEARCH)
        .await
        .unwrap();
    assert!(state.searched.is_none(), "{state:?}");
    assert_eq!(state.answer.unwrap().lifecycle.status.name(), "deleted");

    // A cached site with no agent at all (one that was taken down) sends it searching
    // too.
    cache.put(key.clone(), "gone1");
    let state = by_id::status(&alice_client.client, &cache, (SERVICE, &first), SEARCH)
        .await
        .unwrap();
    assert_eq!(state.site.as_deref(), Some("sto1"));
    assert_eq!(cache.get(&key).as_deref(), Some("sto1"));

    // The command line without --site: deallocate reaches sto1, and status finds the
    // record there deleted.
    let second = allocate(&world, &alice, "sto1");
    let (code, gone) = world.svc(&alice, &["deallocate", "--id", &second]);
    assert_eq!(code, 0, "{gone}");
    assert_eq!(
        (gone["id"].as_str(), gone["site"].as_str()),
        (Some(second.as_str()), Some("sto1"))
    );
    let (code, state) = world.svc(&alice, &["status", &second]);
    assert_eq!(code, 0, "{state}");
    assert_eq!(
        (state["site"].as_str(), state["status"].as_str()),
        (Some("sto1"), Some("deleted"))
    );

    // Without --site, another tenant's id is refused as one that exists nowhere.
    let (code, refused) = world.svc(&bob, &["deallocate", "--id", &second]);
    assert_eq!(code, 2, "{refused}");
    assert_eq!(refused["type"], "not_found", "{refused}");

    // A service no agent serves is found to have no site without waiting out the
    // deadline: the server says at once that nobody listens.
    let asked = std::time::Instant::now();
    let unserved = locate(&alice_client.client, "nosuch", &second, SEARCH)
        .await
        .unwrap();
    assert!(
        unserved.site.is_none() && unserved.answered.is_empty(),
        "{unserved:?}"
    );
    assert!(asked.elapsed() < SEARCH, "{:?}", asked.elapsed());

    // An id no agent could have made is found nowhere, without waiting for answers.
    let asked = std::time::Instant::now();
    let bad = locate(&alice_client.client, SERVICE, "no-such.id", SEARCH)
        .await
        .unwrap();
    assert!(bad.site.is_none() && bad.answered.is_empty(), "{bad:?}");
    assert!(asked.elapsed() < SEARCH, "{:?}", asked.elapsed());
}
