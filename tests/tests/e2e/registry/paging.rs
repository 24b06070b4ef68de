//! `users.list` pages through a tenant's users without loading them all: pages of
//! `limit` users, each with the cursor of the next, together every user exactly once;
//! a bad cursor or limit is a 400; and the CLI prints the next page's cursor.

use std::collections::BTreeSet;

use integration_tests::{connect_with_creds, workspace_bin};
use nsc_setup::ResolverKind;
use serde_json::{json, Value};

use super::{admin, code, estate, mint, policy, provisioner};

/// Users minted for the test.
const USERS: usize = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_list_pages_through_every_user_once() {
    let estate = estate(ResolverKind::Full);
    let policy = policy(&estate, &[], &[]);
    let _p = provisioner(&estate, "p1", &policy, &[]);
    let url = estate.url();
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let acme_admin = connect_with_creds(&url, &estate.creds("acme", "admin").unwrap())
        .await
        .unwrap();
    let mut minted = BTreeSet::new();
    for i in 0..USERS {
        let name = format!("pager{i}");
        mint(&bootstrap.client, &name).await;
        minted.insert(name);
    }

    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({ "limit": 3 });
        if let Some(c) = &cursor {
            body["cursor"] = json!(c);
        }
        let (status, page) = admin(&acme_admin.client, "users.list", body).await;
        assert_eq!(status, 200, "{page}");
        let names: Vec<String> = page["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap().to_owned())
            .collect();
        pages.push(names.len());
        seen.extend(names);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages.len() <= USERS, "paging does not end: {pages:?}");
    }
    assert_eq!(pages, [3, 3, 1], "{seen:?}");
    assert_eq!(seen.len(), USERS, "a user listed twice: {seen:?}");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), minted);

    for bad in [
        json!({"cursor": "x1"}),
        json!({"limit": 0}),
        json!({"limit": 5000}),
    ] {
        let (status, body) = admin(&acme_admin.client, "users.list", bad.clone()).await;
        assert_eq!((status, code(&body)), (400, "bad_request"), "{bad}: {body}");
    }

    let out = std::process::Command::new(workspace_bin("provisioner").unwrap())
        .args(["tenant", "-s", &url, "--creds"])
        .arg(estate.creds_path("acme", "admin"))
        .args(["users", "list", "--limit", "5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("tenant acme: 5 user(s)"), "{stdout}");
    let next = stdout
        .lines()
        .find_map(|l| l.strip_prefix("more users: run again with --cursor "))
        .expect("the next page's cursor");
    let out = std::process::Command::new(workspace_bin("provisioner").unwrap())
        .args(["tenant", "-s", &url, "--json", "--creds"])
        .arg(estate.creds_path("acme", "admin"))
        .args(["users", "list", "--cursor", next])
        .output()
        .unwrap();
    let rest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rest["users"].as_array().unwrap().len(), USERS - 5, "{rest}");
    assert!(rest.get("next_cursor").is_none(), "{rest}");
}
