//! The tenant admin endpoints: an admin manages its own tenant only (403 for every
//! operation naming another tenant, 404 as for an unknown id for another tenant's invite
//! id, and 403 for callers without the admin tag or outside an import); invites identify
//! requesters and stamp their tags; a user renews its own creds with the same key; a
//! revoked name is never issued again. Partly through the `provisioner tenant` and
//! `provisioner request` commands.

use std::process::Command;

use claims::UserClaims;
use integration_tests::{connect_with_creds, workspace_bin, ProductEstate};
use nsc_setup::ResolverKind;
use serde_json::{json, Value};

use super::{admin, code, estate, insider, mint, policy, provisioner, SUBJECT};

/// Runs `provisioner ARGS`; returns (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(workspace_bin("provisioner").unwrap())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path(estate: &ProductEstate, account: &str, user: &str) -> String {
    estate.creds_path(account, user).display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_gets_403_on_every_operation_on_another_tenant() {
    let estate = estate(ResolverKind::Memory);
    let extra = "identity.invite.enabled = true\nquotas.max_active_users = 5\n";
    let policy = policy(&estate, &[("acme", extra), ("globex", extra)], &[]);
    let _p = provisioner(&estate, "p1", &policy, &[]);
    let url = estate.url();
    let connect = |account: &'static str, user: &'static str| {
        let creds = estate.creds(account, user).unwrap();
        let url = url.clone();
        async move { connect_with_creds(&url, &creds).await.unwrap().client }
    };
    let acme_admin = connect("acme", "admin").await;
    let globex_admin = connect("globex", "admin").await;
    let globex = connect("globex", "bootstrap").await;
    mint(&globex, "gina").await;
    let (status, created) = admin(&globex_admin, "invites.create", json!({})).await;
    assert_eq!(status, 200, "{created}");
    let gid = created["id"].as_str().unwrap().to_owned();

    let on_globex = [
        ("users.list", json!({"tenant": "globex"})),
        ("users.show", json!({"tenant": "globex", "name": "gina"})),
        ("users.revoke", json!({"tenant": "globex", "name": "gina"})),
        ("invites.create", json!({"tenant": "globex"})),
        ("invites.list", json!({"tenant": "globex"})),
        ("invites.revoke", json!({"tenant": "globex", "id": gid})),
        ("quota", json!({"tenant": "globex"})),
    ];
    for (op, body) in &on_globex {
        let (status, reply) = admin(&acme_admin, op, body.clone()).await;
        assert_eq!(
            (status, code(&reply)),
            (403, "tenant_mismatch"),
            "{op} {body}: {reply}"
        );
    }
    // globex's invite id alone answers as an unknown id would (security::admin).
    let (status, reply) = admin(&acme_admin, "invites.revoke", json!({"id": gid})).await;
    assert_eq!((status, code(&reply)), (404, "invite_not_found"), "{reply}");
    // Nothing of globex changed.
    let (_, shown) = admin(&globex_admin, "users.show", json!({"name": "gina"})).await;
    assert_eq!(shown["users"][0]["revoked"], json!(false), "{shown}");
    let (_, invites) = admin(&globex_admin, "invites.list", json!({})).await;
    assert_eq!(invites["invites"][0]["usable"], json!(true), "{invites}");
    let (_, quota) = admin(&globex_admin, "quota", json!({})).await;
    assert_eq!((&quota["used"], &quota["limit"]), (&json!(1), &json!(5)));
    // Acme's own view has no gina.
    let (status, reply) = admin(&acme_admin, "users.show", json!({"name": "gina"})).await;
    assert_eq!((status, code(&reply)), (404, "user_not_found"));
    let (_, users) = admin(&acme_admin, "users.list", json!({})).await;
    assert_eq!(users["users"], json!([]));

    // The CLI says so too, with exit code 2.
    let (exit, _, stderr) = cli(&[
        "tenant",
        "-s",
        &url,
        "--creds",
        &path(&estate, "acme", "admin"),
        "--tenant",
        "globex",
        "users",
        "list",
    ]);
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("403 tenant_mismatch"), "{stderr}");

    // Without the admin tag, or from outside any import: refused.
    let plain = estate
        .extra_user("acme", "operator", |u| {
            u.nats.permissions.publish.allow = vec!["creds.admin.>".into()];
            u.nats.permissions.subscribe.allow = vec!["_INBOX.>".into()];
        })
        .unwrap();
    let plain = connect_with_creds(&url, &plain).await.unwrap().client;
    let (status, reply) = admin(&plain, "users.list", json!({})).await;
    assert_eq!((status, code(&reply)), (403, "admin_required"), "{reply}");
    let inside = connect_with_creds(&url, &insider(&estate))
        .await
        .unwrap()
        .client;
    let (status, reply) = admin(&inside, "users.list", json!({})).await;
    assert_eq!(
        (status, code(&reply)),
        (403, "admin_identity_required"),
        "{reply}"
    );

    // Bad input.
    let bad = [
        ("users.show", json!({}), 400, "name_required"),
        ("users.list", json!({"nmae": "x"}), 400, "unknown_field"),
        (
            "invites.revoke",
            json!({"id": "not-an-id"}),
            400,
            "id_invalid",
        ),
        ("invites.create", json!({"uses": 0}), 400, "invite_invalid"),
        (
            "invites.create",
            json!({"name_pattern": "a.b"}),
            400,
            "invite_invalid",
        ),
        (
            "invites.create",
            json!({"tags": ["role:admin"]}),
            403,
            "invite_invalid",
        ),
        (
            "users.revoke",
            json!({"name": "nobody"}),
            404,
            "user_not_found",
        ),
    ];
    for (op, body, want_status, want_code) in bad {
        let (status, reply) = admin(&acme_admin, op, body.clone()).await;
        assert_eq!(
            (status, code(&reply)),
            (want_status, want_code),
            "{op} {body}: {reply}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_identify_users_renew_with_their_key_and_revoked_names_stay_revoked() {
    let estate = estate(ResolverKind::Memory);
    // Bootstrap users lack the enroller tag: only invites and renewals vouch here.
    let extra = "identity.import.require_caller_tags = [\"role:enroller\"]\n\
                 identity.invite.enabled = true\nidentity.renewal.enabled = true\n\
                 tags.requestable = [\"team:*\"]\n";
    let policy = policy(&estate, &[("acme", extra)], &["acme"]);
    let _p = provisioner(&estate, "p1", &policy, &[]);
    let url = estate.url();
    let dir = estate.dir.path();
    let admin_creds = path(&estate, "acme", "admin");
    let tenant = |args: &[&str]| {
        let mut all = vec![
            "tenant",
            "-s",
            url.as_str(),
            "--creds",
            admin_creds.as_str(),
        ];
        all.extend_from_slice(args);
        cli(&all)
    };
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;
    let (status, reply) = super::ask(
        &bootstrap,
        &super::proven(&claims::KeyPair::new_user(), "noinvite", None, None),
    )
    .await;
    assert_eq!(
        (status, code(&reply)),
        (403, "caller_tag_missing"),
        "{reply}"
    );

    // An invite for two `dev-*` users, made with the CLI; the token is shown once.
    let (exit, stdout, stderr) = tenant(&[
        "invites",
        "create",
        "--pattern",
        "dev-*",
        "--uses",
        "2",
        "--ttl",
        "10m",
        "--tag",
        "team:red",
    ]);
    assert_eq!(exit, 0, "{stderr}");
    let token = stdout
        .lines()
        .find_map(|l| l.strip_prefix("token (shown once): "))
        .unwrap()
        .to_owned();
    let insider_creds = dir.join("insider.creds");
    std::fs::write(&insider_creds, insider(&estate)).unwrap();
    let redeem = |name: &str, token: &str| {
        let out = dir.join(format!("{name}.creds"));
        let (exit, _, stderr) = cli(&[
            "request",
            "-s",
            &url,
            "--subject",
            SUBJECT,
            "--creds",
            &insider_creds.display().to_string(),
            "--name",
            name,
            "--token",
            token,
            "--out",
            &out.display().to_string(),
        ]);
        (exit, stderr, out)
    };
    let (exit, stderr, dev_a) = redeem("dev-a", &token);
    assert_eq!(exit, 0, "{stderr}");
    let text = std::fs::read_to_string(&dev_a).unwrap();
    let jwt = UserClaims::decode(&claims::parse_creds(&text).unwrap().jwt).unwrap();
    assert!(
        jwt.nats.tags.contains(&"team:red".to_owned()),
        "{:?}",
        jwt.nats.tags
    );
    let (exit, stderr, _) = redeem("ops-a", &token);
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("invite_mismatch"), "{stderr}");
    let (exit, stdout, _) = tenant(&["--json", "invites", "list"]);
    assert_eq!(exit, 0);
    let listed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(listed["invites"][0]["uses_left"], json!(1), "{listed}");
    assert!(!stdout.contains(&token));
    let (exit, stderr, _) = redeem("dev-b", &token);
    assert_eq!(exit, 0, "{stderr}");
    let (exit, stderr, _) = redeem("dev-c", &token);
    assert_eq!(exit, 2);
    assert!(stderr.contains("invite_invalid"), "{stderr}");

    // dev-a renews itself: same key, a new JWT, through its own connection.
    let renewed = dir.join("dev-a-renewed.creds");
    let renew = |out: &std::path::Path| {
        cli(&[
            "request",
            "-s",
            &url,
            "--subject",
            SUBJECT,
            "--renew",
            "--creds",
            &dev_a.display().to_string(),
            "--name",
            "dev-a",
            "--ttl",
            "7200",
            "--out",
            &out.display().to_string(),
        ])
    };
    let (exit, _, stderr) = renew(&renewed);
    assert_eq!(exit, 0, "{stderr}");
    let again = claims::parse_creds(&std::fs::read_to_string(&renewed).unwrap()).unwrap();
    let again_jwt = UserClaims::decode(&again.jwt).unwrap();
    assert_eq!(again_jwt.sub, jwt.sub);
    assert_ne!(again_jwt.jti, jwt.jti);
    assert!(again_jwt.exp >= jwt.exp + 3_600, "a new expiry");
    let (_, stdout, _) = tenant(&["--json", "users", "show", "dev-a"]);
    let shown: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(shown["users"][0]["issued"], json!(2), "{shown}");
    assert_eq!(shown["users"][0]["jti"], json!(again_jwt.jti));
    // A renewal is for the caller's own name only.
    let (exit, _, stderr) = cli(&[
        "request",
        "-s",
        &url,
        "--subject",
        SUBJECT,
        "--renew",
        "--creds",
        &dev_a.display().to_string(),
        "--name",
        "dev-z",
        "--out",
        &dir.join("z.creds").display().to_string(),
    ]);
    assert_eq!(exit, 2, "{stderr}");

    // Revoked without a revoker: marked, never renewed, and the reply says so.
    let (exit, stdout, stderr) = tenant(&["--json", "users", "revoke", "dev-a"]);
    assert_eq!(exit, 0, "{stderr}");
    let revoked: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(revoked["pushed"], json!(false), "{revoked}");
    assert!(
        revoked["note"].as_str().unwrap().contains("never renewed"),
        "{revoked}"
    );
    let (exit, _, stderr) = renew(&dir.join("dev-a-3.creds"));
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("name_revoked"), "{stderr}");
    let (exit, stdout, _) = tenant(&["quota"]);
    assert_eq!(exit, 0);
    assert!(stdout.contains("1 active users, no limit"), "{stdout}");
    let (exit, stdout, _) = tenant(&["users", "list"]);
    assert_eq!(exit, 0);
    assert!(
        stdout.contains("revoked") && stdout.contains("dev-b"),
        "{stdout}"
    );
}
