//! A person logs in, gets a `.creds` file from the credentials page (shown with what the
//! JWT allows), the file connects to nats-server, and the users page then shows them
//! connected; their history shows the issuance through the web door.

use std::time::{Duration, Instant};

use integration_tests::browser::Browser;

use super::stack::{WebStack, SHOW};

/// The `.creds` file the answer page offers (its `data:` link).
async fn offered_file(browser: &Browser) -> String {
    let link = browser.wait_for_element("#download", SHOW).await.unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    let encoded = href.strip_prefix("data:text/plain;base64,").unwrap();
    let bytes = data_encoding::BASE64.decode(encoded.as_bytes()).unwrap();
    String::from_utf8(bytes).unwrap()
}

/// Reloads `path` until its text holds `needle`.
pub async fn reload_until(stack: &WebStack, browser: &Browser, path: &str, needle: &str) {
    let until = Instant::now() + SHOW;
    loop {
        browser.goto(&stack.url(path)).await.unwrap();
        if browser.text().await.unwrap_or_default().contains(needle) {
            return;
        }
        assert!(
            Instant::now() < until,
            "{path} never showed {needle:?}: {}",
            browser.text().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_gets_a_creds_file_that_connects_and_shows_connected() {
    let stack = WebStack::start("web-creds");
    let browser = Browser::start("web_creds").await.unwrap();
    stack.log_in(&browser, "alice").await;
    browser
        .wait_for_text("You are alice in tenant acme", SHOW)
        .await
        .unwrap();
    browser.screenshot("overview").await.unwrap();

    browser.click("Credentials").await.unwrap();
    browser
        .wait_for_text("Request credentials", SHOW)
        .await
        .unwrap();
    browser.fill("User name", "alice-laptop").await.unwrap();
    browser.fill("Lifetime in seconds", "600").await.unwrap();
    browser.screenshot("credentials").await.unwrap();
    browser.click("Get credentials").await.unwrap();
    browser
        .wait_for_text("Credentials for alice-laptop", SHOW)
        .await
        .unwrap();
    browser.wait_for_text("What it allows", SHOW).await.unwrap();
    let page = browser.text().await.unwrap();
    assert!(page.contains("valid") && page.contains("pub"), "{page}");
    browser.screenshot("credentials-issued").await.unwrap();
    let creds = offered_file(&browser).await;
    let parsed = claims::parse_creds(&creds).unwrap();
    let jwt = claims::UserClaims::decode(&parsed.jwt).unwrap();
    assert_eq!(jwt.name, "alice-laptop");
    let lifetime = jwt.exp - jwt.iat;
    assert!((590..=600).contains(&lifetime), "{lifetime}");

    let file = stack.estate.dir.path().join("alice-web.creds");
    std::fs::write(&file, &creds).unwrap();
    let client = async_nats::ConnectOptions::with_credentials_file(&file)
        .await
        .unwrap()
        .connect(stack.estate.url())
        .await
        .unwrap();
    client.flush().await.unwrap();

    reload_until(
        &stack,
        &browser,
        "/users?prefix=alice-laptop",
        "connected now",
    )
    .await;
    browser.screenshot("users").await.unwrap();
    reload_until(&stack, &browser, "/history", "alice").await;
    browser.wait_for_text("Issuances per day", SHOW).await.ok();
    browser.screenshot("history").await.unwrap();
    drop(client);
}
