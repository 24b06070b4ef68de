//! The reference agent on a real nats-server with the `nsc-setup` estate and users minted
//! by `provisioner serve`: tenant isolation, trusted caller identity (forged headers do
//! not change the tenant), quotas and bad input, scatter-gather over two sites with one
//! stopped, and resources that survive an agent restart.
//!
//! Needs nats-server 2.10+ (`./scripts/install-test-tools.sh`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use integration_tests::{connect_with_creds, STEP};
use serde_json::json;

mod support;
use support::{forged, ids, raw, World, SERVICE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated_and_their_identity_cannot_be_forged() {
    let world = World::start(&["acme", "globex", "initech"]);
    let acme_key = world.estate.account_key("acme").unwrap();
    let globex_key = world.estate.account_key("globex").unwrap();
    let mut flags = world.tenant_flags(&["acme", "globex"]);
    flags.extend(["--quota".to_owned(), "2".to_owned()]);
    let _sto1 = world.agent("sto1", &flags);
    let alice = world.mint("acme", "alice");
    let bob = world.mint("globex", "bob");

    // acme allocates at sto1.
    let (code, created) = world.svc(
        &alice,
        &[
            "allocate",
            "--site",
            "sto1",
            "--type",
            "GroupStorageResourceSpecV1",
            "--target-entity",
            "vo-acme",
            "--spec",
            r#"{"gb":5}"#,
        ],
    );
    assert_eq!(code, 0, "{created}");
    assert_eq!(created["site"], "sto1");
    let id = created["id"].as_str().unwrap().to_owned();

    // acme sees it; globex does not, in list, and cannot deallocate it: the answer is the
    // one for an id that does not exist.
    let (code, listed) = world.svc(&alice, &["list", "--site", "sto1"]);
    assert_eq!(code, 0, "{listed}");
    assert_eq!(ids(&listed["answers"]["sto1"]), [id.as_str()]);
    let resource = &listed["answers"]["sto1"]["resources"][0];
    assert_eq!(resource["type"], "GroupStorageResourceSpecV1");
    assert_eq!(resource["specification"], json!({"gb": 5}));
    let (code, listed) = world.svc(&bob, &["list", "--site", "sto1"]);
    assert_eq!(code, 0, "{listed}");
    assert!(ids(&listed["answers"]["sto1"]).is_empty(), "{listed}");
    let (code, theirs) = world.svc(&bob, &["deallocate", "--site", "sto1", "--id", &id]);
    assert_eq!(code, 2, "{theirs}");
    let (_, nothing) = world.svc(&bob, &["deallocate", "--site", "sto1", "--id", "NOSUCHID"]);
    assert_eq!(theirs["type"], "not_found");
    assert_eq!(
        theirs["message"].as_str().unwrap().replace(&id, "<id>"),
        nothing["message"]
            .as_str()
            .unwrap()
            .replace("NOSUCHID", "<id>")
    );
    let (_, listed) = world.svc(&alice, &["list", "--site", "sto1"]);
    assert_eq!(
        ids(&listed["answers"]["sto1"]),
        [id.as_str()],
        "still there"
    );

    // A bootstrap user cannot call svc.> at all.
    let mut bootstrap = connect_with_creds(
        &world.url(),
        &world.estate.creds("acme", "bootstrap").unwrap(),
    )
    .await
    .unwrap();
    bootstrap
        .client
        .publish("svc.storage.list", "{}".into())
        .await
        .unwrap();
    bootstrap.client.flush().await.unwrap();
    bootstrap
        .expect_permission_violation("svc.storage.list")
        .await
        .unwrap();

    // A header alice sets herself is replaced by the server: she is still acme.
    let alice_client = world.connect(&alice).await;
    let (kind, listed) = raw(
        &alice_client,
        "svc.storage.list",
        forged(&globex_key),
        json!({}),
    )
    .await;
    assert_eq!(kind, "ResourcesV1", "{listed}");
    assert_eq!(ids(&listed), [id.as_str()]);
    let (kind, created) = raw(
        &alice_client,
        "svc.storage.sto1.allocate",
        forged(&globex_key),
        json!({"type": "t", "target_entity": "e"}),
    )
    .await;
    assert_eq!(kind, "ResourceCreatedV1", "{created}");
    let (_, listed) = world.svc(&bob, &["list", "--site", "sto1"]);
    assert!(
        ids(&listed["answers"]["sto1"]).is_empty(),
        "globex got nothing: {listed}"
    );
    let (_, listed) = world.svc(&alice, &["list", "--site", "sto1"]);
    assert_eq!(ids(&listed["answers"]["sto1"]).len(), 2);

    // Ping answers anyone who reaches it, with the site.
    let (kind, pong) = raw(
        &alice_client,
        "svc.storage.ping",
        HeaderMap::new(),
        json!({}),
    )
    .await;
    assert_eq!(kind, "PongV1", "{pong}");
    assert_eq!(
        (pong["site"].as_str(), pong["service"].as_str()),
        (Some("sto1"), Some(SERVICE))
    );

    // Inside SERVICES no import is crossed: a header there is the publisher's own words.
    let insider = world
        .estate
        .extra_user("SERVICES", "insider", |c| {
            c.nats.permissions.publish.allow = vec!["svc.>".into(), "_INBOX.>".into()];
            c.nats.permissions.subscribe.allow = vec!["_INBOX.>".into()];
        })
        .unwrap();
    let insider = connect_with_creds(&world.url(), &insider).await.unwrap();
    for account in [acme_key.as_str(), "NOT-AN-ACCOUNT"] {
        let (kind, refused) = raw(&insider, "svc.storage.list", forged(account), json!({})).await;
        assert_eq!(kind, "ErrorV1");
        assert_eq!(refused["type"], "untrusted_caller", "{refused}");
    }
    let (_, refused) = raw(&insider, "svc.storage.list", HeaderMap::new(), json!({})).await;
    assert_eq!(refused["type"], "untrusted_caller", "{refused}");

    // Quota 2 per tenant at the site, whichever subject is used.
    let (code, refused) = world.svc(&alice, &["allocate", "--type", "t", "--target-entity", "e"]);
    assert_eq!(code, 2, "{refused}");
    assert_eq!(refused["type"], "quota_exceeded");
    let (code, created) = world.svc(&bob, &["allocate", "--type", "t", "--target-entity", "e"]);
    assert_eq!(code, 0, "globex has its own quota: {created}");

    // Bad input gets an ErrorV1 that is safe to show.
    for (body, field) in [
        (json!({"type": "a b", "target_entity": "e"}), "type"),
        (
            json!({"type": "t", "target_entity": "e", "tenant": "globex"}),
            "tenant",
        ),
        (
            json!({"type": "t", "target_entity": "e", "specification": [1]}),
            "specification",
        ),
    ] {
        let (kind, refused) = raw(
            &alice_client,
            "svc.storage.sto1.allocate",
            HeaderMap::new(),
            body,
        )
        .await;
        assert_eq!(kind, "ErrorV1");
        assert_eq!(refused["type"], "bad_request", "{refused}");
        assert!(
            refused["message"].as_str().unwrap().contains(field),
            "{refused}"
        );
    }
    let (_, refused) = raw(
        &alice_client,
        "svc.storage.sto1.deallocate",
        HeaderMap::new(),
        json!({"id": "../x"}),
    )
    .await;
    assert_eq!(refused["type"], "bad_request", "{refused}");

    // A tenant the agent is not configured for.
    let carol = world.mint("initech", "carol");
    let (code, refused) = world.svc(&carol, &["list", "--site", "sto1"]);
    assert_eq!(code, 2, "{refused}");
    assert_eq!(
        refused["answers"]["sto1"]["error"]["type"],
        "unknown_tenant"
    );

    // The owner deallocates.
    let (code, gone) = world.svc(&alice, &["deallocate", "--site", "sto1", "--id", &id]);
    assert_eq!(code, 0, "{gone}");
    let (_, listed) = world.svc(&alice, &["list", "--site", "sto1"]);
    assert_eq!(ids(&listed["answers"]["sto1"]).len(), 1);
    let (code, _) = world.svc(&alice, &["allocate", "--type", "t", "--target-entity", "e"]);
    assert_eq!(code, 0, "a slot is free again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_gathers_every_site_names_a_stopped_one_and_resources_survive_a_restart() {
    let world = World::start(&["acme", "globex"]);
    let mut by_tag: Vec<String> = ["acme", "globex", "SERVICES"]
        .iter()
        .flat_map(|a| {
            [
                "--account-jwt".to_owned(),
                world.account_jwt(a).display().to_string(),
            ]
        })
        .collect();
    // The account JWTs are believed because the operator signed them.
    by_tag.extend([
        "--operator-jwt".to_owned(),
        world
            .estate
            .written
            .dir
            .join("nsc/stores/OP/OP.jwt")
            .display()
            .to_string(),
    ]);
    let mut sto1 = world.agent("sto1", &world.tenant_flags(&["acme", "globex"]));
    let mut osl1 = world.agent("osl1", &by_tag);
    let alice = world.mint("acme", "alice");

    let mut at = std::collections::BTreeMap::new();
    for site in ["sto1", "osl1"] {
        let (code, created) = world.svc(
            &alice,
            &[
                "allocate",
                "--site",
                site,
                "--type",
                "t",
                "--target-entity",
                "e",
            ],
        );
        assert_eq!(code, 0, "{created}");
        assert_eq!(created["site"], site);
        at.insert(site, created["id"].as_str().unwrap().to_owned());
    }

    // Both sites answer; the agents report both sites, so none is missing.
    let (code, listed) = world.svc(&alice, &["list", "--deadline", "5s"]);
    assert_eq!(code, 0, "{listed}");
    assert_eq!(listed["answered"], json!(["osl1", "sto1"]));
    assert_eq!(listed["missing"], json!([]));
    assert_eq!(listed["complete"], true);
    for (site, id) in &at {
        assert_eq!(ids(&listed["answers"][*site]), [id.as_str()]);
    }
    let (code, listed) = world.svc(&alice, &["list", "--expect", "2", "--deadline", "5s"]);
    assert_eq!(
        (code, listed["complete"].clone()),
        (0, json!(true)),
        "{listed}"
    );

    // osl1 stops (and drains); list answers with sto1 and names osl1 within the deadline.
    osl1.signal("TERM").unwrap();
    assert!(osl1.wait_exit(STEP).unwrap().success(), "{}", osl1.output());
    for extra in [&["--site", "sto1", "--site", "osl1"][..], &[][..]] {
        let started = Instant::now();
        let mut args = vec!["list", "--deadline", "2s"];
        args.extend_from_slice(extra);
        let (code, listed) = world.svc(&alice, &args);
        let took = started.elapsed();
        assert_eq!(code, 1, "{listed}");
        assert_eq!(listed["answered"], json!(["sto1"]));
        assert_eq!(listed["missing"], json!(["osl1"]));
        assert_eq!(ids(&listed["answers"]["sto1"]), [at["sto1"].as_str()]);
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }

    // sto1 restarts and still has its resource.
    sto1.signal("TERM").unwrap();
    assert!(sto1.wait_exit(STEP).unwrap().success(), "{}", sto1.output());
    let _sto1 = world.agent("sto1", &world.tenant_flags(&["acme", "globex"]));
    let (_, listed) = world.svc(&alice, &["list", "--site", "sto1", "--expect", "1"]);
    assert_eq!(
        ids(&listed["answers"]["sto1"]),
        [at["sto1"].as_str()],
        "{listed}"
    );
    let (code, gone) = world.svc(
        &alice,
        &["deallocate", "--site", "sto1", "--id", &at["sto1"]],
    );
    assert_eq!(code, 0, "{gone}");
}
