//! Resources through the portal: an agent of service `storage` at site `sto1` runs the
//! example `mkdir.sh` handler for type `folder` on the portal stack's estate; a tenant
//! user finds the site with `GET /services`, queues an allocation (`202` with
//! `Location`), reads its record until `created` (the directory exists), sees it on the
//! server-sent events, updates it, reads it by its id without the site (found at its
//! site, answered with the full id) and deletes it so (the directory is gone); another tenant
//! reads nothing of it (nor lists it), and an unknown service is `404
//! service_not_found`; the tenant's list shows the resource in its last state. A user whose
//! policy grant for the services is withdrawn neither sees the service nor queues to it:
//! the entitlement is the caller's NATS permission. A resource whose handler failed (type
//! `flaky`, failing while a marker file exists) is retried with `POST …/retry` (two at
//! once: one `202`, one `409 conflict`; a created one: `409`), and the list filters by
//! `status` (`400 invalid_status` for a name that is no state).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use integration_tests::agent::{mkdir_handler, start_agent as start_agent_process, AgentSite};
use integration_tests::ProductProcess;
use serde_json::{json, Value};

use super::stack::{Stack, SETTLE};

/// How long an agent may take to start taking queued requests.
const START: Duration = Duration::from_secs(30);
/// The file whose presence fails the `flaky` type's handler.
const FAILING: &str = "flaky-failing";

