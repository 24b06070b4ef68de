//! Revocation across regions: a user minted in `eu` connects in every region and on the
//! leaf node; its tenant's admin revokes it (through `provisioner tenant users revoke`,
//! connected in `ap`); the provisioner pushes the tenant's account JWT once, as the system
//! user, and the full resolvers of every region (across the gateways) and of the leaf node
//! (through its SYS remote) refuse the user at connect. How long each site took after the
//! revocation returned is measured and printed (the push waits for the resolvers'
//! answers, so the refusal is usually in place by then).

use std::time::{Duration, Instant};

use claims::KeyPair;
use integration_tests::supercluster::Supercluster;
use integration_tests::{connect_with_creds, workspace_bin};
use serde_json::Value;

use super::{connect, issue, provisioner};

/// Where the user connects: every region, and the leaf node.
const SITES: [&str; 4] = ["us", "eu", "ap", "leaf-edge"];
/// How long a site may take to refuse the revoked user.
const REFUSAL: Duration = Duration::from_secs(20);
/// Pause between connect attempts while waiting for the refusal.
const RETRY: Duration = Duration::from_millis(25);

/// Whether `creds` may connect at `url` now; panics on anything but an accepted
/// connection or an authorization refusal.
async fn accepted(url: &str, creds: &str) -> bool {
    match connect_with_creds(url, creds).await {
        Ok(_) => true,
        Err(err) => {
            let text = format!("{err:#}").to_lowercase();
            assert!(text.contains("authorization"), "{url}: {text}");
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_user_is_refused_in_every_region_and_on_the_leaf_node() {
    let sc = Supercluster::start(
        &["us:1", "eu:1", "ap:1"],
        &["edge:acme"],
        &["--tenant", "acme"],
    )
    .unwrap();
    let estate = sc.estate();
    let _in_us = provisioner(&estate, "p-us", &sc.urls("us"));
    let creds_of =
        |account: &str, user: &str| estate.join(format!("nkeys/creds/OP/{account}/{user}.creds"));
    let bootstrap = std::fs::read_to_string(creds_of("acme", "bootstrap")).unwrap();
    let client = connect(&sc.urls("eu"), &bootstrap).await;
    let dana = issue(&client, &KeyPair::new_user(), "dana").await.creds;
    for site in SITES {
        assert!(accepted(&sc.urls(site), &dana).await, "{site} before");
    }

    let began = Instant::now();
    let revoke = std::process::Command::new(workspace_bin("provisioner").unwrap())
        .args(["tenant", "-s", &sc.urls("ap"), "--json", "--creds"])
        .arg(creds_of("acme", "admin"))
        .args(["users", "revoke", "dana"])
        .output()
        .unwrap();
    let revoked_at = Instant::now();
    let stdout = String::from_utf8_lossy(&revoke.stdout);
    assert!(
        revoke.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&revoke.stderr)
    );
    let reply: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(reply["pushed"], Value::Bool(true), "{reply}");

    let mut pending: Vec<&str> = SITES.to_vec();
    let mut refused_after = Vec::new();
    while !pending.is_empty() {
        assert!(
            revoked_at.elapsed() < REFUSAL,
            "still accepted after {REFUSAL:?} at {pending:?}"
        );
        let mut still = Vec::new();
        for site in pending {
            match accepted(&sc.urls(site), &dana).await {
                true => still.push(site),
                false => refused_after.push((site, revoked_at.elapsed())),
            }
        }
        pending = still;
        tokio::time::sleep(RETRY).await;
    }
    let figures: Vec<String> = refused_after
        .iter()
        .map(|(site, took)| format!("{site} {took:?}"))
        .collect();
    eprintln!(
        "revocation (admin in ap, user minted in eu): `users revoke` took {:?}; refused at \
         connect after it returned: {}",
        revoked_at - began,
        figures.join(", ")
    );
}
