//! The browser-test tooling end to end: headless Chromium (through chromedriver) logs in
//! at the real OpenID provider of the tests (`tests/oidc-provider`, npm `oidc-provider`)
//! with the authorization code flow and PKCE, as the portal will, and the ID token it
//! gets verifies with the `oidc` crate against the provider's JWKS URL, the verifier
//! the portal uses. A small local listener stands in for the portal's callback.

use std::time::{Duration, Instant};

use integration_tests::browser::{Browser, WAIT};
use integration_tests::oidc_provider::{Account, OidcProvider, ProviderOptions, CLIENT_ID};
use reqwest::Url;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The text the stand-in callback page shows.
const BACK_AT_CLIENT: &str = "Back at the client";

/// Answers every request with a small page, as the portal's callback would render one.
async fn redirect_target() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 2048];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = format!("<!DOCTYPE html><title>Client</title><h1>{BACK_AT_CLIENT}</h1>");
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    base
}

/// A PKCE verifier (66 unreserved characters) and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = format!("{}{}{}", nuid::next(), nuid::next(), nuid::next());
    let challenge = data_encoding::BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorization_url(provider: &OidcProvider, callback: &str, challenge: &str, state: &str) -> Url {
    Url::parse_with_params(
        &provider.authorization_url(),
        [
            ("client_id", CLIENT_ID),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", callback),
            ("state", state),
            ("nonce", "nonce-1"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap()
}

fn query(url: &str, key: &str) -> Option<String> {
    let url = Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The token's claims, not verified (what the portal reads after verifying).
fn claims_of(id_token: &str) -> Value {
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &data_encoding::BASE64URL_NOPAD
            .decode(payload.as_bytes())
            .unwrap(),
    )
    .unwrap()
}

/// The `oidc` crate's verifiers for one tenant `acme` trusting the provider by its JWKS
/// URL (plain http to loopback), as the portal's tenants are configured.
async fn verifiers(provider: &OidcProvider) -> (oidc::OidcVerifiers, tempfile::TempDir) {
    let policy = policy::Policy::from_toml_str(&format!(
        "version = 1\n[[tenants]]\nname = \"acme\"\naccount = \"{}\"\n\
         namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n\
         identity.oidc = {{ issuer = \"{}\", audience = \"{CLIENT_ID}\", jwks_url = \"{}\", \
         tenant_claim = \"tenant\", tags_claim = \"groups\" }}\n\
         permissions.pub.allow = [\"tenant.acme.x\"]\npermissions.sub.allow = [\"_INBOX.>\"]\n",
        claims::KeyPair::new_account().public_key(),
        provider.issuer(),
        provider.jwks_url(),
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cache, refresher) = oidc::remote::JwksCache::new();
    tokio::spawn(refresher.run(oidc::remote::http_client(None).unwrap()));
    (
        oidc::OidcVerifiers::load(&policy, dir.path(), &cache).unwrap(),
        dir,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_logs_in_at_the_provider_with_pkce_and_logs_out() {
    let target = redirect_target().await;
    let callback = format!("{target}/callback");
    let provider = OidcProvider::start(&ProviderOptions {
        accounts: vec![
            Account::member("alice", "alice-pw", "acme", &["role:admin"], "Alice Admin"),
            Account::member("bob", "bob-pw", "globex", &[], "Bob Builder"),
        ],
        redirect_uris: vec![callback.clone()],
        post_logout_redirect_uris: vec![format!("{target}/signed-out")],
        port: 0,
    })
    .unwrap();
    let browser = Browser::start("browser_login").await.unwrap();
    let (verifier, challenge) = pkce();

    browser
        .goto(authorization_url(&provider, &callback, &challenge, "state-1").as_str())
        .await
        .unwrap();
    browser
        .wait_for_element("input[name=password]", WAIT)
        .await
        .unwrap();
    browser.screenshot("login").await.unwrap();

    browser.fill("Login", "alice").await.unwrap();
    browser.fill("Password", "not-alice-pw").await.unwrap();
    browser.click("Sign in").await.unwrap();
    browser
        .wait_for_text("Wrong login or password.", WAIT)
        .await
        .unwrap();
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .starts_with(provider.issuer()));
    browser.screenshot("wrong-password").await.unwrap();

    browser.fill("Password", "alice-pw").await.unwrap();
    browser.click("Sign in").await.unwrap();
    let landed = browser.wait_for_url(&callback, WAIT).await.unwrap();
    browser.wait_for_text(BACK_AT_CLIENT, WAIT).await.unwrap();
    browser.screenshot("back-at-client").await.unwrap();
    assert_eq!(query(&landed, "state").as_deref(), Some("state-1"));
    assert_eq!(query(&landed, "iss").as_deref(), Some(provider.issuer()));
    let code = query(&landed, "code").expect("an authorization code");

    // The code exchange, as the portal's back channel does it: public client, PKCE.
    // (Also installs the rustls crypto provider reqwest is built to expect.)
    let http = oidc::remote::http_client(None).unwrap();
    let answer = http
        .post(provider.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", callback.as_str()),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let tokens: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let claims = claims_of(&id_token);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["groups"], serde_json::json!(["role:admin"]));
    assert_eq!(claims["name"], "Alice Admin");
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], "nonce-1");

    // The portal's verifier, fetching the provider's JWKS URL in the background.
    let (verifiers, _dir) = verifiers(&provider).await;
    let deadline = Instant::now() + WAIT;
    let verified = loop {
        match verifiers.verify(&id_token, integration_tests::unix_now()) {
            Ok(verified) => break verified,
            Err(err) if Instant::now() < deadline => {
                assert!(matches!(err, oidc::OidcError::UnknownKey), "{err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("the ID token did not verify within {WAIT:?}: {err}"),
        }
    };
    assert_eq!(
        (verified.tenant.as_str(), verified.name.as_str()),
        ("acme", "alice")
    );
    assert_eq!(verified.tags, vec![String::from("role:admin")]);

    // RP-initiated logout: no confirmation page, back at the registered URI.
    let logout = Url::parse_with_params(
        &provider.end_session_url(),
        [
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", &format!("{target}/signed-out")),
            ("state", "bye"),
        ],
    )
    .unwrap();
    browser.goto(logout.as_str()).await.unwrap();
    let out = browser
        .wait_for_url(&format!("{target}/signed-out"), WAIT)
        .await
        .unwrap();
    assert_eq!(query(&out, "state").as_deref(), Some("bye"));
    browser.screenshot("signed-out").await.unwrap();

    // The provider's session is gone: the next authorization asks for the password again.
    let (_, challenge) = pkce();
    browser
        .goto(authorization_url(&provider, &callback, &challenge, "state-2").as_str())
        .await
        .unwrap();
    browser
        .wait_for_element("input[name=password]", WAIT)
        .await
        .unwrap();
    browser.screenshot("login-again").await.unwrap();
    // A desktop screenshot holds the whole page, not only the window.
    browser
        .goto("data:text/html,<title>Tall</title><div style='height:2500px'>tall page</div>")
        .await
        .unwrap();
    browser.wait_for_text("tall page", WAIT).await.unwrap();
    let tall = std::fs::read(browser.screenshot("tall-page").await.unwrap()).unwrap();
    let png_height = u32::from_be_bytes(tall[20..24].try_into().unwrap());
    assert!(png_height >= 2500, "a {png_height} pixel high shot");
    let shots = std::fs::read_dir(browser.screenshot_dir()).unwrap().count();
    assert_eq!(shots, 6);

    // A phone-sized browser renders the same page at 390 CSS pixels.
    let phone = Browser::start_phone("browser_login_phone").await.unwrap();
    phone
        .goto(authorization_url(&provider, &callback, &challenge, "state-3").as_str())
        .await
        .unwrap();
    phone
        .wait_for_element("input[name=login]", WAIT)
        .await
        .unwrap();
    let width = phone
        .client()
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(width, serde_json::json!(390));
    phone.screenshot("login").await.unwrap();

    // PKCE is required: a request without a challenge comes back as an error.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut plain = authorization_url(&provider, &callback, &challenge, "state-4");
    let kept: Vec<(String, String)> = plain
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    plain.query_pairs_mut().clear().extend_pairs(kept);
    let refused = no_redirects.get(plain.as_str()).send().await.unwrap();
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&callback), "{location}");
    assert_eq!(
        query(&location, "error").as_deref(),
        Some("invalid_request")
    );
}