/// An agent of `storage` at `sto1` serving both tenants, folders under `root`: type
/// `folder`, and type `flaky`, which fails while the file [`FAILING`] exists beside
/// `root`.
fn start_agent(stack: &Stack, root: &Path) -> ProductProcess {
    let dir = stack.estate.dir.path();
    let config = dir.join("agent.toml");
    let flaky = dir.join("flaky.sh");
    std::fs::write(
        &flaky,
        format!(
            "#!/bin/sh\nif [ -e {failing} ]; then echo 'flaky: backend down' >&2; exit 3; fi\n\
             exec {mkdir} --root {root}\n",
            failing = dir.join(FAILING).display(),
            mkdir = mkdir_handler().display(),
            root = root.display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&flaky, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = format!(
        "[handlers.folder]\nargv = [{:?}, \"--root\", {:?}]\ntimeout_secs = 10\n\
         [handlers.flaky]\nargv = [{:?}]\ntimeout_secs = 10\n",
        mkdir_handler().display().to_string(),
        root.display().to_string(),
        flaky.display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    let creds = stack.estate.creds_path("SERVICES", "agent");
    let tenants = ["acme", "globex"].map(|t| (t, stack.estate.account_key(t).unwrap()));
    let site = AgentSite {
        urls: &stack.estate.url(),
        creds: &creds,
        service: "storage",
        site: "sto1",
        tenants: &tenants,
    };
    start_agent_process(&site, &config, dir.join("resources-agent.log")).unwrap()
}

/// The first `state` event of `location`'s events whose status is `want`.
async fn event_with(stack: &Stack, location: &str, token: &str, want: &str) -> Value {
    let http = oidc::remote::http_client(None).unwrap();
    let mut response = http
        .get(format!("{}{location}/events", stack.base))
        .header("authorization", format!("Bearer {token}"))
        .timeout(SETTLE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        text.push_str(&String::from_utf8_lossy(&chunk));
        let found = text.split("\n\n").find_map(|event| {
            let lines: Vec<&str> = event.lines().collect();
            if !lines.contains(&"event: state") {
                return None;
            }
            let data = lines.iter().find_map(|l| l.strip_prefix("data: "))?;
            let record: Value = serde_json::from_str(data).ok()?;
            (record["status"] == want).then_some(record)
        });
        if let Some(record) = found {
            return record;
        }
    }
    panic!("the events ended without {want}: {text}");
}

fn folder(root: &Path, agent_id: &str) -> PathBuf {
    root.join("acme").join(agent_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_allocates_updates_and_deletes_a_folder_over_http() {
    let stack = Stack::start("resources");
    let root = stack.estate.dir.path().join("folders");
    let _agent = start_agent(&stack, &root);
    let alice = stack.token("alice", "acme", &[]);
    let bob = stack.token("bob", "globex", &[]);

    let services = stack.get("/api/v1/services?service=storage", &alice).await;
    assert_eq!(services.status, 200, "{}", services.body);
    let services = services.json();
    assert_eq!(services["services"][0]["service"], "storage", "{services}");
    let site = &services["services"][0]["sites"][0];
    assert_eq!(site["site"], "sto1", "{services}");
    assert!(
        site["types"].as_array().unwrap().contains(&json!("folder")),
        "{services}"
    );
    let services = stack
        .get("/api/v1/services?service=storage&service=nosuch", &alice)
        .await
        .json();
    assert_eq!(services["unreachable"], json!(["nosuch"]), "{services}");

    let new = json!({"service": "storage", "site": "sto1", "type": "folder",
                     "target_entity": "vo-x", "spec": {"gb": 1}});
    let created = stack
        .send("POST", "/api/v1/resources", Some(&alice), Some(new))
        .await;
    assert_eq!(created.status, 202, "{}", created.body);
    let body = created.json();
    let rid = body["id"].as_str().unwrap().to_owned();
    let location = created.header("location");
    assert_eq!(location, format!("/api/v1/resources/{rid}"));
    assert_eq!(
        (&body["service"], &body["site"], &body["status"]),
        (&json!("storage"), &json!("sto1"), &json!("pending"))
    );
    let agent_id = rid.strip_prefix("storage.sto1.").unwrap().to_owned();
    assert!(agent_id.starts_with('q'), "{rid}");

    let record = stack.wait_for_status(&location, &alice, "created").await;
    assert_eq!(record["id"], rid);
    assert_eq!(record["type"], "folder");
    assert_eq!(record["target_entity"], "vo-x");
    assert!(
        !record["history"].as_array().unwrap().is_empty(),
        "{record}"
    );
    assert!(folder(&root, &agent_id).is_dir(), "{record}");
    let event = event_with(&stack, &location, &alice, "created").await;
    assert_eq!(event["id"], rid);

    let change = json!({"spec": {"gb": 2}});
    let updated = stack
        .send("PATCH", &location, Some(&alice), Some(change))
        .await;
    assert_eq!(updated.status, 202, "{}", updated.body);
    assert_eq!(updated.header("location"), location);
    let until = Instant::now() + SETTLE;
    let record = loop {
        let record = stack.wait_for_status(&location, &alice, "created").await;
        let moves = record["history"].as_array().unwrap();
        if moves.iter().any(|m| m["to"] == "updating") {
            break record;
        }
        assert!(Instant::now() < until, "no update in time: {record}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        folder(&root, &agent_id).join("spec.json").is_file(),
        "{record}"
    );

    // Another tenant reads, changes and deletes nothing of it.
    let theirs = stack.get(&location, &bob).await;
    theirs.assert_problem(404, "resource_not_found");
    let theirs = stack.send("DELETE", &location, Some(&bob), None).await;
    theirs.assert_problem(404, "resource_not_found");

    // The id without its site: the portal finds it at sto1 and answers with the full id;
    // another tenant finds it nowhere.
    let unplaced = format!("/api/v1/resources/storage.{agent_id}");
    let found = stack.get(&unplaced, &alice).await;
    assert_eq!(found.status, 200, "{}", found.body);
    let found = found.json();
    assert_eq!(
        (&found["id"], &found["site"]),
        (&json!(rid), &json!("sto1"))
    );
    let theirs = stack.get(&unplaced, &bob).await;
    theirs.assert_problem(404, "resource_not_found");

    let deleted = stack.send("DELETE", &unplaced, Some(&alice), None).await;
    assert_eq!(deleted.status, 202, "{}", deleted.body);
    assert_eq!(deleted.header("location"), location);
    let record = stack.wait_for_status(&location, &alice, "deleted").await;
    assert!(!folder(&root, &agent_id).exists(), "{record}");

    // The tenant's list shows it in its last state; another tenant's list does not.
    let listed = stack.get("/api/v1/resources?service=storage", &alice).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let listed = listed.json();
    let mine: Vec<&Value> = listed["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == json!(rid))
        .collect();
    assert_eq!(mine.len(), 1, "{listed}");
    assert_eq!(mine[0]["status"], "deleted", "{listed}");
    let theirs = stack
        .get("/api/v1/resources?service=storage", &bob)
        .await
        .json();
    assert_eq!(theirs["resources"], json!([]), "{theirs}");
    let none = stack
        .get("/api/v1/resources?service=nosuch", &alice)
        .await
        .json();
    assert_eq!(none["unreachable"], json!(["nosuch"]), "{none}");

    let unknown = json!({"service": "nosuch", "site": "sto1", "type": "folder",
                         "target_entity": "vo-x"});
    let refused = stack
        .send("POST", "/api/v1/resources", Some(&alice), Some(unknown))
        .await;
    refused.assert_problem(404, "service_not_found");
    let nowhere = stack
        .get("/api/v1/resources/storage.nosite.q1", &alice)
        .await;
    nowhere.assert_problem(404, "resource_not_found");
    let nowhere = stack.get("/api/v1/resources/storage.q999999", &alice).await;
    nowhere.assert_problem(404, "resource_not_found");
    let bad = stack.get("/api/v1/resources/storage.sto_1", &alice).await;
    bad.assert_problem(400, "bad_request");
}

/// Removes the service grants from `tenant`'s block of the stack's `policy.toml` (what
/// its users may publish) and has the provisioner reload it.
fn withdraw_services(stack: &mut Stack, tenant: &str) {
    let path = stack.estate.written.dir.join("policy.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let blocks: Vec<String> = text
        .split("\n[[tenants]]\n")
        .map(|block| {
            if !block.contains(&format!("name = \"{tenant}\"\n")) {
                return block.to_owned();
            }
            block
                .replace("\"svcq.>\", ", "")
                .replace(", \"svcq.>\"", "")
                .replace("\"svc.>\", ", "")
                .replace(", \"svc.>\"", "")
        })
        .collect();
    let narrowed = blocks.join("\n[[tenants]]\n");
    assert_ne!(narrowed, text, "no service grant found for {tenant}");
    std::fs::write(&path, narrowed).unwrap();
    stack.provisioner.signal("HUP").unwrap();
    stack
        .provisioner
        .wait_for_output("SIGHUP: policy reloaded", START)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_the_grant_neither_sees_nor_requests_the_service() {
    let mut stack = Stack::start("entitlement");
    let root = stack.estate.dir.path().join("folders");
    let _agent = start_agent(&stack, &root);
    withdraw_services(&mut stack, "globex");
    let alice = stack.token("alice", "acme", &[]);
    let bob = stack.token("bob", "globex", &[]);

    // The entitlement is the caller's NATS permission: acme's user sees the service,
    // globex's (whose grant was withdrawn) finds it unreachable and cannot queue.
    let seen = stack
        .get("/api/v1/services?service=storage", &alice)
        .await
        .json();
    assert_eq!(seen["services"][0]["sites"][0]["site"], "sto1", "{seen}");
    let unseen = stack.get("/api/v1/services?service=storage", &bob).await;
    assert_eq!(unseen.status, 200, "{}", unseen.body);
    let unseen = unseen.json();
    assert_eq!(unseen["services"], json!([]), "{unseen}");
    assert_eq!(unseen["unreachable"], json!(["storage"]), "{unseen}");
    let refused = stack
        .send(
            "POST",
            "/api/v1/resources",
            Some(&bob),
            Some(
                json!({"service": "storage", "site": "sto1", "type": "folder",
                        "target_entity": "vo-x"}),
            ),
        )
        .await;
    refused.assert_problem(404, "service_not_found");
    assert!(!root.join("globex").exists(), "nothing was made for globex");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_in_error_is_retried_and_the_list_filters_by_status() {
    let stack = Stack::start("retry");
    let dir = stack.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let _agent = start_agent(&stack, &root);
    let alice = stack.token("alice", "acme", &[]);
    let bob = stack.token("bob", "globex", &[]);

    std::fs::write(dir.join(FAILING), "").unwrap();
    let new = json!({"service": "storage", "site": "sto1", "type": "flaky",
                     "target_entity": "vo-x"});
    let queued = stack
        .send("POST", "/api/v1/resources", Some(&alice), Some(new))
        .await;
    assert_eq!(queued.status, 202, "{}", queued.body);
    let location = queued.header("location");
    let failed = stack.wait_for_status(&location, &alice, "error").await;
    assert!(
        failed["error"].as_str().unwrap().contains("backend down"),
        "{failed}"
    );
    let folder_made = json!({"service": "storage", "site": "sto1", "type": "folder",
                             "target_entity": "vo-y"});
    let other = stack
        .send("POST", "/api/v1/resources", Some(&alice), Some(folder_made))
        .await;
    let other_location = other.header("location");
    let made = stack
        .wait_for_status(&other_location, &alice, "created")
        .await;

    // The list filters by status.
    let errors = stack
        .get("/api/v1/resources?service=storage&status=error", &alice)
        .await;
    assert_eq!(errors.status, 200, "{}", errors.body);
    let ids: Vec<Value> = errors.json()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, [failed["id"].clone()]);
    let both = stack
        .get(
            "/api/v1/resources?service=storage&status=created&status=error",
            &alice,
        )
        .await
        .json();
    assert_eq!(both["resources"].as_array().unwrap().len(), 2, "{both}");
    let none = stack
        .get("/api/v1/resources?service=storage&status=deleted", &alice)
        .await
        .json();
    assert_eq!(none["resources"], json!([]), "{none}");
    stack
        .get("/api/v1/resources?service=storage&status=broken", &alice)
        .await
        .assert_problem(400, "invalid_status");

    // Another tenant cannot retry it; a created resource cannot be retried.
    let retry = format!("{location}/retry");
    stack
        .send("POST", &retry, Some(&bob), None)
        .await
        .assert_problem(404, "resource_not_found");
    stack
        .send(
            "POST",
            &format!("{other_location}/retry"),
            Some(&alice),
            None,
        )
        .await
        .assert_problem(409, "conflict");
    assert_eq!(made["status"], "created");

    // Two retries at once: one is accepted, the other refused; it is made once.
    std::fs::remove_file(dir.join(FAILING)).unwrap();
    let (first, second) = tokio::join!(
        stack.send("POST", &retry, Some(&alice), None),
        stack.send("POST", &retry, Some(&alice), None),
    );
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [202, 409], "{} / {}", first.body, second.body);
    let accepted = if first.status == 202 { &first } else { &second };
    assert_eq!(accepted.header("location"), location);
    let conflict = if first.status == 409 { &first } else { &second };
    conflict.assert_problem(409, "conflict");
    let record = stack.wait_for_status(&location, &alice, "created").await;
    let moves: Vec<&str> = record["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"].as_str().unwrap())
        .collect();
    assert_eq!(moves, ["error", "pending", "created"], "{record}");
    let agent_id = location.rsplit('.').next().unwrap();
    assert!(folder(&root, agent_id).is_dir(), "{record}");
}
