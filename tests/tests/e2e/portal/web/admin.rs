//! A tenant admin invites from the invites page (the code shown once), a newcomer
//! redeems the code over NATS and connects, then the admin finds them on the users page
//! and revokes them with a confirmation: the newcomer's next connection is refused.

use integration_tests::browser::Browser;
use integration_tests::workspace_bin;

use super::credentials::reload_until;
use super::stack::{WebStack, SHOW};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_invites_a_newcomer_and_revokes_them_and_their_next_connection_is_refused() {
    let stack = WebStack::start("web-admin");
    let browser = Browser::start("web_admin").await.unwrap();
    stack.log_in(&browser, "alice").await;
    browser.click("Invites").await.unwrap();
    browser.wait_for_text("New invite", SHOW).await.unwrap();
    browser.fill("name_pattern", "dave").await.unwrap();
    browser.fill("Uses", "1").await.unwrap();
    browser.click("Create invite").await.unwrap();
    let code = browser
        .wait_for_element("#invite-code", SHOW)
        .await
        .unwrap();
    let code = code.prop("value").await.unwrap().unwrap();
    assert!(code.starts_with("inv_acme_"), "{code}");
    browser.screenshot("invite-created").await.unwrap();
    browser.goto(&stack.url("/invites")).await.unwrap();
    let listed = browser.text().await.unwrap();
    assert!(
        listed.contains("1 of 1 left") && !listed.contains(&code),
        "{listed}"
    );

    let dir = stack.estate.dir.path();
    let dave = dir.join("dave.creds");
    let bootstrap = stack.estate.creds_path("acme", "bootstrap");
    let url = stack.estate.url();
    let redeemed = std::process::Command::new(workspace_bin("provisioner").unwrap())
        .args(["request", "-s", &url, "--creds"])
        .arg(&bootstrap)
        .args([
            "--subject",
            "creds.request",
            "--name",
            "dave",
            "--token",
            &code,
            "--out",
        ])
        .arg(&dave)
        .output()
        .unwrap();
    assert!(
        redeemed.status.success(),
        "{}",
        String::from_utf8_lossy(&redeemed.stderr)
    );
    let connect = || async {
        async_nats::ConnectOptions::with_credentials_file(&dave)
            .await
            .unwrap()
            .max_reconnects(Some(1))
            .connect(stack.estate.url())
            .await
    };
    let first = connect().await.unwrap();
    first.flush().await.unwrap();
    reload_until(&stack, &browser, "/users?prefix=dave", "connected now").await;

    browser.click("dave").await.unwrap();
    browser.wait_for_text("Revoke…", SHOW).await.unwrap();
    browser.click("Revoke…").await.unwrap();
    browser.wait_for_text("Revoke dave?", SHOW).await.unwrap();
    browser.screenshot("revoke-confirm").await.unwrap();
    browser.click("Revoke dave").await.unwrap();
    browser.wait_for_text("revoked", SHOW).await.unwrap();
    browser.screenshot("revoked").await.unwrap();
    drop(first);

    let until = std::time::Instant::now() + SHOW;
    loop {
        match connect().await {
            Err(_) => break,
            Ok(client) => {
                drop(client);
                assert!(
                    std::time::Instant::now() < until,
                    "dave still connects after the revocation"
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
}
