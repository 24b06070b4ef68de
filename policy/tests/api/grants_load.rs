//! Conditional grants (`[[tenants.grants]]`) at load: their templates follow the rules of
//! the permission template, problems are placed, a scoped key takes none, and no
//! requestable glob or stamp can hand a grant's tag to a request's own user.

use policy::schema::{GrantConfig, GrantRules, TenantConfig};
use policy::{Policy, PolicyError};

use crate::grants::with_grant;
use crate::support::*;

fn load_errors(edit: impl FnOnce(&mut TenantConfig)) -> Vec<(String, PolicyError)> {
    let mut t = acme();
    with_grant(&mut t);
    edit(&mut t);
    Policy::from_file(file(vec![t]))
        .expect_err("refused")
        .problems()
        .iter()
        .map(|p| (p.path.to_string(), p.error.clone()))
        .collect()
}

#[test]
fn a_request_cannot_hand_a_grant_tag_to_its_own_user() {
    for glob in ["svc:*", "SVC:storage", "s*:storage", "svc:stor?ge"] {
        let errors = load_errors(|t| t.tags.requestable = vec![glob.into()]);
        assert!(
            matches!(errors.as_slice(), [(path, PolicyError::PrivilegedTag { tag, .. })]
                if path == "tenants[0].tags.requestable[0]" && tag == "svc:storage"),
            "{glob}: {errors:?}"
        );
    }
    for stamp in [
        "svc:storage",
        "svc:{name}",
        "{name}:storage",
        "Svc:{tag:kind}",
    ] {
        let errors = load_errors(|t| t.tags.stamp = vec![stamp.into()]);
        assert!(
            matches!(errors.as_slice(), [(path, PolicyError::PrivilegedTag { tag, .. })]
                if path == "tenants[0].tags.stamp[0]" && tag == "svc:storage"),
            "{stamp}: {errors:?}"
        );
    }
    let shown = errors_text(|t| t.tags.requestable = vec!["svc:*".into()]);
    assert!(shown.contains("the tag of a grant"), "{shown}");
    // Tags that cannot produce it stay fine.
    let mut t = acme();
    with_grant(&mut t);
    t.tags.requestable = vec!["team:*".into(), "svc:storage-*".into()];
    t.tags.stamp = vec!["tenant:{tenant}".into(), "svc:{tenant}".into()];
    assert!(Policy::from_file(file(vec![t])).is_ok());
}

fn errors_text(edit: impl FnOnce(&mut TenantConfig)) -> String {
    let errors = load_errors(edit);
    errors
        .iter()
        .map(|(path, e)| format!("{path}: {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_scoped_signing_key_takes_no_grants() {
    let errors = load_errors(|t| {
        t.signing_key.scoped = true;
        t.permissions = None;
    });
    assert!(
        matches!(errors.as_slice(), [(path, PolicyError::ScopedWithGrants)]
            if path == "tenants[0].grants[0]"),
        "{errors:?}"
    );
}

#[test]
fn grant_templates_follow_the_permission_rules() {
    let errors = load_errors(|t| {
        t.grants.push(GrantConfig {
            tag: "svc:bad".into(),
            publish: GrantRules {
                allow: vec![
                    "other.x".into(),
                    ">".into(),
                    "$SYS.REQ".into(),
                    "svc.x{name}".into(),
                ],
            },
            subscribe: GrantRules {
                allow: vec!["elsewhere.>".into()],
            },
        });
        t.grants.push(GrantConfig {
            tag: "svc:a.b".into(),
            ..GrantConfig::default()
        });
    });
    let at = |path: &str| errors.iter().find(|(p, _)| p == path).map(|(_, e)| e);
    assert!(matches!(
        at("tenants[0].grants[1].pub.allow[0]"),
        Some(PolicyError::OutsideNamespace { .. })
    ));
    assert!(matches!(
        at("tenants[0].grants[1].pub.allow[1]"),
        Some(PolicyError::PublishEverything { .. })
    ));
    assert!(matches!(
        at("tenants[0].grants[1].pub.allow[2]"),
        Some(PolicyError::SysSubject { .. })
    ));
    assert!(matches!(
        at("tenants[0].grants[1].pub.allow[3]"),
        Some(PolicyError::Template { .. })
    ));
    assert!(matches!(
        at("tenants[0].grants[1].sub.allow[0]"),
        Some(PolicyError::OutsideNamespace { .. })
    ));
    assert!(matches!(
        at("tenants[0].grants[2].tag"),
        Some(PolicyError::Tag { .. })
    ));
    assert!(matches!(
        at("tenants[0].grants[2]"),
        Some(PolicyError::GrantsNothing)
    ));
    assert_eq!(errors.len(), 7, "{errors:?}");
}

#[test]
fn grants_in_toml_are_placed_and_checked_for_unknown_keys() {
    let text = format!(
        r#"
        version = 1
        [[tenants]]
        name = "acme"
        account = "{ACME}"
        namespace = "tenant.acme"
        extra_prefixes = ["svc"]
        signing_key.path = "/keys/acme.nk"
        identity.invite.enabled = true
        permissions.pub.allow = ["tenant.acme.{{name}}.>"]
        permissions.sub.allow = ["_INBOX.{{name}}.>"]

        [[tenants.grants]]
        tag = "svc:storage"
        pub.allow = ["svc.storage.>"]

        [[tenants.grants]]
        tag = "svc:compute"
        pub.allow = ["svc.compute.>"]
        pub.deny = ["svc.compute.admin"]
        sub.allow = ["tenant.x.>"]
        when = "always"
    "#
    );
    let errors = Policy::from_toml_str(&text).expect_err("refused");
    let shown: Vec<String> = errors.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("tenants[0].grants[1].pub.deny (line 20")
                && s.ends_with("unknown key `deny`, expected `allow`")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("tenants[0].grants[1].when (line 22")),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(
            |s| s.starts_with("tenants[0].grants[1].sub.allow[0] (line 21")
                && s.contains("outside namespace")
        ),
        "{shown:?}"
    );
    assert_eq!(shown.len(), 3, "{shown:?}");
    let fixed = text
        .replace("pub.deny = [\"svc.compute.admin\"]\n", "")
        .replace("when = \"always\"\n", "")
        .replace("tenant.x.>", "tenant.acme.{name}.>");
    let policy = Policy::from_toml_str(&fixed).expect("loads");
    assert_eq!(
        policy.tenants()[0].grant_tags().collect::<Vec<_>>(),
        ["svc:storage", "svc:compute"]
    );
}
