//! The account JWT's size budget: with a budget a few revocations above the tenant
//! account's JWT, revoking users one by one pushes while they fit and is then refused,
//! with the figures in the reply, the alert in the log and the metrics: the JWT's size
//! and headroom after each push, and the refused push counted.

use integration_tests::{admin_addr, connect_with_creds, http_get};
use nsc_setup::{Layout, ResolverKind};
use serde_json::json;

use super::{admin, estate, mint, policy, provisioner};

/// Revocations the budget leaves room for above the account JWT as `nsc-setup` wrote it.
const ROOM: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_push_while_they_fit_and_then_are_refused_with_the_figures() {
    let estate = estate(ResolverKind::Full);
    let dir = estate.written.dir.clone();
    let policy = policy(&estate, &[], &[]);
    let operator_key = estate.written.estate.operator.signing_keys[0].public_key();
    let key_file = Layout::new(&dir)
        .key_store()
        .key_path(&operator_key)
        .unwrap();
    let acme = estate.account_key("acme").unwrap();
    let url = estate.url();
    let sys = connect_with_creds(&url, &estate.creds("SYS", "sys").unwrap())
        .await
        .unwrap()
        .client;
    let held = sys
        .request(
            format!("$SYS.REQ.ACCOUNT.{acme}.CLAIMS.LOOKUP"),
            bytes::Bytes::new(),
        )
        .await
        .unwrap()
        .payload
        .len();
    // Room for ROOM revocations (and the re-signing's few bytes), not one more.
    let budget = held + ROOM * registry::budget::BYTES_PER_REVOCATION + 40;
    let budget = budget.max(registry::budget::MIN_JWT_BUDGET);
    let extra_room = (budget - held) / registry::budget::BYTES_PER_REVOCATION;
    let mut p = provisioner(
        &estate,
        "budget",
        &policy,
        &[
            "--operator-signing-key",
            &key_file.display().to_string(),
            "--sys-creds",
            &estate.creds_path("SYS", "sys").display().to_string(),
            "--account-jwt-budget-bytes",
            &budget.to_string(),
        ],
    );
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;
    let admin_client = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap()
        .client;

    let mut pushed = 0;
    let refused = loop {
        let name = format!("u{pushed}");
        mint(&bootstrap, &name).await;
        let (status, reply) = admin(&admin_client, "users.revoke", json!({ "name": name })).await;
        assert_eq!(status, 200, "{reply}");
        if reply["pushed"] == json!(false) {
            break reply;
        }
        pushed += 1;
        assert!(pushed <= extra_room + 1, "never refused: {reply}");
    };
    assert!(
        pushed >= 1 && pushed <= extra_room,
        "{pushed} of {extra_room} pushed"
    );
    let note = refused["note"].as_str().unwrap();
    assert!(note.contains("over its budget"), "{note}");
    assert!(note.contains(&budget.to_string()), "{note}");

    p.wait_for_output("ALERT: revocation not pushed", integration_tests::LOG_WAIT)
        .unwrap();
    let (status, metrics) = http_get(&admin_addr(&p.output()).unwrap(), "/metrics").unwrap();
    assert_eq!(status, 200);
    let line = |name: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(name) && l.contains("tenant=\"acme\""))
            .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(line("provisioner_revocation_pushes_over_budget_total"), 1.0);
    let headroom = line("provisioner_account_jwt_headroom_bytes");
    assert!(
        headroom < registry::budget::BYTES_PER_REVOCATION as f64 * 2.0,
        "{headroom} bytes left"
    );
    println!(
        "budget {budget} bytes: {pushed} revocations pushed, the next refused, {headroom} bytes left"
    );
}
