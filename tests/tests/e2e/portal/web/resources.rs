//! Resources through the pages: a request shows `pending`, then `created` without a
//! reload (server-sent events); a failing handler's text is shown; an approval-gated
//! request shows `pending_approval` until the service side approves it.

use std::time::{Duration, Instant};

use integration_tests::browser::Browser;

use super::stack::{WebStack, SHOW, SLOW_SECS};

/// Requests `kind` for `target` on the resources page; returns the resource's page URL.
async fn request(stack: &WebStack, browser: &Browser, kind: &str, target: &str) -> String {
    browser.goto(&stack.url("/resources")).await.unwrap();
    browser
        .wait_for_text("Request a resource", SHOW)
        .await
        .unwrap();
    let option = format!("option[value='storage/sto1/{kind}']");
    browser.click_css(&option).await.unwrap();
    browser.fill("target_entity", target).await.unwrap();
    browser.click("Request").await.unwrap();
    browser
        .wait_for_url(&stack.url("/resources/storage.sto1."), SHOW)
        .await
        .unwrap()
}

/// The state shown on the page now, read without reloading.
async fn shown_state(browser: &Browser) -> String {
    let status = browser
        .wait_for_element("[data-status]", SHOW)
        .await
        .unwrap();
    status.text().await.unwrap_or_default()
}

/// Waits for the detail page of a settled resource: one that has loaded and follows no
/// live state. A page that saw its resource settle reloads itself, and a click on the
/// page being replaced is lost with it.
async fn settled_page(browser: &Browser) {
    let script = "return document.readyState === 'complete' \
                  && document.querySelector('[data-live]') === null;";
    browser
        .wait_for_script(script, "the settled page", SHOW)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_states_change_live_and_errors_and_approvals_show() {
    let stack = WebStack::start("web-resources");
    let browser = Browser::start("web_resources").await.unwrap();
    stack.log_in(&browser, "bob").await;
    browser.goto(&stack.url("/resources")).await.unwrap();
    browser
        .wait_for_text("folder · storage at sto1", SHOW)
        .await
        .unwrap();
    browser.screenshot("resources").await.unwrap();

    // Requested: the page opens on `pending` (or already further) and follows on its own.
    let started = Instant::now();
    let page = request(&stack, &browser, "folder", "vo-web").await;
    let first = shown_state(&browser).await;
    assert!(["pending", "created"].contains(&first.as_str()), "{first}");
    browser.wait_for_text("created", SHOW).await.unwrap();
    println!(
        "web: request to `created` shown in {:.2} s (first shown: {first})",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(browser.current_url().await.unwrap(), page, "no navigation");
    browser.screenshot("resource-created").await.unwrap();
    let id = page.rsplit('.').next().unwrap().to_owned();
    let folder = stack.folders.join("acme").join(&id);
    assert!(folder.is_dir());
    // The handler's details and the state history are on the page (reloaded once settled).
    browser.wait_for_text("History", SHOW).await.unwrap();
    let detail = browser.text().await.unwrap();
    assert!(
        detail.contains("Details") && detail.contains("created"),
        "{detail}"
    );

    // Delete, confirmed in the browser's dialog: `deleting`, then `deleted`, folder gone.
    settled_page(&browser).await;
    browser.click("Delete").await.unwrap();
    browser.client().accept_alert().await.unwrap();
    browser.wait_for_text("deleted", SHOW).await.unwrap();
    let until = Instant::now() + SHOW;
    while folder.exists() {
        assert!(Instant::now() < until, "{} still exists", folder.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.screenshot("resource-deleted").await.unwrap();

    // A handler that fails: its words on the page.
    request(&stack, &browser, "broken", "vo-broken").await;
    browser.wait_for_text("error", SHOW).await.unwrap();
    browser
        .goto(&browser.current_url().await.unwrap())
        .await
        .unwrap();
    browser.wait_for_text("Error", SHOW).await.unwrap();
    let error = browser
        .wait_for_element("[data-error]", SHOW)
        .await
        .unwrap();
    let words = error.text().await.unwrap();
    assert!(words.contains("refuses every request"), "{words}");
    browser.screenshot("resource-error").await.unwrap();
    // Retried from its page: the handler runs again (and fails again, with its words).
    let broken = browser.current_url().await.unwrap();
    settled_page(&browser).await;
    browser.click("Retry").await.unwrap();
    let until = Instant::now() + SHOW;
    loop {
        browser.goto(&broken).await.unwrap();
        let text = browser.text().await.unwrap_or_default();
        if text.contains("retry") && text.matches("failed").count() >= 2 && text.contains("Retry") {
            break;
        }
        assert!(Instant::now() < until, "no retried failure shown: {text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.screenshot("resource-retried").await.unwrap();

    // Gated by approval: waits as pending_approval until the service side approves.
    let gated = request(&stack, &browser, "gated", "vo-gated").await;
    browser
        .wait_for_text("pending_approval", SHOW)
        .await
        .unwrap();
    browser
        .screenshot("resource-pending-approval")
        .await
        .unwrap();
    let gated_id = gated.rsplit('.').next().unwrap().to_owned();
    let until = Instant::now() + SHOW;
    while !stack.approvals(&["list"]).contains(&gated_id) {
        assert!(
            Instant::now() < until,
            "{gated_id} never listed for approval"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(shown_state(&browser).await, "pending_approval");
    stack.approvals(&["approve", &gated_id]);
    browser.wait_for_text("created", SHOW).await.unwrap();
    browser.screenshot("resource-approved").await.unwrap();
    browser.goto(&stack.url("/resources")).await.unwrap();
    browser.wait_for_text("vo-gated", SHOW).await.unwrap();
    let listed = browser.text().await.unwrap();
    assert!(
        listed.contains("vo-web") && listed.contains("vo-broken"),
        "{listed}"
    );
    browser.screenshot("resources-list").await.unwrap();

    // A change the agent has not taken yet (it is busy with a slow handler): the page
    // says it is queued, then follows it once the agent takes it, without a reload by
    // the person.
    request(&stack, &browser, "slow", "vo-slow").await;
    browser.goto(&gated).await.unwrap();
    settled_page(&browser).await;
    browser.click("Delete").await.unwrap();
    browser.client().accept_alert().await.unwrap();
    browser
        .wait_for_text("Your request is queued", SHOW)
        .await
        .unwrap();
    assert_eq!(shown_state(&browser).await, "created");
    let wait = SHOW + Duration::from_secs(SLOW_SECS);
    browser.wait_for_text("deleted", wait).await.unwrap();
}
