//! Replies are private to the user who asked (finding 1). On the estate `nsc-setup`
//! builds, every tenant user may subscribe to its own reply inboxes only,
//! `_INBOX.<its name>.>`, and the product's clients set that prefix: a co-tenant who
//! subscribes to `_INBOX.>` or to another user's prefix is refused by the server and
//! never sees an admin's invite token, another user's credential reply or the admin's
//! user listing, while `provisioner request` and `provisioner tenant` keep working.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use async_nats::Subscriber;
use futures::StreamExt as _;
use integration_tests::{connect_with_creds, workspace_bin, ProductEstate, ProductProcess};
use nsc_setup::ResolverKind;

/// How long a refused subscription is watched for messages that must not come.
const QUIET: Duration = Duration::from_millis(500);

/// Runs `provisioner ARGS` with no connection settings from the environment.
fn provisioner(args: &[&str]) -> Output {
    Command::new(workspace_bin("provisioner").unwrap())
        .args(args)
        .env_remove("PROVISIONER_NATS_URL")
        .env_remove("PROVISIONER_SUBJECT")
        .env_remove("PROVISIONER_INBOX_PREFIX")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The estate's policy with invites enabled for every tenant, served with the registry.
fn serve_with_invites(estate: &ProductEstate) -> ProductProcess {
    let text = std::fs::read_to_string(estate.written.dir.join("policy.toml")).unwrap();
    let text = text.replace(
        "names.unique = true\n",
        "names.unique = true\nidentity.invite.enabled = true\n",
    );
    let policy = estate.written.dir.join("policy-invites.toml");
    std::fs::write(&policy, text).unwrap();
    estate
        .start_provisioner("p", &["--registry", "--policy", path(&policy)])
        .unwrap()
}

/// Everything `subscription` received, waiting [`QUIET`] for more.
async fn drain(subscription: &mut Subscriber) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    while let Ok(Some(message)) = tokio::time::timeout(QUIET, subscription.next()).await {
        seen.push((message.subject.to_string(), text(&message.payload)));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_co_tenant_reads_no_reply_meant_for_another_user() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, true).unwrap();
    let _provisioner = serve_with_invites(&estate);
    let url = estate.url();
    let dir = estate.written.dir.as_path();
    let bootstrap = estate.creds_path("acme", "bootstrap");
    let admin = estate.creds_path("acme", "admin");
    let mallory_creds = estate.dir.path().join("mallory.creds");

    // Mallory is an ordinary user of the tenant, minted through the bootstrap user.
    let run = provisioner(&[
        "request",
        "-s",
        &url,
        "--estate",
        path(dir),
        "--creds",
        path(&bootstrap),
        "--name",
        "mallory",
        "--out",
        path(&mallory_creds),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let mut mallory = connect_with_creds(&url, &std::fs::read_to_string(&mallory_creds).unwrap())
        .await
        .unwrap();
    let mut snoops = Vec::new();
    for subject in ["_INBOX.>", "_INBOX.admin.>", "_INBOX.bootstrap.>"] {
        snoops.push((subject, mallory.client.subscribe(subject).await.unwrap()));
    }
    mallory.client.flush().await.unwrap();

    // The admin creates an invite (its token is a bearer secret), the bootstrap user gets
    // bob's credentials, the admin lists the users: all through the CLI.
    let run = provisioner(&[
        "tenant",
        "invites",
        "create",
        "-s",
        &url,
        "--estate",
        path(dir),
        "--creds",
        path(&admin),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    let token = stdout
        .lines()
        .find_map(|l| l.strip_prefix("token (shown once): "))
        .unwrap_or_else(|| panic!("no token in {stdout}"))
        .to_owned();
    let bob_creds = estate.dir.path().join("bob.creds");
    let run = provisioner(&[
        "request",
        "-s",
        &url,
        "--estate",
        path(dir),
        "--creds",
        path(&bootstrap),
        "--name",
        "bob",
        "--out",
        path(&bob_creds),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let bob_jwt = claims::parse_creds(&std::fs::read_to_string(&bob_creds).unwrap())
        .unwrap()
        .jwt;
    let run = provisioner(&[
        "tenant",
        "users",
        "list",
        "--json",
        "-s",
        &url,
        "--estate",
        path(dir),
        "--creds",
        path(&admin),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let names: Vec<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{listed}");
    assert!(
        names.contains(&"mallory") && names.contains(&"bob"),
        "{listed}"
    );

    // Mallory saw none of it: not the token, not bob's JWT, not the listing.
    mallory.client.flush().await.unwrap();
    for (subject, subscription) in &mut snoops {
        let seen = drain(subscription).await;
        for (on, payload) in &seen {
            assert!(
                !payload.contains(&token),
                "mallory's `{subject}` read the admin's invite token on `{on}`"
            );
            assert!(
                !payload.contains(&bob_jwt),
                "mallory's `{subject}` read bob's credentials on `{on}`"
            );
        }
        assert!(seen.is_empty(), "mallory's `{subject}` read {seen:?}");
    }
    // Because the server refused each of those subscriptions.
    for subject in ["_INBOX.>", "_INBOX.admin.>", "_INBOX.bootstrap.>"] {
        mallory.expect_permission_violation(subject).await.unwrap();
    }
}

#[tokio::test]
async fn a_client_may_not_borrow_another_users_inbox_or_the_shared_one() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let _provisioner = estate.start_provisioner("p", &[]).unwrap();
    let url = estate.url();
    let dir = estate.written.dir.as_path();
    let bootstrap = estate.creds_path("acme", "bootstrap");
    for (name, prefix) in [("x1", "_INBOX.admin"), ("x2", "_INBOX")] {
        let run = provisioner(&[
            "request",
            "-s",
            &url,
            "--estate",
            path(dir),
            "--creds",
            path(&bootstrap),
            "--inbox-prefix",
            prefix,
            "--name",
            name,
            "--timeout",
            "60s",
        ]);
        assert_eq!(
            run.status.code(),
            Some(1),
            "{prefix}: {}",
            text(&run.stderr)
        );
        let stderr = text(&run.stderr);
        assert!(
            stderr.contains(&format!(
                "Permissions Violation for Subscription to \"{prefix}."
            )),
            "{prefix}: {stderr}"
        );
    }
    // The bootstrap user's own prefix, named explicitly, works.
    let out = estate.dir.path().join("x3.creds");
    let run = provisioner(&[
        "request",
        "-s",
        &url,
        "--estate",
        path(dir),
        "--creds",
        path(&bootstrap),
        "--inbox-prefix",
        "_INBOX.bootstrap",
        "--name",
        "x3",
        "--out",
        path(&out),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    // A minted user may not take a name whose private inbox is another user's.
    for name in ["admin", "bootstrap", "Admin"] {
        let run = provisioner(&[
            "request",
            "-s",
            &url,
            "--estate",
            path(dir),
            "--creds",
            path(&bootstrap),
            "--name",
            name,
        ]);
        assert_eq!(run.status.code(), Some(2), "{name}: {}", text(&run.stderr));
        assert!(
            text(&run.stderr).contains("name_reserved"),
            "{name}: {}",
            text(&run.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_keys_template_gives_each_user_its_own_inbox() {
    let estate = ProductEstate::start_scoped(&["acme"], ResolverKind::Memory, false).unwrap();
    let _provisioner = estate.start_provisioner("p", &[]).unwrap();
    let url = estate.url();
    let alice_creds = estate.dir.path().join("alice.creds");
    let run = provisioner(&[
        "request",
        "-s",
        &url,
        "--estate",
        path(estate.written.dir.as_path()),
        "--creds",
        path(&estate.creds_path("acme", "bootstrap")),
        "--name",
        "alice",
        "--out",
        path(&alice_creds),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let alice_text = std::fs::read_to_string(&alice_creds).unwrap();
    let jwt = claims::parse_creds(&alice_text).unwrap().jwt;
    let claims = claims::UserClaims::decode(&jwt).unwrap();
    assert!(
        claims.nats.permissions.subscribe.allow.is_empty(),
        "the scope, not the JWT, grants"
    );

    // A responder of the tenant answers alice on her own subject.
    let echo = estate
        .extra_user("acme", "echo", |u| {
            u.nats.permissions.subscribe.allow = vec!["tenant.acme.alice.echo".into()];
            u.nats.permissions.publish.allow = vec!["_INBOX.>".into()];
        })
        .unwrap();
    let echo = connect_with_creds(&url, &echo).await.unwrap();
    let mut requests = echo
        .client
        .subscribe("tenant.acme.alice.echo")
        .await
        .unwrap();
    echo.client.flush().await.unwrap();
    let responder = echo.client.clone();
    tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            if let Some(reply) = request.reply {
                let _ = responder.publish(reply, request.payload).await;
            }
        }
    });

    // The reply reaches alice's private inbox, which the server's template grants her.
    let mut alice = connect_with_creds(&url, &alice_text).await.unwrap();
    let reply = tokio::time::timeout(
        integration_tests::STEP,
        alice
            .client
            .request("tenant.acme.alice.echo", "ping".into()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(&reply.payload[..], b"ping");
    assert!(
        reply.subject.starts_with("_INBOX.alice."),
        "{}",
        reply.subject
    );
    // Nothing wider.
    for subject in ["_INBOX.>", "_INBOX.bob.>"] {
        let _refused = alice.client.subscribe(subject).await.unwrap();
        alice.client.flush().await.unwrap();
        alice.expect_permission_violation(subject).await.unwrap();
    }
}

#[test]
fn the_seed_modes_help_says_what_it_exposes() {
    let run = provisioner(&["serve", "--help"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let help = text(&run.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for words in [
        "WARNING, legacy mode",
        "exposes every credential it issues",
        "every user of that account allowed to subscribe to `_INBOX.>`",
        "every later user's seed",
        "`_INBOX.<name>`",
    ] {
        assert!(help.contains(words), "`{words}` missing from: {help}");
    }
}
