//! The home region cut off: with every `us` server stopped, the registry (placed in `us`)
//! is unreachable; a request from `eu`, served by the `eu` replica, fails closed (an
//! error reply, no credentials) and the users issued before are all still there once `us`
//! is back. The tenant's quota stays exact: the users issued before, during (none) and
//! after the outage fill it to the last slot, and the next is refused as over quota.

use std::time::{Duration, Instant};

use claims::KeyPair;
use integration_tests::supercluster::Supercluster;
use serde_json::{json, Value};

use super::{admin_settled, connect, issue, provisioner};
use crate::registry::{proven, SUBJECT};

/// The tenant's quota of active users.
const QUOTA: usize = 4;
/// How long a request may wait for its reply while the registry is unreachable (the
/// replica's request budget is 10 s).
const CUT_OFF_REPLY: Duration = Duration::from_secs(20);

/// One request for `name`; returns the status (200 for credentials) and the body.
async fn request(client: &async_nats::Client, name: &str, within: Duration) -> (u16, Value) {
    let body = proven(&KeyPair::new_user(), name, None, None).to_string();
    // The client waits as long as the test does: with the home region gone, the
    // replica's registry calls may take their whole budget before it answers.
    let ask = async_nats::Request::new()
        .payload(body.into())
        .timeout(Some(within));
    let reply = tokio::time::timeout(within, client.send_request(SUBJECT, ask))
        .await
        .expect("no reply in time")
        .expect("request failed");
    let status = reply
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Service-Error-Code"))
        .map_or(200, |v| v.as_str().parse().unwrap());
    (
        status,
        serde_json::from_slice(&reply.payload).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_home_region_cut_off_issuance_fails_closed_and_quotas_stay_exact() {
    let mut sc = Supercluster::start(&["us:3", "eu:1"], &[], &["--tenant", "acme"]).unwrap();
    let estate = sc.estate();
    let policy_path = estate.join("policy.toml");
    let policy = std::fs::read_to_string(&policy_path).unwrap().replacen(
        "names.unique = true\n",
        &format!("names.unique = true\nquotas.max_active_users = {QUOTA}\n"),
        1,
    );
    std::fs::write(&policy_path, policy).unwrap();
    let _in_us = provisioner(&estate, "p-us", &sc.urls("us"));
    let _in_eu = provisioner(&estate, "p-eu", &sc.urls("eu"));
    let creds = |user: &str| {
        std::fs::read_to_string(estate.join(format!("nkeys/creds/OP/acme/{user}.creds"))).unwrap()
    };
    let client = connect(&sc.urls("eu"), &creds("bootstrap")).await;
    for i in 0..QUOTA - 1 {
        issue(&client, &KeyPair::new_user(), &format!("before-{i}")).await;
    }

    sc.stop_region("us").unwrap();
    let asked = Instant::now();
    let (status, body) = request(&client, "during", CUT_OFF_REPLY).await;
    let refused_in = asked.elapsed();
    assert!(status >= 500, "{status} {body}");
    assert!(body.get("jwt").is_none(), "{body}");
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_owned();
    assert_eq!(
        (status, code.as_str()),
        (503, "registry_unavailable"),
        "{body}"
    );
    let cut_off_status = status;

    let cut_at = Instant::now();
    sc.start_region("us").unwrap();
    let back_in = cut_at.elapsed();
    let retries = issue(&client, &KeyPair::new_user(), "after").await.retries;
    // The registry may still be settling after the region's return: a 503 is retried
    // (with a deadline), the first answer that is not one must be the quota's refusal.
    let settle = Instant::now() + Duration::from_secs(60);
    let (status, body) = loop {
        let (status, body) = request(&client, "over", CUT_OFF_REPLY).await;
        if status != 503 || Instant::now() > settle {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], json!("quota_exceeded"), "{body}");

    let admin = connect(&sc.urls("eu"), &creds("admin")).await;
    let listed = admin_settled(&admin, "users.list").await;
    let mut names: Vec<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["after", "before-0", "before-1", "before-2"]);
    let quota = admin_settled(&admin, "quota").await;
    assert_eq!(quota["used"], json!(QUOTA), "{quota}");
    eprintln!(
        "home region us cut off: a request from eu failed closed with {cut_off_status} `{code}` \
         after {refused_in:?}; us back and connected in {back_in:?}, the next issuance \
         took {retries} retries; quota {QUOTA} exact (one more refused as quota_exceeded)"
    );
}
