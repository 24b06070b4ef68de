//! Entitlement by tag: on the portal stack, tenant acme's policy no longer grants the
//! services to every user; a conditional grant (`[[tenants.grants]]`, tag `svc:storage`)
//! adds `svc.storage.>` and `svcq.storage.>` to the users carrying the tag, which the
//! issuer puts in the ID token's tags claim. Two people of acme: the entitled one's
//! minted JWT carries the subjects, its live `allocate` is answered by the storage agent
//! and the portal lists and queues to the service; the other's JWT lacks them, its
//! publish to `svc.storage.…` is refused by nats-server itself (a permissions
//! violation), and the portal lists storage as unreachable and queues nothing.

use std::path::Path;

use integration_tests::agent::{folder_config, start_agent as start_agent_process, AgentSite};
use integration_tests::{connect_with_creds, ProductProcess, WatchedClient};
use serde_json::{json, Value};

use super::stack::{Stack, SETTLE};

/// The tag that entitles a user to the storage service.
const TAG: &str = "svc:storage";
/// What the grant adds: the service's live and queued subjects.
const GRANTED: [&str; 2] = ["svc.storage.>", "svcq.storage.>"];

/// Rewrites `tenant`'s block of the stack's `policy.toml`: its base permissions lose
/// the services (`svc.>`, `svcq.>`), and a grant gives storage's subjects to users
/// tagged [`TAG`]; then has the provisioner reload it.
fn entitle_by_tag(stack: &mut Stack, tenant: &str) {
    let path = stack.estate.written.dir.join("policy.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let grant = format!(
        "\n[[tenants.grants]]\ntag = \"{TAG}\"\npub.allow = [\"{}\", \"{}\"]\n",
        GRANTED[0], GRANTED[1]
    );
    let blocks: Vec<String> = text
        .split("\n[[tenants]]\n")
        .map(|block| {
            if !block.starts_with(&format!("name = \"{tenant}\"\n")) {
                return block.to_owned();
            }
            let narrowed = ["svcq.>", "svc.>"].iter().fold(block.to_owned(), |b, s| {
                b.replace(&format!("\"{s}\", "), "")
                    .replace(&format!(", \"{s}\""), "")
            });
            // The base permissions grant no service at all.
            let permissions: Vec<&str> = narrowed
                .lines()
                .filter(|l| l.starts_with("permissions."))
                .collect();
            assert_eq!(permissions.len(), 2, "{narrowed}");
            assert!(
                permissions.iter().all(|l| !l.contains("\"svc")),
                "{narrowed}"
            );
            format!("{}\n{grant}", narrowed.trim_end())
        })
        .collect();
    let entitled = blocks.join("\n[[tenants]]\n");
    let policy = policy::Policy::from_toml_str(&entitled).unwrap_or_else(|e| panic!("{e}"));
    let acme = policy.tenant(tenant).unwrap();
    assert_eq!(acme.grant_tags().collect::<Vec<_>>(), [TAG]);
    std::fs::write(&path, entitled).unwrap();
    stack.provisioner.signal("HUP").unwrap();
    stack
        .provisioner
        .wait_for_output("SIGHUP: policy reloaded", SETTLE)
        .unwrap();
}

/// An agent of `storage` at `sto1` serving acme, making folders under `root` (type
/// `folder`, the example `mkdir.sh` handler).
fn start_agent(stack: &Stack, root: &Path) -> ProductProcess {
    let dir = stack.estate.dir.path();
    let config = dir.join("entitlement-agent.toml");
    std::fs::write(&config, folder_config(root)).unwrap();
    let creds = stack.estate.creds_path("SERVICES", "agent");
    let tenants = [("acme", stack.estate.account_key("acme").unwrap())];
    let site = AgentSite {
        urls: &stack.estate.url(),
        creds: &creds,
        service: "storage",
        site: "sto1",
        tenants: &tenants,
    };
    start_agent_process(&site, &config, dir.join("entitlement-agent.log")).unwrap()
}

