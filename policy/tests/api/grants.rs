//! Conditional grants (`[[tenants.grants]]`) at evaluation: subjects added for users
//! carrying a tag (from whichever source), nothing and no denial for the others.

use policy::schema::{GrantConfig, GrantRules, OidcConfig, TenantConfig};
use policy::{
    evaluate, rule, CredentialKind, Decision, DenyCode, Identity, InviteGrant, Policy, Request,
    StepOutcome, VerifiedCredential,
};

use crate::support::*;

/// `svc:storage` users publish on `svc.storage.>` and read `svc.storage.events`.
pub fn storage_grant() -> GrantConfig {
    GrantConfig {
        tag: "svc:storage".into(),
        publish: GrantRules {
            allow: vec!["svc.storage.>".into()],
        },
        subscribe: GrantRules {
            allow: vec!["svc.storage.events".into(), "tenant.acme.{name}.>".into()],
        },
    }
}

/// `acme` with services under the extra prefix `svc` and the storage grant.
pub fn with_grant(t: &mut TenantConfig) {
    t.extra_prefixes = vec!["svc".into()];
    t.grants = vec![storage_grant()];
}

/// Alice, invited with `tags`.
fn invited(tags: &[&str]) -> Request {
    let mut r = request();
    r.invite = Some(InviteGrant {
        tenant: "acme".into(),
        name_pattern: "*".into(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    });
    r
}

fn decide(policy: &Policy, request: &Request) -> Decision {
    evaluate(policy, request, &Identity::anonymous(), NOW)
}

fn grant_steps(decision: &Decision) -> Vec<(StepOutcome, String)> {
    decision
        .explanation()
        .iter()
        .filter(|s| s.rule == rule::GRANTS)
        .map(|s| (s.outcome, s.note.clone()))
        .collect()
}

#[test]
fn a_user_carrying_the_tag_gets_the_grant() {
    let policy = policy_with(with_grant);
    let decision = decide(&policy, &invited(&["svc:storage"]));
    let allow = decision.allow().expect("allowed");
    assert_eq!(
        allow.permissions.publish.allow,
        ["tenant.acme.alice.>", "tenant.acme.chat.*", "svc.storage.>"]
    );
    // Appended without duplicates; the tenant's deny list still applies.
    let dm = format!("tenant.acme.dm.{ALICE}");
    assert_eq!(
        allow.permissions.subscribe.allow,
        [
            "tenant.acme.alice.>",
            dm.as_str(),
            "_INBOX.>",
            "svc.storage.events"
        ]
    );
    assert_eq!(allow.permissions.publish.deny, ["tenant.acme.alice.admin"]);
    let steps = grant_steps(&decision);
    assert_eq!(steps.len(), 1, "{decision}");
    assert_eq!(steps[0].0, StepOutcome::Passed);
    assert!(
        steps[0]
            .1
            .starts_with("tenants[0].grants[0]: the user carries `svc:storage`"),
        "{}",
        steps[0].1
    );
    assert!(steps[0].1.contains("pub `svc.storage.>`"), "{}", steps[0].1);
    assert!(decision.to_string().contains("grants"), "{decision}");
}

#[test]
fn a_user_without_the_tag_is_allowed_without_the_grant() {
    let policy = policy_with(with_grant);
    for tags in [&[][..], &["svc:compute"], &["svc:storage2"]] {
        let decision = decide(&policy, &invited(tags));
        let allow = decision.allow().expect("allowed");
        assert_eq!(
            allow.permissions.publish.allow,
            ["tenant.acme.alice.>", "tenant.acme.chat.*"]
        );
        assert!(!allow
            .permissions
            .subscribe
            .allow
            .contains(&"svc.storage.events".to_owned()));
        let steps = grant_steps(&decision);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].0, StepOutcome::Skipped);
        assert!(steps[0].1.contains("does not carry `svc:storage`"));
    }
    // Without grants the rule is skipped once.
    let plain = policy_with(|_| {});
    let steps = grant_steps(&decide(&plain, &invited(&[])));
    assert_eq!(
        steps,
        [(StepOutcome::Skipped, "tenants[0].grants not set".into())]
    );
}

