//! OIDC ID tokens on a real nats-server: a token signed by a key in the tenant's JWKS file
//! connects through the callout (as the CONNECT token or the password) and gets the
//! policy's permissions; an expired token, a wrong audience or a key missing from the JWKS
//! is refused; the minted user never outlives the token; and the request flow's `id_token`
//! mints the same way. A JWKS URL is fetched, and a key the issuer rotates in is picked
//! up. The tests make their own Ed25519 keys and JWKS (a file, or served over loopback).

use std::time::Duration;

use async_nats::ConnectOptions;
use claims::KeyPair;
use integration_tests::{
    connect_with_creds, connect_with_options, publish_until_received, unix_now, workspace_bin,
    LOG_WAIT,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::estate::{CalloutEstate, Options};

/// A throwaway Ed25519 issuer key (test only) and its JWK.
pub(crate) struct Issuer {
    der: Vec<u8>,
    jwk: Value,
    kid: String,
}

impl Issuer {
    pub(crate) fn new(kid: &str) -> Self {
        let key = KeyPair::new_user();
        let (_, seed) = nkeys::decode_seed(&key.seed().unwrap()).unwrap();
        let (_, public) = nkeys::from_public_key(&key.public_key()).unwrap();
        // PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410).
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&seed);
        let x = data_encoding::BASE64URL_NOPAD.encode(&public);
        Issuer {
            der,
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig"}),
            kid: kid.to_owned(),
        }
    }

    pub(crate) fn token(&self, name: &str, audience: &str, exp: i64) -> String {
        let claims = json!({"iss": ISSUER, "aud": audience, "sub": name, "exp": exp,
                            "iat": unix_now(), "groups": ["oidc:yes"]});
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&self.der)).unwrap()
    }
}

const ISSUER: &str = "https://idp.example.test";
pub(crate) const AUDIENCE: &str = "nats-clients";

fn estate(issuer: &Issuer) -> CalloutEstate {
    estate_with(issuer, "")
}

/// The estate with acme trusting `issuer`'s ID tokens, and `extra` policy lines for acme.
pub(crate) fn estate_with(issuer: &Issuer, extra: &str) -> CalloutEstate {
    let estate = CalloutEstate::start(Options {
        acme_identity: format!(
            "identity.oidc = {{ issuer = \"{ISSUER}\", audience = \"{AUDIENCE}\", \
             jwks_file = \"jwks.json\", tags_claim = \"groups\" }}\n{extra}"
        ),
        ..Options::default()
    });
    let jwks = json!({"keys": [issuer.jwk.clone()]}).to_string();
    std::fs::write(estate.path("jwks.json"), jwks).unwrap();
    estate
}

#[tokio::test]
async fn an_id_token_from_the_jwks_connects_and_bad_ones_are_refused() {
    let issuer = Issuer::new("key-1");
    let estate = estate(&issuer);
    let mut provisioner = estate.start_provisioner("p");
    let url = estate.url();
    let later = unix_now() + 600;

    let token = issuer.token("dana", AUDIENCE, later);
    let mut dana = connect_with_options(&url, ConnectOptions::with_token(token.clone()))
        .await
        .unwrap();
    let own = "tenant.acme.dana.inbox";
    let mut sub = dana.client.subscribe(own).await.unwrap();
    publish_until_received(&dana.client, &mut sub, own, b"hi")
        .await
        .unwrap();
    dana.client
        .publish("tenant.acme.erin.inbox", "x".into())
        .await
        .unwrap();
    dana.client.flush().await.unwrap();
    dana.expect_permission_violation("tenant.acme.erin.inbox")
        .await
        .unwrap();
    // Clients that can only send a user and password put the token in the password.
    let as_password = ConnectOptions::with_user_and_password("ignored".into(), token.clone());
    connect_with_options(&url, as_password).await.unwrap();

    let refused = |token: String| {
        let url = url.clone();
        async move { connect_with_options(&url, ConnectOptions::with_token(token)).await }
    };
    let expired = issuer.token("dana", AUDIENCE, unix_now() - 120);
    assert!(refused(expired).await.is_err(), "an expired token");
    let elsewhere = issuer.token("dana", "another-client", later);
    assert!(refused(elsewhere).await.is_err(), "a wrong audience");
    let unknown = Issuer::new("key-2").token("dana", AUDIENCE, later);
    assert!(
        refused(unknown).await.is_err(),
        "a key missing from the JWKS"
    );
    // The server logs the callout's reasons; the client only sees a refusal, and sees it
    // before the server and the provisioner write their lines.
    let reasons = [
        "id_token_invalid: the ID token has expired",
        "id_token_invalid: the ID token is for another audience",
        "id_token_invalid: the ID token's signing key is not in the issuer's JWKS",
    ];
    let server_log = estate.server.wait_for_log(&reasons, LOG_WAIT).unwrap();
    let out = provisioner
        .wait_for_count("code=id_token_invalid", 3, LOG_WAIT)
        .unwrap();
    assert_eq!(out.matches("code=id_token_invalid").count(), 3, "{out}");
    assert!(
        !out.contains(&token) && !server_log.contains(&token),
        "tokens are never logged"
    );
}

