//! `rate_limits.per_requester` counts who asked, never the requested key: legacy
//! plain-text requests from inside the provisioner's account (a new server-made key
//! each time) all count as one anonymous requester, so a limit of 1 lets one through.
//! Before, each request counted under its own new key and every one passed.

use integration_tests::connect_with_creds;
use nsc_setup::ResolverKind;

use crate::registry::{code, estate, insider, policy, provisioner, SUBJECT};

#[tokio::test]
async fn legacy_requests_without_an_identity_share_one_per_requester_count() {
    let estate = estate(ResolverKind::Memory);
    let policy = policy(
        &estate,
        &[(
            "acme",
            "identity.legacy.enabled = true\n\
             identity.legacy.rate_limits = { window_secs = 3600, per_requester = 1 }\n",
        )],
        &[],
    );
    let _provisioner = provisioner(&estate, "p", &policy, &[]);
    let inside = connect_with_creds(&estate.url(), &insider(&estate))
        .await
        .unwrap()
        .client;
    let mut granted = 0;
    for i in 0..4 {
        let reply = tokio::time::timeout(
            integration_tests::STEP,
            inside.request(SUBJECT, format!("legacy{i}").into()),
        )
        .await
        .unwrap()
        .unwrap();
        let status = reply
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Service-Error-Code"))
            .map_or(200, |v| v.as_str().parse::<u16>().unwrap());
        if status == 200 {
            assert!(String::from_utf8_lossy(&reply.payload).contains("BEGIN NATS USER JWT"));
            granted += 1;
        } else {
            let body: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
            assert_eq!((status, code(&body)), (429, "rate_limited"), "{body}");
        }
    }
    assert_eq!(granted, 1, "one anonymous requester, a limit of one");
}
