//! Finding 11 of the security review, in the policy: reserved names are globs refused in
//! any case (one fold, `policy::names::fold_case`, whatever `names.case_sensitive` says),
//! and a v1 proof counts only where `identity.proof.accept_v1` says so.

use policy::schema::TenantConfig;
use policy::{evaluate, rule, Decision, DenyCode, Request};

use crate::support::*;

/// The decision for `request` in acme after `edit`.
fn decide(edit: impl FnOnce(&mut TenantConfig), request: &Request) -> Decision {
    evaluate(&policy_with(edit), request, &caller(), NOW)
}

/// The code and the rule that denied, if denied.
fn denied(decision: &Decision) -> Option<(DenyCode, &'static str)> {
    match decision {
        Decision::Deny(deny) => deny.explanation.last().map(|s| (deny.code, s.rule)),
        Decision::Allow(_) => None,
    }
}

fn named(name: &str) -> Request {
    let mut r = request();
    r.name = name.into();
    r
}

#[test]
fn reserved_names_are_globs_refused_in_any_case() {
    let reserving = |t: &mut TenantConfig| {
        t.names.allowed_chars = "a-zA-Z0-9_\u{c0}-\u{17f}-".into();
        t.names.reserved = vec!["_INBOX*".into(), "$*".into(), "root".into(), "élan".into()];
    };
    for name in ["_INBOX", "_inbox_alice", "Root", "ROOT", "ÉLAN"] {
        let d = decide(reserving, &named(name));
        assert_eq!(
            denied(&d),
            Some((DenyCode::NameReserved, rule::NAME_RESERVED)),
            "{name}: {d}"
        );
    }
    for name in ["inbox", "rooted", "elan"] {
        let d = decide(reserving, &named(name));
        assert!(d.is_allow(), "{name}: {d}");
    }
    // Reserved names ignore case even where names do not.
    let d = decide(
        |t| {
            reserving(t);
            t.names.case_sensitive = true;
        },
        &named("Root"),
    );
    assert_eq!(d.deny_code(), Some(DenyCode::NameReserved), "{d}");
}

#[test]
fn names_ignore_case_unless_the_tenant_says_otherwise() {
    let policy = policy_with(|_| {});
    let names = &policy.tenant("acme").unwrap().config().names;
    assert!(!names.case_sensitive, "the default");
    assert_eq!(names.unique_form("ALICE"), names.unique_form("alice"));
    let policy = policy_with(|t| t.names.case_sensitive = true);
    let names = &policy.tenant("acme").unwrap().config().names;
    assert_ne!(names.unique_form("ALICE"), names.unique_form("alice"));
    // The minted name is the name as asked.
    let d = decide(|_| {}, &named("Alice"));
    assert_eq!(d.allow().map(|a| a.name.as_str()), Some("Alice"), "{d}");
}

#[test]
fn a_v1_proof_counts_only_where_the_tenant_accepts_v1() {
    let mut v1 = request();
    v1.proof_v1 = true;
    let d = decide(|_| {}, &v1);
    assert!(d.is_allow(), "accept_v1 defaults to true: {d}");
    let only_v2 = |t: &mut TenantConfig| t.identity.proof.accept_v1 = false;
    let d = decide(only_v2, &v1);
    assert_eq!(
        denied(&d),
        Some((DenyCode::ProofOutdated, rule::PROOF)),
        "{d}"
    );
    assert_eq!(DenyCode::ProofOutdated.service_error_code(), 403);
    assert_eq!(DenyCode::ProofOutdated.as_str(), "proof_outdated");
    let d = decide(only_v2, &request());
    assert!(d.is_allow(), "a v2 proof: {d}");
    // Where no proof is required, a v1 proof is not refused either.
    let d = decide(
        |t| {
            only_v2(t);
            t.identity.proof.required = false;
        },
        &v1,
    );
    assert!(d.is_allow(), "{d}");
}
