//! The tenant admin endpoints as an existence oracle: `invites.revoke` on another
//! tenant's invite id must answer exactly as for an id that does not exist, so that a
//! tenant admin cannot learn which invite ids other tenants hold, and must leave that
//! invite alone.

use claims::KeyPair;
use integration_tests::connect_with_creds;
use nsc_setup::ResolverKind;
use serde_json::{json, Value};

use crate::registry::{admin, ask, code, estate, insider, policy, proven, provisioner};

/// A well-formed invite id (64 hex digits) that no invite has.
const MADE_UP_ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The error object of a reply with `id` replaced by `<id>` and the request id dropped:
/// what a caller can compare between two replies.
fn comparable(reply: &Value, id: &str) -> Value {
    let mut error = reply["error"].clone();
    if let Some(map) = error.as_object_mut() {
        map.remove("request_id");
    }
    serde_json::from_str(&error.to_string().replace(id, "<id>")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_another_tenants_invite_answers_as_for_an_unknown_id() {
    let estate = estate(ResolverKind::Memory);
    let extra = "identity.invite.enabled = true\n";
    let policy = policy(&estate, &[("acme", extra), ("globex", extra)], &[]);
    let _p = provisioner(&estate, "p1", &policy, &[]);
    let url = estate.url();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap()
        .client;
    let globex_admin = connect_with_creds(&url, &estate.creds("globex", "admin").unwrap())
        .await
        .unwrap()
        .client;
    let (status, created) = admin(&globex_admin, "invites.create", json!({})).await;
    assert_eq!(status, 200, "{created}");
    let gid = created["id"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();

    // acme's admin: globex's id and a made-up one get the same answer.
    let (theirs_status, theirs) = admin(&acme_admin, "invites.revoke", json!({"id": gid})).await;
    let (unknown_status, unknown) =
        admin(&acme_admin, "invites.revoke", json!({"id": MADE_UP_ID})).await;
    assert_eq!(
        (unknown_status, code(&unknown)),
        (404, "invite_not_found"),
        "{unknown}"
    );
    assert_eq!(
        (theirs_status, comparable(&theirs, &gid)),
        (unknown_status, comparable(&unknown, MADE_UP_ID)),
        "another tenant's invite: {theirs}; an unknown one: {unknown}"
    );

    // globex's invite was left alone: listed as usable, and it still works.
    let (_, listed) = admin(&globex_admin, "invites.list", json!({})).await;
    assert_eq!(listed["invites"][0]["id"], json!(gid), "{listed}");
    assert_eq!(listed["invites"][0]["usable"], json!(true), "{listed}");
    let inside = connect_with_creds(&url, &insider(&estate))
        .await
        .unwrap()
        .client;
    let user = KeyPair::new_user();
    let (status, minted) = ask(&inside, &proven(&user, "guest", None, Some(&token))).await;
    assert_eq!(status, 200, "globex's invite still works: {minted}");
    assert_eq!(minted["name"], json!("guest"), "{minted}");
    assert_eq!(
        minted["account"],
        json!(estate.account_key("globex").unwrap()),
        "{minted}"
    );
}
