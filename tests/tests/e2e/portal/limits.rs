//! The portal's own request limit per identity, against the real stack: a second portal
//! on the stack's estate with `PORTAL_RATE_PER_IDENTITY=6` (one request every 10 s, a
//! burst of one). A caller past it gets `429 rate_limited` with a `Retry-After` of the
//! real wait; another identity of the same tenant is still served; a caller without a
//! token is refused `401` (never counted); the stack's own portal (the default limit)
//! keeps serving the limited caller.

use std::time::Duration;

use integration_tests::ProductProcess;

use super::stack::{start_portal, Reply, Stack};

/// `portal serve` on the stack's estate with `envs` besides; returns it and its base URL.
fn another_portal(stack: &Stack, label: &str, envs: &[(&str, &str)]) -> (ProductProcess, String) {
    start_portal(&stack.estate, label, &[], envs)
}

async fn me(http: &reqwest::Client, base: &str, token: Option<&str>) -> Reply {
    let mut request = http
        .get(format!("{base}/api/v1/me"))
        .timeout(Duration::from_secs(20));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_rate_an_identity_gets_429_with_the_wait_and_others_are_served() {
    let stack = Stack::start("limits");
    let (_limited, base) = another_portal(&stack, "limits-6", &[("PORTAL_RATE_PER_IDENTITY", "6")]);
    let http = oidc::remote::http_client(None).unwrap();
    let dana = stack.token("dana", "acme", &[]);
    let erin = stack.token("erin", "acme", &[]);

    let first = me(&http, &base, Some(&dana)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let second = me(&http, &base, Some(&dana)).await;
    second.assert_problem(429, "rate_limited");
    let wait: u64 = second.header("retry-after").parse().unwrap();
    assert!((1..=10).contains(&wait), "Retry-After {wait}");
    // A fresh token of the same person is the same identity (issuer and subject).
    let dana_again = stack.token("dana", "acme", &["role:user"]);
    me(&http, &base, Some(&dana_again))
        .await
        .assert_problem(429, "rate_limited");

    let other = me(&http, &base, Some(&erin)).await;
    assert_eq!(other.status, 200, "{}", other.body);
    for _ in 0..3 {
        me(&http, &base, None)
            .await
            .assert_problem(401, "token_missing");
    }
    // The stack's own portal has the default limit: dana is served there.
    let elsewhere = stack.get("/api/v1/me", &dana).await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.body);
}
