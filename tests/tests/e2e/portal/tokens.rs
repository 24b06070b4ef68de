//! Bad bearer tokens: none, not a bearer, expired, not yet valid, another issuer,
//! another audience, `alg: none`, HS256 signed with the issuer's public key, a key id the
//! JWKS lacks, garbage, oversized. Each gets `401` with `WWW-Authenticate: Bearer
//! error=…`, before any NATS connection is made, and the portal keeps serving good tokens.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::stack::{claims, Issuer, Stack};

fn b64(value: &serde_json::Value) -> String {
    data_encoding::BASE64URL_NOPAD.encode(value.to_string().as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_401_and_the_portal_keeps_serving() {
    let stack = Stack::start("tokens");
    let now = integration_tests::unix_now();
    let good = claims("dana", "acme", &[]);
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut c = good.clone();
        edit(&mut c);
        stack.issuer.sign(&c)
    };
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(stack.issuer.kid.clone());
        let secret = stack.issuer.jwk["x"].as_str().unwrap().as_bytes().to_vec();
        jsonwebtoken::encode(&header, &good, &EncodingKey::from_secret(&secret)).unwrap()
    };
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good)
    );
    let cases: Vec<(&str, String)> = vec![
        ("expired", with(&|c| c["exp"] = json!(now - 3600))),
        ("not yet valid", with(&|c| c["nbf"] = json!(now + 3600))),
        (
            "wrong issuer",
            with(&|c| c["iss"] = json!("https://elsewhere.test")),
        ),
        (
            "wrong audience",
            with(&|c| c["aud"] = json!("another-client")),
        ),
        (
            "another tenant's name",
            with(&|c| c["tenant"] = json!("initech")),
        ),
        ("alg none", none),
        ("hs256 with the public key", hs256),
        ("unknown kid", Issuer::new("key-9").sign(&good)),
        ("garbage", String::from("not-a-token")),
        ("oversized", format!("eyJ{}", "A".repeat(70 * 1024))),
    ];
    for (what, token) in &cases {
        for (method, path, body) in [
            ("GET", "/api/v1/me", None),
            (
                "POST",
                "/api/v1/credentials",
                Some(json!({"name": "stolen"})),
            ),
        ] {
            let reply = stack.send(method, path, Some(token), body).await;
            reply.assert_problem(401, "token_invalid");
            let challenge = reply.header("www-authenticate");
            assert!(
                challenge.starts_with("Bearer realm=\"portal\", error=\"invalid_token\""),
                "{what}: {challenge}"
            );
        }
    }
    let missing = stack.send("GET", "/api/v1/me", None, None).await;
    missing.assert_problem(401, "token_missing");
    assert!(missing
        .header("www-authenticate")
        .contains("error=\"invalid_request\""));
    let basic = reqwest_basic(&stack).await;
    basic.assert_problem(401, "token_invalid");

    // Still serving, and nothing was issued for the bad tokens.
    let dana = stack.token("dana", "acme", &[]);
    assert_eq!(stack.get("/api/v1/me", &dana).await.status, 200);
    let out = stack.portal.output();
    for (_, token) in &cases {
        assert!(
            token.len() < 20 || !out.contains(token.as_str()),
            "tokens are never logged"
        );
    }
}

/// A request with `Authorization: Basic`.
async fn reqwest_basic(stack: &Stack) -> super::stack::Reply {
    let client = oidc::remote::http_client(None).unwrap();
    let response = client
        .get(format!("{}/api/v1/me", stack.base))
        .header("authorization", "Basic ZGFuYTpzZWNyZXQ=")
        .send()
        .await
        .unwrap();
    super::stack::Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}
