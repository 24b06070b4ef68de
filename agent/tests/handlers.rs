//! Handlers per resource type, end to end: an agent on a real nats-server with the
//! `nsc-setup` estate runs the example handlers of `agent/examples/handlers/` for a
//! tenant's `provisioner svc` calls. A `folder` is a directory made, updated and removed
//! by `mkdir.sh`; `broken` runs `fail.sh`; `whoami` reports the document it was given;
//! any other type is refused. Another tenant cannot update or remove a folder it does not
//! own, and a failed handler gives its quota slot back.
//!
//! Needs nats-server 2.10+ (`./scripts/install-test-tools.sh`) and python3 in /usr/bin
//! or /bin (the example handlers read their JSON with it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

mod support;
use support::{ids, World};

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/handlers")
        .join(name)
        .display()
        .to_string()
}

/// The agent's config file: `folder`, `broken` and `whoami` handlers, folders under
/// `root`.
fn config(dir: &Path, root: &Path) -> PathBuf {
    let whoami = dir.join("whoami.sh");
    std::fs::write(
        &whoami,
        "#!/bin/sh\nexec python3 -c 'import json, sys; \
         print(json.dumps({\"details\": json.load(sys.stdin)}))'\n",
    )
    .unwrap();
    std::fs::set_permissions(&whoami, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.join("agent.toml");
    let text = format!(
        "[handlers.folder]\nargv = [{mkdir:?}, \"--root\", {root:?}]\ntimeout_secs = 10\n\
         [handlers.broken]\nargv = [{fail:?}]\n\
         env = {{ FAIL_MESSAGE = \"the broken type always fails\" }}\n\
         [handlers.whoami]\nargv = [\"whoami.sh\"]\n",
        mkdir = example("mkdir.sh"),
        root = root.display().to_string(),
        fail = example("fail.sh"),
    );
    std::fs::write(&file, text).unwrap();
    file
}

fn allocate<'a>(resource_type: &'a str, spec: &'a str) -> [&'a str; 9] {
    [
        "allocate",
        "--site",
        "sto1",
        "--type",
        resource_type,
        "--target-entity",
        "vo-x",
        "--spec",
        spec,
    ]
}

