//! Two provisioner replicas in one queue group, many rounds of two concurrent requests
//! racing for one name, one single-use invite and one last quota slot: in every round
//! exactly one wins and the other gets the decision of the state the winner left; and
//! rate limits counted per window across replicas.

use claims::KeyPair;
use integration_tests::{connect_with_creds, LOG_WAIT};
use nsc_setup::ResolverKind;
use serde_json::json;

use super::{admin, ask, code, estate, insider, policy, proven, provisioner};

/// Rounds of each race.
const ROUNDS: usize = 30;

/// Exactly one of two replies is a grant; returns the loser's (status, code) and which
/// one won (0 or 1).
fn one_winner(
    what: &str,
    round: usize,
    a: &(u16, serde_json::Value),
    b: &(u16, serde_json::Value),
) -> ((u16, String), usize) {
    match (a.0, b.0) {
        (200, 200) => panic!("{what} round {round}: both won: {} / {}", a.1, b.1),
        (200, _) => ((b.0, code(&b.1).to_owned()), 0),
        (_, 200) => ((a.0, code(&a.1).to_owned()), 1),
        _ => panic!("{what} round {round}: nobody won: {} / {}", a.1, b.1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_racing_for_a_name_an_invite_or_the_last_quota_slot_have_one_winner() {
    let estate = estate(ResolverKind::Memory);
    let policy = policy(
        &estate,
        &[
            ("acme", "identity.invite.enabled = true\n"),
            ("globex", "quotas.max_active_users = 1\n"),
        ],
        &[],
    );
    let mut p1 = provisioner(&estate, "p1", &policy, &[]);
    let mut p2 = provisioner(&estate, "p2", &policy, &[]);
    let url = estate.url();
    let acme = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;
    let globex = connect_with_creds(&url, &estate.creds("globex", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap()
        .client;
    let globex_admin = connect_with_creds(&url, &estate.creds("globex", "admin").unwrap())
        .await
        .unwrap()
        .client;
    let anonymous = connect_with_creds(&url, &insider(&estate))
        .await
        .unwrap()
        .client;

    for round in 0..ROUNDS {
        // One name, two keys.
        let name = format!("racer{round}");
        let (ka, kb) = (KeyPair::new_user(), KeyPair::new_user());
        let (ra, rb) = (
            proven(&ka, &name, None, None),
            proven(&kb, &name, None, None),
        );
        let (a, b) = tokio::join!(ask(&acme, &ra), ask(&acme, &rb));
        let (loser, winner) = one_winner("name", round, &a, &b);
        assert_eq!(
            loser,
            (409, String::from("name_taken")),
            "name round {round}"
        );
        let key = [&ka, &kb][winner].public_key();
        let (status, shown) = admin(&acme_admin, "users.show", json!({"name": name})).await;
        assert_eq!(status, 200, "{shown}");
        assert_eq!(shown["users"][0]["public_key"], json!(key));

        // One single-use invite, two anonymous requesters with different names.
        let (status, created) = admin(
            &acme_admin,
            "invites.create",
            json!({"name_pattern": "guest*", "uses": 1, "ttl_secs": 600}),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        let token = created["token"].as_str().unwrap();
        let (ka, kb) = (KeyPair::new_user(), KeyPair::new_user());
        let (ra, rb) = (
            proven(&ka, &format!("guest{round}a"), None, Some(token)),
            proven(&kb, &format!("guest{round}b"), None, Some(token)),
        );
        let (a, b) = tokio::join!(ask(&anonymous, &ra), ask(&anonymous, &rb));
        let (loser, _) = one_winner("invite", round, &a, &b);
        assert_eq!(
            loser,
            (403, String::from("invite_invalid")),
            "invite round {round}"
        );

        // The last quota slot of globex (max 1), two new names.
        let (ka, kb) = (KeyPair::new_user(), KeyPair::new_user());
        let (na, nb) = (format!("q{round}a"), format!("q{round}b"));
        let (ra, rb) = (proven(&ka, &na, None, None), proven(&kb, &nb, None, None));
        let (a, b) = tokio::join!(ask(&globex, &ra), ask(&globex, &rb));
        let (loser, winner) = one_winner("quota", round, &a, &b);
        assert_eq!(
            loser,
            (429, String::from("quota_exceeded")),
            "quota round {round}"
        );
        let (status, quota) = admin(&globex_admin, "quota", json!({})).await;
        assert_eq!(
            (status, &quota["used"], &quota["limit"]),
            (200, &json!(1), &json!(1))
        );
        // Revoking the winner frees the slot for the next round.
        let won = [&na, &nb][winner];
        let (status, revoked) = admin(&globex_admin, "users.revoke", json!({"name": won})).await;
        assert_eq!(status, 200, "{revoked}");
    }

    // The losers left nothing behind: one entry per name race, one per invite, and
    // globex holds only the (revoked) quota winners.
    let (_, users) = admin(&acme_admin, "users.list", json!({})).await;
    let users = users["users"].as_array().unwrap();
    assert_eq!(users.len(), 2 * ROUNDS, "{users:?}");
    let (_, users) = admin(&globex_admin, "users.list", json!({})).await;
    let users = users["users"].as_array().unwrap();
    assert_eq!(users.len(), ROUNDS);
    assert!(users.iter().all(|u| u["revoked"] == json!(true)));
    let (_, invites) = admin(&acme_admin, "invites.list", json!({})).await;
    let invites = invites["invites"].as_array().unwrap();
    assert_eq!(invites.len(), ROUNDS);
    assert!(invites.iter().all(|i| i["uses_left"] == json!(0)));

    // Both replicas took part.
    for p in [&mut p1, &mut p2] {
        p.wait_for_count("minted", 1, LOG_WAIT).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_count_issuances_across_replicas() {
    let estate = estate(ResolverKind::Memory);
    let policy = policy(
        &estate,
        &[
            ("acme", "rate_limits.per_requester = 2\n"),
            ("globex", "rate_limits.per_tenant = 3\n"),
        ],
        &[],
    );
    let _p1 = provisioner(&estate, "p1", &policy, &[]);
    let _p2 = provisioner(&estate, "p2", &policy, &[]);
    let url = estate.url();
    for (tenant, allowed) in [("acme", 2), ("globex", 3)] {
        let client = connect_with_creds(&url, &estate.creds(tenant, "bootstrap").unwrap())
            .await
            .unwrap()
            .client;
        let requests: Vec<serde_json::Value> = (0..allowed + 2)
            .map(|i| proven(&KeyPair::new_user(), &format!("r{i}"), None, None))
            .collect();
        let replies = futures::future::join_all(requests.iter().map(|r| ask(&client, r))).await;
        let granted = replies.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(granted, allowed, "{tenant}: {replies:?}");
        for (status, body) in replies.iter().filter(|(s, _)| *s != 200) {
            assert_eq!((*status, code(body)), (429, "rate_limited"), "{tenant}");
        }
    }
}