/// Creds for device `name` of the person `token` stands for, from `POST /credentials`
/// (minted through the provisioner's one pipeline), and the JWT's claims.
async fn device(stack: &Stack, token: &str, name: &str) -> (String, claims::UserClaims) {
    let made = stack
        .send(
            "POST",
            "/api/v1/credentials",
            Some(token),
            Some(json!({ "name": name })),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let parsed = claims::parse_creds(&made.body).unwrap();
    let user = claims::UserClaims::decode(&parsed.jwt).unwrap();
    assert_eq!(user.name, name);
    (made.body, user)
}

/// Whether `user` may publish on any of the granted subjects.
fn granted(user: &claims::UserClaims) -> Vec<&str> {
    let allow = &user.nats.permissions.publish.allow;
    GRANTED
        .into_iter()
        .filter(|s| allow.iter().any(|a| a == s))
        .collect()
}

/// A live `allocate` of a folder at `storage`/`sto1`, as the agent contract has it.
async fn allocate(client: &WatchedClient) -> Result<async_nats::Message, String> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Message-Type", "ResourceAllocateV1");
    let body = json!({"type": "folder", "target_entity": "vo-x", "specification": {}});
    let request = async_nats::Request::new()
        .headers(headers)
        .payload(body.to_string().into())
        .timeout(Some(SETTLE));
    client
        .client
        .send_request("svc.storage.sto1.allocate", request)
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_user_carrying_the_grant_tag_sees_and_requests_the_service() {
    let mut stack = Stack::start("grant-tag");
    entitle_by_tag(&mut stack, "acme");
    let root = stack.estate.dir.path().join("folders");
    let _agent = start_agent(&stack, &root);
    let alice = stack.token("alice", "acme", &[TAG]);
    let dana = stack.token("dana", "acme", &[]);

    // The minted JWTs: the grant's subjects for the tagged person only.
    let (alice_creds, alice_jwt) = device(&stack, &alice, "alice-laptop").await;
    assert_eq!(granted(&alice_jwt), GRANTED, "{:?}", alice_jwt.nats);
    assert!(alice_jwt.nats.tags.iter().any(|t| t == TAG));
    let (dana_creds, dana_jwt) = device(&stack, &dana, "dana-laptop").await;
    assert!(granted(&dana_jwt).is_empty(), "{:?}", dana_jwt.nats);
    let dana_pub = &dana_jwt.nats.permissions.publish.allow;
    assert!(
        dana_pub.iter().all(|s| !s.starts_with("svc")),
        "{dana_pub:?}"
    );

    // The entitled person's live allocate is answered by the agent: a folder is made.
    let url = stack.estate.url();
    let laptop = connect_with_creds(&url, &alice_creds).await.unwrap();
    let answer = allocate(&laptop).await.unwrap();
    let kind = answer.headers.as_ref().and_then(|h| h.get("Message-Type"));
    assert_eq!(
        kind.map(|v| v.as_str()),
        Some("ResourceCreatedV1"),
        "{:?}",
        answer.payload
    );
    let created: Value = serde_json::from_slice(&answer.payload).unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(root.join("acme").join(id).is_dir(), "{created}");

    // The other's publish to the service is refused by nats-server itself.
    let mut other = connect_with_creds(&url, &dana_creds).await.unwrap();
    let refused = allocate(&other).await;
    assert!(refused.is_err(), "{:?}", refused.map(|m| m.payload));
    other
        .expect_permission_violation("svc.storage.sto1.allocate")
        .await
        .unwrap();

    // Through the portal, connected as each person: the service is listed for the
    // entitled one, unreachable for the other, and only the former can queue to it.
    let seen = stack.get("/api/v1/services?service=storage", &alice).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let seen = seen.json();
    assert_eq!(seen["services"][0]["sites"][0]["site"], "sto1", "{seen}");
    let unseen = stack.get("/api/v1/services?service=storage", &dana).await;
    assert_eq!(unseen.status, 200, "{}", unseen.body);
    let unseen = unseen.json();
    assert_eq!(unseen["services"], json!([]), "{unseen}");
    assert_eq!(unseen["unreachable"], json!(["storage"]), "{unseen}");

    let new = json!({"service": "storage", "site": "sto1", "type": "folder",
                     "target_entity": "vo-y"});
    let queued = stack
        .send("POST", "/api/v1/resources", Some(&alice), Some(new.clone()))
        .await;
    assert_eq!(queued.status, 202, "{}", queued.body);
    let record = stack
        .wait_for_status(&queued.header("location"), &alice, "created")
        .await;
    assert_eq!(record["target_entity"], "vo-y", "{record}");
    stack
        .send("POST", "/api/v1/resources", Some(&dana), Some(new))
        .await
        .assert_problem(404, "service_not_found");
}