fn list(world: &World, creds: &Path) -> Value {
    let (code, listed) = world.svc(creds, &["list", "--site", "sto1", "--expect", "1"]);
    assert_eq!(code, 0, "{listed}");
    listed["answers"]["sto1"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_do_the_work_of_allocate_update_and_deallocate() {
    let world = World::start(&["acme", "globex"]);
    let dir = world.estate.dir.path().to_owned();
    let root = dir.join("folders");
    let mut flags = world.tenant_flags(&["acme", "globex"]);
    flags.extend([
        "--config".to_owned(),
        config(&dir, &root).display().to_string(),
        "--quota".to_owned(),
        "2".to_owned(),
    ]);
    let _sto1 = world.agent("sto1", &flags);
    let alice = world.mint("acme", "alice");
    let bob = world.mint("globex", "bob");

    // allocate: the directory exists and the answer says where.
    let (code, created) = world.svc(&alice, &allocate("folder", r#"{"gb":5}"#));
    assert_eq!(code, 0, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let folder = root.join("acme").join(&id);
    assert!(folder.is_dir(), "{created}");
    assert_eq!(
        created["details"]["path"],
        json!(folder.display().to_string())
    );
    assert_eq!(
        created["details"]["url"],
        json!(format!("file://{}", folder.display()))
    );
    let listed = list(&world, &alice);
    assert_eq!(listed["resources"][0]["details"], created["details"]);

    // update: the handler writes the new spec; the record keeps it.
    let (code, updated) = world.svc(
        &alice,
        &["update", "--site", "sto1", &id, "--spec", r#"{"gb":9}"#],
    );
    assert_eq!(code, 0, "{updated}");
    assert_eq!(updated["id"], json!(id));
    assert_eq!(updated["details"], created["details"]);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("spec.json")).unwrap()).unwrap();
    assert_eq!(written, json!({"gb": 9}));
    assert_eq!(
        list(&world, &alice)["resources"][0]["specification"],
        json!({"gb": 9})
    );

    // Another tenant's update or deallocate gets the answer of a missing id, and the
    // handler does not run for it.
    let (code, theirs) = world.svc(
        &bob,
        &["update", "--site", "sto1", "--id", &id, "--spec", "{}"],
    );
    assert_eq!(code, 2, "{theirs}");
    let (_, nothing) = world.svc(
        &bob,
        &["update", "--site", "sto1", "NOSUCHID", "--spec", "{}"],
    );
    assert_eq!(theirs["type"], "not_found");
    assert_eq!(
        theirs["message"].as_str().unwrap().replace(&id, "<id>"),
        nothing["message"]
            .as_str()
            .unwrap()
            .replace("NOSUCHID", "<id>")
    );
    let (code, theirs) = world.svc(&bob, &["deallocate", "--site", "sto1", "--id", &id]);
    assert_eq!((code, theirs["type"].clone()), (2, json!("not_found")));
    assert!(folder.is_dir(), "still there");
    assert!(ids(&list(&world, &bob)).is_empty());

    // A failing handler: handler_failed with its own message, and no slot taken.
    let (code, failed) = world.svc(&alice, &allocate("broken", "{}"));
    assert_eq!(code, 2, "{failed}");
    assert_eq!(failed["type"], "handler_failed");
    let message = failed["message"].as_str().unwrap();
    assert!(
        message.contains("fail.sh: the broken type always fails"),
        "{message}"
    );
    assert_eq!(ids(&list(&world, &alice)), [id.as_str()]);

    // A type this site has no handler for is refused, naming the ones it has.
    let (code, refused) = world.svc(&alice, &allocate("vm", "{}"));
    assert_eq!(code, 2, "{refused}");
    assert_eq!(refused["type"], "type_not_supported");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("supported: broken, folder, whoami"),
        "{refused}"
    );

    // The handler learns the tenant and the caller from the server's header, not the JWT.
    let (code, me) = world.svc(&alice, &allocate("whoami", r#"{"k":1}"#));
    assert_eq!(code, 0, "{me}");
    let doc = &me["details"];
    assert_eq!(
        (&doc["operation"], &doc["tenant"], &doc["type"]),
        (&json!("allocate"), &json!("acme"), &json!("whoami"))
    );
    assert_eq!(doc["resource_id"], me["id"]);
    assert_eq!(doc["spec"], json!({"k": 1}));
    assert_eq!(doc["caller"]["name"], "alice");
    assert!(
        doc["caller"]["user"].as_str().unwrap().starts_with('U'),
        "{doc}"
    );
    assert!(!doc.to_string().contains("eyJ"), "no JWT: {doc}");

    // Quota 2: the failed allocation gave its slot back, so whoami got the second one
    // and a third allocation is refused.
    let (code, refused) = world.svc(&alice, &allocate("folder", "{}"));
    assert_eq!(
        (code, refused["type"].clone()),
        (2, json!("quota_exceeded"))
    );

    // deallocate: the directory is gone, then so is the resource.
    let (code, gone) = world.svc(&alice, &["deallocate", "--site", "sto1", "--id", &id]);
    assert_eq!(code, 0, "{gone}");
    assert!(!folder.exists());
    assert_eq!(ids(&list(&world, &alice)), [me["id"].as_str().unwrap()]);
    let (code, again) = world.svc(&alice, &["update", "--site", "sto1", &id, "--spec", "{}"]);
    assert_eq!((code, again["type"].clone()), (2, json!("not_found")));
}

#[test]
fn a_handler_program_that_cannot_run_is_exit_64_naming_its_setting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plain.sh"), "#!/bin/sh\n").unwrap();
    let tenant = format!("acme={}", claims::KeyPair::new_account().public_key());
    for (argv, why) in [
        ("missing.sh", "does not exist"),
        ("plain.sh", "is not executable"),
    ] {
        let file = dir.path().join("agent.toml");
        std::fs::write(&file, format!("[handlers.folder]\nargv = [{argv:?}]\n")).unwrap();
        let output = std::process::Command::new(integration_tests::workspace_bin("agent").unwrap())
            .args([
                "--service",
                "storage",
                "--site",
                "sto1",
                "--account",
                "AOWN",
            ])
            .args(["--tenant", &tenant, "--config"])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(64), "{stderr}");
        assert!(stderr.contains("`handlers.folder.argv`"), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}
