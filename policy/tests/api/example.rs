//! The example policy file loads and behaves as its comments say.

use policy::{evaluate, DenyCode, Identity, InviteGrant, Policy, Request, SigningKeyRef};

use crate::support::*;

const EXAMPLE: &str = include_str!("../../examples/policy.toml");

#[test]
fn the_example_loads() {
    let policy = Policy::from_toml_str(EXAMPLE).unwrap();
    let names: Vec<&str> = policy.tenants().iter().map(|t| t.name()).collect();
    assert_eq!(names, ["acme", "kubecon", "helmholtz"]);
    let helmholtz = policy.tenant("helmholtz").unwrap();
    assert!(!helmholtz.is_scoped());
    assert_eq!(
        helmholtz.signing_key(),
        &SigningKeyRef::PublicKey(SIGNING.into())
    );
    assert_eq!(
        helmholtz.grant_tags().collect::<Vec<_>>(),
        ["svc:storage", "svc:compute"]
    );
    assert_eq!(
        policy.tenant_by_account(ACME).map(|t| t.name()),
        Some("acme")
    );
}

#[test]
fn the_examples_acme_enrolment() {
    let policy = Policy::from_toml_str(EXAMPLE).unwrap();
    let mut r = Request::new("alice", ALICE);
    r.proof_verified = true;
    r.tags = vec!["team:red".into()];
    let caller = Identity::through_import(ACME, ["role:enroller", "site:berlin"]);
    let d = evaluate(&policy, &r, &caller, NOW);
    let a = d.allow().unwrap_or_else(|| panic!("{d}"));
    assert_eq!(
        a.permissions.publish.allow,
        [
            "tenant.acme.alice.>",
            "tenant.acme.telemetry.berlin.alice",
            "svc.acme.requests"
        ]
    );
    assert_eq!(a.tags, ["tenant:acme", "site:berlin", "team:red"]);
    assert_eq!(
        a.permissions.resp.as_ref().map(|r| r.ttl),
        Some(5_000_000_000)
    );
    assert_eq!(
        a.permissions.allowed_connection_types,
        ["STANDARD", "WEBSOCKET"]
    );
    assert_eq!(a.permissions.times_location, "Europe/Berlin");

    r.name = "root".into();
    let d = evaluate(&policy, &r, &caller, NOW);
    assert_eq!(d.deny_code(), Some(DenyCode::NameReserved));
}

#[test]
fn the_examples_portal_tenant_entitles_by_tag() {
    let policy = Policy::from_toml_str(EXAMPLE).unwrap();
    let mut r = Request::new("bob", BOB);
    r.proof_verified = true;
    r.tenant = Some("helmholtz".into());
    let d = evaluate(&policy, &r, &Identity::anonymous(), NOW);
    assert_eq!(d.deny_code(), Some(DenyCode::IdentityRequired));
    let invite = |tags: &[&str]| InviteGrant {
        tenant: "helmholtz".into(),
        name_pattern: "b*".into(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    };
    r.invite = Some(invite(&[]));
    let d = evaluate(&policy, &r, &Identity::anonymous(), NOW);
    let a = d.allow().unwrap_or_else(|| panic!("{d}"));
    assert_eq!(a.permissions.publish.allow, ["tenant.helmholtz.bob.>"]);
    assert_eq!(
        (a.ttl_secs, a.tags.as_slice()),
        (900, ["tenant:helmholtz".to_owned()].as_slice())
    );
    r.invite = Some(invite(&["svc:storage"]));
    let d = evaluate(&policy, &r, &Identity::anonymous(), NOW);
    let a = d.allow().unwrap_or_else(|| panic!("{d}"));
    assert_eq!(
        a.permissions.publish.allow,
        ["tenant.helmholtz.bob.>", "svc.storage.>"]
    );
    let shown = d.to_string();
    assert!(
        shown.contains("tenants[2].grants[0]: the user carries `svc:storage`"),
        "{shown}"
    );
    assert!(
        shown.contains("tenants[2].grants[1]: the user does not carry `svc:compute`"),
        "{shown}"
    );
}