#[test]
fn the_tag_is_compared_ignoring_ascii_case() {
    let policy = policy_with(|t| {
        with_grant(t);
        t.grants[0].tag = "SVC:Storage".into();
    });
    let allow = decide(&policy, &invited(&["svc:STORAGE"]));
    let allow = allow.allow().expect("allowed");
    assert!(allow
        .permissions
        .publish
        .allow
        .contains(&"svc.storage.>".to_owned()));
}

#[test]
fn trusted_sources_may_carry_a_grant_tag() {
    let policy = policy_with(|t| {
        with_grant(t);
        t.identity.oidc = Some(OidcConfig {
            issuer: "https://idp.example".into(),
            audience: "nats".into(),
            jwks_file: "jwks.json".into(),
            name_claim: "sub".into(),
            tags_claim: Some("groups".into()),
            ..Default::default()
        });
        t.identity.callout.enabled = true;
    });
    for (kind, via_callout) in [
        (CredentialKind::IdToken, false),
        (CredentialKind::IdToken, true),
        (CredentialKind::Password, true),
    ] {
        let mut r = request();
        r.credential = Some(VerifiedCredential {
            kind,
            via_callout,
            tenant: "acme".into(),
            name: "alice".into(),
            tags: vec!["svc:storage".into()],
            not_after: None,
        });
        let decision = decide(&policy, &r);
        let allow = decision.allow().unwrap_or_else(|| panic!("{decision}"));
        assert!(allow
            .permissions
            .publish
            .allow
            .contains(&"svc.storage.>".to_owned()));
    }
}

#[test]
fn grants_add_to_every_grant_the_user_carries_tags_for() {
    let policy = policy_with(|t| {
        with_grant(t);
        t.grants.push(GrantConfig {
            tag: "svc:compute".into(),
            publish: GrantRules {
                allow: vec!["svc.compute.{name}.>".into(), "svc.storage.>".into()],
            },
            subscribe: GrantRules::default(),
        });
    });
    let decision = decide(&policy, &invited(&["svc:compute", "svc:storage"]));
    let allow = decision.allow().expect("allowed");
    assert_eq!(
        allow.permissions.publish.allow,
        [
            "tenant.acme.alice.>",
            "tenant.acme.chat.*",
            "svc.storage.>",
            "svc.compute.alice.>"
        ]
    );
    let outcomes: Vec<StepOutcome> = grant_steps(&decision).iter().map(|s| s.0).collect();
    assert_eq!(outcomes, [StepOutcome::Passed, StepOutcome::Passed]);
}

#[test]
fn an_unsafe_expansion_is_denied() {
    let policy = policy_with(|t| {
        with_grant(t);
        t.grants[0].publish.allow = vec!["svc.storage.{tag:site}.>".into()];
    });
    let r = invited(&["svc:storage"]);
    let mut caller = caller();
    caller.caller_tags = vec!["role:enroller".into(), "site:a.b".into()];
    let decision = evaluate(&policy, &r, &caller, NOW);
    assert_eq!(
        decision.deny_code(),
        Some(DenyCode::SubjectUnsafe),
        "{decision}"
    );
    let last = decision.explanation().last().expect("a step");
    assert_eq!(
        (last.rule, last.outcome),
        (rule::GRANTS, StepOutcome::Failed)
    );
    assert!(
        last.note.starts_with("tenants[0].grants[0].pub.allow[0]"),
        "{}",
        last.note
    );
    // A caller lacking the tag the template reads is denied as the permissions would be…
    caller.caller_tags = vec!["role:enroller".into()];
    let decision = evaluate(&policy, &r, &caller, NOW);
    assert_eq!(decision.deny_code(), Some(DenyCode::CallerTagMissing));
    // …but only when the user carries the grant's tag.
    assert!(evaluate(&policy, &invited(&[]), &caller, NOW).is_allow());
    caller.caller_tags = vec!["role:enroller".into(), "site:ber".into()];
    let decision = evaluate(&policy, &r, &caller, NOW);
    let allow = decision.allow().expect("allowed");
    assert!(allow
        .permissions
        .publish
        .allow
        .contains(&"svc.storage.ber.>".to_owned()));
}