#[tokio::test]
async fn the_minted_user_never_outlives_the_id_token() {
    let issuer = Issuer::new("key-1");
    let estate = estate(&issuer);
    let _provisioner = estate.start_provisioner("p");
    let exp = unix_now() + 4;
    let token = issuer.token("frank", AUDIENCE, exp);
    let mut frank = connect_with_options(&estate.url(), ConnectOptions::with_token(token.clone()))
        .await
        .unwrap();
    // The policy's TTL is 600 s; the server closes the connection when the token expires.
    frank
        .expect_disconnect(Duration::from_secs(20))
        .await
        .unwrap();

    // The request flow: the same token in `id_token` mints a JWT that expires with it.
    let provisioner = connect_with_creds(&estate.url(), &estate.provisioner_creds)
        .await
        .unwrap();
    let exp = unix_now() + 300;
    let token = issuer.token("frank", AUDIENCE, exp);
    let user = KeyPair::new_user();
    let ts = unix_now();
    let nonce = nuid::next().to_string();
    let proof = provisioner::proof::sign_proof(&user, None, "frank", ts, &nonce).unwrap();
    let request = json!({"name": "frank", "public_key": user.public_key(), "ts": ts,
                         "nonce": nonce, "proof": proof, "id_token": token});
    let reply = tokio::time::timeout(
        Duration::from_secs(10),
        provisioner
            .client
            .request("creds.request", request.to_string().into()),
    )
    .await
    .unwrap()
    .unwrap();
    let body: Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(body["expires"], exp, "{body}");
    let minted = claims::UserClaims::decode(body["jwt"].as_str().unwrap()).unwrap();
    assert_eq!(minted.exp, exp);
    assert!(minted.nats.tags.contains(&String::from("oidc:yes")));
    assert_eq!(minted.nats.issuer_account, estate.acme.public_key());

    // The same through `provisioner request --id-token-file`.
    std::fs::write(
        estate.path("id_token"),
        issuer.token("frank", AUDIENCE, exp),
    )
    .unwrap();
    let out = estate.path("frank.creds");
    let run = std::process::Command::new(workspace_bin("provisioner").unwrap())
        .args(["request", "--name", "frank", "--subject", "creds.request"])
        .args(["-s", &estate.url()])
        .arg("--creds")
        .arg(estate.path("provisioner.creds"))
        .arg("--id-token-file")
        .arg(estate.path("id_token"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let creds = claims::parse_creds(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(claims::UserClaims::decode(&creds.jwt).unwrap().exp, exp);
}

/// A JWKS served over loopback HTTP whose keys the test can change.
struct JwksServer {
    url: String,
    keys: std::sync::Arc<std::sync::Mutex<String>>,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl JwksServer {
    async fn start(issuers: &[&Issuer]) -> Self {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let keys = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (served, counter) = (keys.clone(), fetches.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let body = served.lock().unwrap().clone();
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        let server = JwksServer { url, keys, fetches };
        server.serve(issuers);
        server
    }

    fn serve(&self, issuers: &[&Issuer]) {
        let set = json!({"keys": issuers.iter().map(|i| i.jwk.clone()).collect::<Vec<_>>()});
        *self.keys.lock().unwrap() = set.to_string();
    }
}

// Multi-threaded: the JWKS server must answer while the test waits for the process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_from_a_jwks_url_verify_and_a_rotated_key_is_picked_up() {
    let first = Issuer::new("key-1");
    let jwks = JwksServer::start(&[&first]).await;
    let estate = CalloutEstate::start(Options {
        acme_identity: format!(
            "identity.oidc = {{ issuer = \"{ISSUER}\", audience = \"{AUDIENCE}\", \
             jwks_url = \"{}\" }}",
            jwks.url
        ),
        ..Options::default()
    });
    let mut provisioner = estate.start_provisioner("p");
    provisioner
        .wait_for_output("JWKS fetched", Duration::from_secs(10))
        .unwrap();
    assert_eq!(jwks.fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
    let url = estate.url();
    let later = unix_now() + 600;
    let connect = |token: String| {
        let url = url.clone();
        async move { connect_with_options(&url, ConnectOptions::with_token(token)).await }
    };
    connect(first.token("gina", AUDIENCE, later)).await.unwrap();

    // The issuer rotates in key-2. The first token signed with it finds the cached set
    // without it and asks for a refresh; a retry, as clients do, gets in.
    let second = Issuer::new("key-2");
    jwks.serve(&[&first, &second]);
    let token = second.token("gina", AUDIENCE, later);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match connect(token.clone()).await {
            Ok(_) => break,
            Err(err) => assert!(
                tokio::time::Instant::now() < deadline,
                "key-2 never accepted: {err}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Fetched once at start, and again because of the unknown key.
    assert!(jwks.fetches.load(std::sync::atomic::Ordering::SeqCst) >= 2);

    // A key the issuer never published stays refused.
    let stranger = Issuer::new("key-3").token("gina", AUDIENCE, later);
    assert!(connect(stranger).await.is_err());
    let out = provisioner.output();
    assert!(!out.contains(&token), "tokens are never logged");
}
