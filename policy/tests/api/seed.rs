//! The seed's behaviour (the KubeCon 2020 chat-access responder) as a policy.

use policy::{evaluate, Identity, Policy, Request, SigningKeyRef};

use crate::support::*;

fn seed() -> Policy {
    Policy::seed_legacy(
        ACME,
        SigningKeyRef::Path("/keys/kubecon-sk.nk".into()),
        "chat.KUBECON",
    )
    .unwrap()
}

fn plain_text(name: &str, key: &str) -> Request {
    let mut r = Request::new(name, key);
    r.legacy = true;
    r
}

#[test]
fn a_name_gets_the_tutorials_permissions() {
    let decision = evaluate(
        &seed(),
        &plain_text("wallyqs", ALICE),
        &Identity::anonymous(),
        NOW,
    );
    let allow = decision.allow().unwrap();
    let p = &allow.permissions;
    assert_eq!(
        p.publish.allow,
        [
            "chat.KUBECON.online",
            "chat.KUBECON.posts.*",
            "chat.KUBECON.dms.*"
        ]
    );
    assert!(p.publish.deny.is_empty());
    assert_eq!(
        p.subscribe.allow,
        [
            "chat.KUBECON.online".to_owned(),
            "chat.KUBECON.posts.*".to_owned(),
            format!("chat.KUBECON.dms.{ALICE}"),
            "_INBOX.>".to_owned(),
        ]
    );
    assert!(p.subscribe.deny.is_empty());
    assert_eq!(p.payload, 1024);
    assert_eq!(
        (p.subs, p.data),
        (-1, -1),
        "as Go's NewUserClaims leaves them"
    );
    assert!(p.resp.is_none() && !p.bearer_token && p.src.is_empty() && p.times.is_empty());

    let claims = allow.user_claims();
    assert_eq!(claims.name, "wallyqs");
    assert_eq!(claims.sub, ALICE);
    assert_eq!(claims.nats.issuer_account, ACME);
    assert_eq!(claims.exp, NOW + policy::SEED_TTL_SECS as i64);
    assert_eq!(allow.identity_source, policy::IdentitySource::Legacy);
}

#[test]
fn the_seed_serves_names_again_and_anonymously_only_in_legacy_mode() {
    let policy = seed();
    // Each plain-text request gets a fresh key; the same name again still works.
    let mut again = plain_text("wallyqs", BOB);
    again.facts.name_holder = policy::NameHolder::OtherKey;
    let d = evaluate(&policy, &again, &Identity::anonymous(), NOW);
    assert_eq!(
        d.allow().unwrap().permissions.subscribe.allow[2],
        format!("chat.KUBECON.dms.{BOB}")
    );
    // A JSON (non-legacy) anonymous request is not vouched for.
    let mut json = plain_text("wallyqs", ALICE);
    json.legacy = false;
    json.tenant = Some("KUBECON".into());
    let d = evaluate(&policy, &json, &Identity::anonymous(), NOW);
    assert_eq!(d.deny_code(), Some(policy::DenyCode::IdentityRequired));
    // Names still cannot smuggle subject tokens.
    let d = evaluate(
        &policy,
        &plain_text("a.>", ALICE),
        &Identity::anonymous(),
        NOW,
    );
    assert_eq!(d.deny_code(), Some(policy::DenyCode::NameInvalid));
}

#[test]
fn the_example_files_kubecon_tenant_is_the_seed() {
    let example = Policy::from_toml_str(include_str!("../../examples/policy.toml")).unwrap();
    let mut r = plain_text("wallyqs", ALICE);
    r.tenant = Some("kubecon".into());
    let from_file = evaluate(&example, &r, &Identity::anonymous(), NOW);
    let from_seed = evaluate(
        &seed(),
        &plain_text("wallyqs", ALICE),
        &Identity::anonymous(),
        NOW,
    );
    let (a, b) = (from_file.allow().unwrap(), from_seed.allow().unwrap());
    assert_eq!(a.permissions, b.permissions);
    assert_eq!(a.ttl_secs, b.ttl_secs);
}

#[test]
fn seed_refuses_bad_inputs() {
    let bad = Policy::seed_legacy(ALICE, SigningKeyRef::Path("k".into()), "chat.*").unwrap_err();
    assert_eq!(bad.len(), 2, "{bad}");
}
