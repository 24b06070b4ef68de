//! Quotas and rate limits are exact under load: 64 concurrent requesters against two
//! replicas get exactly the quota's N credentials or the rate limit's R, every other
//! request a 429 with the limit's code and never a 503; a revoked user gives its quota
//! lease back; and a quota set on a tenant that already has active users counts them.

use claims::KeyPair;
use integration_tests::connect_with_creds;
use nsc_setup::ResolverKind;
use serde_json::json;

use super::{admin, ask, code, estate, policy, proven, provisioner};

/// Concurrent requesters.
const REQUESTERS: usize = 64;

/// Sends `REQUESTERS` requests for distinct names at once and returns how many were
/// granted; every other reply must be 429 `expected`.
async fn burst(client: &async_nats::Client, prefix: &str, expected: &str) -> usize {
    let requests: Vec<serde_json::Value> = (0..REQUESTERS)
        .map(|i| proven(&KeyPair::new_user(), &format!("{prefix}{i}"), None, None))
        .collect();
    let replies = futures::future::join_all(requests.iter().map(|r| ask(client, r))).await;
    for (status, body) in replies.iter().filter(|(s, _)| *s != 200) {
        assert_eq!((*status, code(body)), (429, expected), "{body}");
    }
    replies.iter().filter(|(s, _)| *s == 200).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_quota_and_a_rate_limit_issue_exactly_their_number_under_load() {
    let estate = estate(ResolverKind::Memory);
    let policy = policy(
        &estate,
        &[
            ("acme", "quotas.max_active_users = 20\n"),
            (
                "globex",
                "rate_limits = { window_secs = 3600, per_tenant = 25 }\n",
            ),
        ],
        &[],
    );
    let _p1 = provisioner(&estate, "p1", &policy, &[]);
    let _p2 = provisioner(&estate, "p2", &policy, &[]);
    let url = estate.url();
    let acme = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;
    let globex = connect_with_creds(&url, &estate.creds("globex", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;

    assert_eq!(burst(&acme, "q", "quota_exceeded").await, 20);
    assert_eq!(burst(&acme, "again", "quota_exceeded").await, 0);
    assert_eq!(burst(&globex, "r", "rate_limited").await, 25);
    assert_eq!(burst(&globex, "more", "rate_limited").await, 0);

    // The quota endpoint counts the leases; a revoked user gives its lease back.
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap()
        .client;
    let (status, quota) = admin(&acme_admin, "quota", json!({})).await;
    assert_eq!(status, 200, "{quota}");
    assert_eq!(quota["used"], json!(20), "{quota}");
    let (_, users) = admin(&acme_admin, "users.list", json!({})).await;
    let first = users["users"][0]["name"].as_str().unwrap().to_owned();
    let (status, body) = admin(&acme_admin, "users.revoke", json!({"name": first})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(burst(&acme, "after", "quota_exceeded").await, 1);
}

#[tokio::test]
async fn a_new_quota_counts_the_users_already_active() {
    let estate = estate(ResolverKind::Memory);
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;
    let open = policy(&estate, &[], &[]);
    let mut p1 = provisioner(&estate, "p1", &open, &[]);
    for i in 0..5 {
        let (status, body) = ask(
            &client,
            &proven(&KeyPair::new_user(), &format!("u{i}"), None, None),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    p1.kill();
    let quota = policy(&estate, &[("acme", "quotas.max_active_users = 6\n")], &[]);
    let _p2 = provisioner(&estate, "p2", &quota, &[]);
    assert_eq!(burst(&client, "late", "quota_exceeded").await, 1);
}
