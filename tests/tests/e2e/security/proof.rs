//! Finding 11, the proof: a `nats-provisioner-proof-v2` binds the token, ID token, TTL
//! and tags as well as the tenant, name, key, time and nonce, so a request changed in
//! flight is refused (`proof_invalid`); the default estate refuses v1 proofs
//! (`proof_outdated`), which leave those fields open, and a policy may still accept them
//! (`identity.proof.accept_v1 = true`). Before the fix the proof was v1 only and such a
//! changed request was served as changed.

use claims::{KeyPair, UserClaims};
use integration_tests::{connect_with_creds, unix_now, ProductEstate};
use nsc_setup::ResolverKind;
use provisioner::proof::sign_proof;
use serde_json::{json, Value};

use crate::proven::proven_with;
use crate::provision::{ask, code};

/// A v1 request for `name` by `user`, with `ttl`.
fn proven_v1(user: &KeyPair, name: &str, ttl: u64) -> Value {
    let (ts, nonce) = (unix_now(), nuid::next().to_string());
    let proof = sign_proof(user, None, name, ts, &nonce).unwrap();
    json!({"name": name, "public_key": user.public_key(), "ts": ts, "nonce": nonce,
           "proof": proof, "ttl": ttl})
}

/// The estate's policy with acme's `lines` added, written as `file`.
fn policy_with(estate: &ProductEstate, lines: &str, file: &str) -> String {
    let dir = &estate.written.dir;
    let text = std::fs::read_to_string(dir.join("policy.toml")).unwrap();
    let text = text.replacen(
        "name = \"acme\"\n",
        &format!("name = \"acme\"\n{lines}\n"),
        1,
    );
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn a_request_changed_in_flight_is_refused_and_v1_only_where_the_policy_allows() {
    let estate = ProductEstate::start(&["acme"], ResolverKind::Memory, false).unwrap();
    let policy = policy_with(
        &estate,
        "tags.requestable = [\"team:*\"]",
        "policy-tags.toml",
    );
    let mut p = estate
        .start_provisioner("p", &["--policy", &policy])
        .unwrap();
    let client = connect_with_creds(&estate.url(), &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap();
    let asked = |r: &mut provisioner::wire::CredentialRequest| {
        r.ttl = Some(60);
        r.tags = Some(vec!["team:red".into()]);
    };

    // What a man in the middle would change, after the client signed.
    type Tamper = fn(&mut Value);
    let tampered: [(&str, Tamper); 6] = [
        ("a longer ttl", |r| r["ttl"] = json!(86_400)),
        ("no ttl", |r| r["ttl"] = Value::Null),
        ("another tag", |r| r["tags"] = json!(["team:blue"])),
        ("one more tag", |r| {
            r["tags"] = json!(["team:red", "team:blue"])
        }),
        ("a token", |r| {
            r["token"] = json!(format!("inv_{}", "A".repeat(52)))
        }),
        ("the version dropped", |r| r["proof_version"] = Value::Null),
    ];
    for (what, tamper) in tampered {
        let mut req = proven_with(&KeyPair::new_user(), "mallory", None, asked);
        tamper(&mut req);
        let (status, body) = ask(&client, req.to_string()).await;
        assert_eq!(
            (status, code(&body)),
            (403, "proof_invalid"),
            "{what}: {body}"
        );
    }
    let before = unix_now();
    let req = proven_with(&KeyPair::new_user(), "alice", None, asked);
    let (status, body) = ask(&client, req.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let jwt = UserClaims::decode(body["jwt"].as_str().unwrap()).unwrap();
    assert!(
        jwt.exp <= unix_now() + 60 && jwt.exp >= before + 60,
        "exp {}",
        jwt.exp
    );
    assert!(jwt.nats.tags.iter().any(|t| t == "team:red"), "{jwt:?}");

    // A v1 proof binds none of those fields: the estate refuses it.
    let (status, body) = ask(
        &client,
        proven_v1(&KeyPair::new_user(), "bob", 60).to_string(),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "proof_outdated"), "{body}");
    assert!(
        body["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("proof-v2"),
        "{body}"
    );

    // Where the policy still accepts v1, a v1 client is served, and its ttl is open.
    let policy = policy_with(&estate, "", "policy-v1.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    let text = text.replacen("accept_v1 = false", "accept_v1 = true", 1);
    std::fs::write(&policy, text).unwrap();
    p.kill();
    let _p = estate
        .start_provisioner("p-v1", &["--policy", &policy])
        .unwrap();
    let mut req = proven_v1(&KeyPair::new_user(), "carol", 60);
    req["ttl"] = json!(3_600);
    let (status, body) = ask(&client, req.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["expires"].as_i64().unwrap() > unix_now() + 60,
        "{body}"
    );
}
