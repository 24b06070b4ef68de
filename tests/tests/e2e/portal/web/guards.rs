//! What the pages refuse: another tenant's users and resources (404 pages, and their
//! lists never show them), a form posted without the session's CSRF token (403
//! `csrf_failed`, nothing done), a logged-out session cookie (to the login page); and
//! the pages at phone width.

use integration_tests::browser::Browser;

use super::stack::{WebStack, SHOW};

/// The session cookie the browser holds now.
async fn session_cookie(browser: &Browser) -> String {
    let cookie = browser
        .client()
        .get_named_cookie("portal_session")
        .await
        .unwrap();
    format!("portal_session={}", cookie.value())
}

/// A plain HTTP client that shows redirects rather than following them.
fn http() -> reqwest::Client {
    oidc::remote::login_http_client(None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_tenants_forged_forms_and_old_cookies_open_nothing() {
    let stack = WebStack::start("web-guards");
    let browser = Browser::start("web_guards").await.unwrap();

    // carol (globex) makes a resource; alice (acme) cannot see it or its page.
    stack.log_in(&browser, "carol").await;
    browser.goto(&stack.url("/resources")).await.unwrap();
    browser
        .wait_for_text("Request a resource", SHOW)
        .await
        .unwrap();
    browser
        .click_css("option[value='storage/sto1/folder']")
        .await
        .unwrap();
    browser
        .fill("target_entity", "globex-secret")
        .await
        .unwrap();
    browser.click("Request").await.unwrap();
    let carols = browser
        .wait_for_url(&stack.url("/resources/storage.sto1."), SHOW)
        .await
        .unwrap();
    browser.wait_for_text("created", SHOW).await.unwrap();
    let carol_cookie = session_cookie(&browser).await;

    let alice = Browser::start("web_guards_alice").await.unwrap();
    stack.log_in(&alice, "alice").await;
    alice.goto(&carols).await.unwrap();
    alice.wait_for_text("404", SHOW).await.unwrap();
    alice.screenshot("other-tenant-resource").await.unwrap();
    alice.goto(&stack.url("/users/carol")).await.unwrap();
    alice.wait_for_text("404", SHOW).await.unwrap();
    alice.goto(&stack.url("/resources")).await.unwrap();
    alice
        .wait_for_text("Your tenant's resources", SHOW)
        .await
        .unwrap();
    assert!(!alice.text().await.unwrap().contains("globex-secret"));
    alice.goto(&stack.url("/users")).await.unwrap();
    alice.wait_for_text("Users", SHOW).await.unwrap();
    assert!(!alice.text().await.unwrap().contains("carol"));

    // A form without the CSRF token, or from another origin, is refused and does nothing.
    let alice_cookie = session_cookie(&alice).await;
    let forged = http()
        .post(stack.url("/invites"))
        .header("cookie", &alice_cookie)
        .header("origin", &stack.base)
        .form(&[("name_pattern", "mallory"), ("uses", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert!(forged.text().await.unwrap().contains("csrf_failed"));
    let cross = http()
        .post(stack.url("/invites"))
        .header("cookie", &alice_cookie)
        .header("origin", "http://evil.example")
        .form(&[("name_pattern", "mallory"), ("csrf", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403);
    alice.goto(&stack.url("/invites")).await.unwrap();
    alice
        .wait_for_text("The tenant's invites", SHOW)
        .await
        .unwrap();
    assert!(!alice.text().await.unwrap().contains("mallory"));

    // Logged out: the old cookie opens nothing.
    let before = http()
        .get(stack.url("/credentials"))
        .header("cookie", &carol_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(before.status().as_u16(), 200);
    browser.goto(&stack.url("/")).await.unwrap();
    browser.click("Log out").await.unwrap();
    browser.wait_for_text("Log in", SHOW).await.unwrap();
    browser.screenshot("logged-out").await.unwrap();
    let after = http()
        .get(stack.url("/credentials"))
        .header("cookie", &carol_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 303);
    assert!(after.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_at_phone_width_and_by_keyboard() {
    let stack = WebStack::start("web-phone");
    let browser = Browser::start_phone("web_phone").await.unwrap();
    stack.log_in(&browser, "bob").await;
    browser.screenshot("phone-overview").await.unwrap();
    for path in ["/credentials", "/resources"] {
        browser.goto(&stack.url(path)).await.unwrap();
        browser.wait_for_element("main h1", SHOW).await.unwrap();
        // No page is wider than the screen: nothing to scroll sideways.
        let wide = browser
            .client()
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth + 1;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(wide, serde_json::json!(false), "{path} scrolls sideways");
        browser
            .screenshot(&format!("phone{}", path.replace('/', "-")))
            .await
            .unwrap();
    }
    // Every input of the forms has a label.
    let unlabelled = browser
        .client()
        .execute(
            "return [...document.querySelectorAll('input:not([type=hidden]),select,textarea')]\
             .filter(e => !(e.labels && e.labels.length)).map(e => e.name);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unlabelled, serde_json::json!([]), "inputs without labels");
    // A user is not offered the admin pages, and they answer 403 if opened anyway.
    assert!(!browser.text().await.unwrap().contains("Invites"));
    browser.goto(&stack.url("/users")).await.unwrap();
    browser.wait_for_text("403", SHOW).await.unwrap();
    browser.screenshot("phone-forbidden").await.unwrap();
    // A page that does not exist is a readable page too, with its code and request id.
    browser.goto(&stack.url("/no-such-page")).await.unwrap();
    browser
        .wait_for_text("404 · Not Found", SHOW)
        .await
        .unwrap();
    let text = browser.text().await.unwrap();
    assert!(
        text.contains("not_found") && text.contains("Request id"),
        "{text}"
    );
}
