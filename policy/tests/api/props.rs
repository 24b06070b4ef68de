//! Property tests: no name, tag or tenant input yields a subject outside the tenant's
//! namespace or a wildcard its template did not contain (conditional grants included);
//! `evaluate` never panics.

use policy::schema::{GrantConfig, GrantRules, PermissionsConfig, SubjectRules, TenantConfig};
use policy::subject::{is_literal_token, is_within, INBOX_PREFIX};
use policy::{evaluate, Decision, Identity, InviteGrant, Policy, Request};
use proptest::prelude::*;

use crate::support::*;

/// Every printable character but `.`, `*`, `>` and space, so the name rules let hostile
/// names through to substitution.
const BROAD_CHARS: &str = "!-)+--/-=?-~\u{a1}-\u{167f}";

const PUB_ALLOW: [&str; 3] = [
    "tenant.acme.{name}.>",
    "tenant.acme.{tag:site}.{name}",
    "tenant.acme.{tenant}.*.{public_key}",
];
/// The grant of users tagged `grant:on` (every invited user here).
const GRANT_PUB: [&str; 1] = ["tenant.acme.granted.{tag:site}.{name}"];
const GRANT_SUB: [&str; 1] = ["tenant.acme.granted.{name}.>"];
const PUB_DENY: [&str; 1] = ["tenant.acme.{name}.secret"];
const SUB_ALLOW: [&str; 3] = [
    "tenant.acme.dm.{public_key}",
    "_INBOX.{name}.>",
    "tenant.acme.{name}",
];

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn broad_tenant() -> TenantConfig {
    let mut t = acme();
    t.names.allowed_chars = BROAD_CHARS.into();
    t.names.max_len = policy::MAX_NAME_LEN;
    t.identity.proof.required = false;
    t.tags.stamp = vec!["site:{tag:site}".into(), "who:{name}".into()];
    t.permissions = Some(PermissionsConfig {
        publish: SubjectRules {
            allow: strings(&PUB_ALLOW),
            deny: strings(&PUB_DENY),
        },
        subscribe: SubjectRules {
            allow: strings(&SUB_ALLOW),
            deny: Vec::new(),
        },
        ..Default::default()
    });
    t.grants = vec![GrantConfig {
        tag: "grant:on".into(),
        publish: GrantRules {
            allow: strings(&GRANT_PUB),
        },
        subscribe: GrantRules {
            allow: strings(&GRANT_SUB),
        },
    }];
    t
}

/// `subject` is an expansion of one of `templates`: same tokens, wildcards exactly where
/// the template has them, and one literal token per placeholder.
fn conforms(subject: &str, templates: &[&str]) -> bool {
    templates.iter().any(|template| {
        let want: Vec<&str> = template.split('.').collect();
        let have: Vec<&str> = subject.split('.').collect();
        want.len() == have.len()
            && want.iter().zip(&have).all(|(w, h)| {
                if w.starts_with('{') {
                    is_literal_token(h)
                } else {
                    w == h
                }
            })
    })
}

fn safe(subject: &str) -> bool {
    is_within(subject, "tenant.acme") || is_within(subject, INBOX_PREFIX)
}

/// Hostile and ordinary strings: plain tokens, printable ASCII (with `.`, `*`, `>`
/// now and then), any Unicode, whitespace and separators, and known troublemakers.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9_-]{1,12}",
        3 => "[!-~]{0,12}",
        1 => ".*",
        1 => "[ \t\n.*>\u{0}\u{a0}\u{2028}]{0,3}",
        1 => prop_oneof![
            Just(String::new()),
            Just(">".to_owned()),
            Just("a.b".to_owned()),
            Just("*".to_owned()),
            Just("$SYS".to_owned()),
            Just("_INBOX".to_owned()),
            Just("{name}".to_owned()),
        ],
    ]
}

/// Mostly valid keys, so most cases reach substitution; sometimes anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => Just(ALICE.to_owned()), 2 => Just(BOB.to_owned()), 1 => text()]
}

/// Mostly a listed account (acme's import), sometimes none or anything.
fn account() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(Some(ACME.to_owned())),
        1 => Just(Some(OTHER.to_owned())),
        1 => Just(None),
        1 => text().prop_map(Some),
    ]
}

/// Mostly absent, sometimes anything.
fn rarely<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![4 => Just(None), 1 => s.prop_map(Some)]
}

fn check_allowed(decision: &Decision) -> Result<(), TestCaseError> {
    let Some(allow) = decision.allow() else {
        return Ok(());
    };
    let p = &allow.permissions;
    let (pub_allow, sub_allow) = if allow.tenant == "acme" {
        (
            [&PUB_ALLOW[..], &GRANT_PUB].concat(),
            [&SUB_ALLOW[..], &GRANT_SUB].concat(),
        )
    } else {
        (vec!["tenant.other.{name}"], vec!["tenant.other.{name}"])
    };
    let namespace = if allow.tenant == "acme" {
        "tenant.acme"
    } else {
        "tenant.other"
    };
    for subject in p.publish.allow.iter().chain(&p.subscribe.allow) {
        prop_assert!(
            is_within(subject, namespace) || is_within(subject, INBOX_PREFIX),
            "{subject} escapes {namespace}"
        );
    }
    for subject in &p.publish.allow {
        prop_assert!(
            conforms(subject, &pub_allow),
            "{subject} does not fit its template"
        );
    }
    for subject in &p.subscribe.allow {
        prop_assert!(
            conforms(subject, &sub_allow),
            "{subject} does not fit its template"
        );
    }
    if allow.tenant == "acme" {
        for subject in &p.publish.deny {
            prop_assert!(
                conforms(subject, &PUB_DENY),
                "{subject} does not fit its template"
            );
        }
    }
    for tag in &allow.tags {
        prop_assert!(
            policy::tags::check_user_tag(tag).is_ok(),
            "{tag} is not a subject-safe tag"
        );
        prop_assert!(
            !["role:admin", "role:enroller"]
                .iter()
                .any(|p| policy::tags::same_tag(p, tag)),
            "{tag} is privileged"
        );
    }
    Ok(())
}

/// Cases of the main property, and how many of them must reach an Allow so the
/// property is not vacuous.
const CASES: u32 = 1024;
const MIN_ALLOWED: usize = 100;

#[test]
fn no_input_escapes_the_namespace() {
    let strategy = (
        (text(), text(), proptest::collection::vec(text(), 0..3)),
        (rarely(text()), account(), key()),
        (
            prop_oneof![4 => Just(Vec::new()), 1 => proptest::collection::vec(text(), 1..3)],
            rarely(prop_oneof![Just("acme".to_owned()), text()]),
            prop_oneof![5 => Just(false), 1 => Just(true)],
        ),
        (proptest::option::of(any::<u64>()), any::<i64>()),
    );
    let allowed = std::cell::Cell::new(0usize);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(CASES));
    let result = runner.run(&strategy, |(inputs, who, extras, clock)| {
        let (name, site, extra_tags) = inputs;
        let (tenant, caller_account, public_key) = who;
        let (requested, invite_tenant, legacy) = extras;
        let (ttl, now) = clock;
        let mut tenant_config = broad_tenant();
        tenant_config.identity.legacy.enabled = legacy;
        // Every requested tag is requestable (they all start with `x`), and none can be
        // a privileged tag (`role:…`).
        tenant_config.tags.requestable = vec!["x*".into()];
        let policy = Policy::from_file(file(vec![tenant_config, other()])).unwrap();
        let mut caller_tags = vec!["role:enroller".to_owned(), format!("site:{site}")];
        caller_tags.extend(extra_tags);
        let identity = Identity {
            caller_account,
            caller_tags,
            ..Identity::default()
        };
        let request = Request {
            tenant,
            name,
            public_key,
            ttl_secs: ttl,
            tags: requested.iter().map(|t| format!("x{t}")).collect(),
            proof_verified: true,
            proof_v1: false,
            legacy,
            invite: invite_tenant.map(|tenant| InviteGrant {
                tenant,
                name_pattern: "*".into(),
                tags: vec!["grant:on".into()],
            }),
            credential: None,
            facts: Default::default(),
        };
        let decision = evaluate(&policy, &request, &identity, now);
        check_allowed(&decision)?;
        if let Some(allow) = decision.allow() {
            allowed.set(allowed.get() + 1);
            prop_assert_eq!(allow.expires_at, now + allow.ttl_secs as i64);
        } else {
            let deny = decision.deny().unwrap();
            prop_assert!(!deny.reason.is_empty() && !deny.reason.contains('\n'));
        }
        Ok(())
    });
    if let Err(err) = result {
        panic!("{err}");
    }
    assert!(
        allowed.get() >= MIN_ALLOWED,
        "only {} of {CASES} cases reached an Allow",
        allowed.get()
    );
}

fn template() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        4 => Just("tenant.acme"),
        2 => Just("_INBOX"),
        1 => Just("tenant"),
        1 => Just("tenant.{tenant}"),
        1 => Just("tenant.*"),
        1 => Just("tenant.acmex"),
        1 => Just(">"),
        1 => Just("$SYS"),
        1 => Just("{name}"),
    ];
    let token = prop_oneof![
        Just("x"),
        Just("{name}"),
        Just("{tenant}"),
        Just("{public_key}"),
        Just("{account}"),
        Just("{tag:site}"),
        Just("*"),
        Just(">"),
        Just("$SYS"),
        Just("x{name}"),
        Just(""),
        Just("{bogus}"),
    ];
    (prefix, proptest::collection::vec(token, 0..4)).prop_map(|(prefix, tokens)| {
        std::iter::once(prefix)
            .chain(tokens)
            .collect::<Vec<_>>()
            .join(".")
    })
}

/// Cases of the template property, and how many must load.
const TEMPLATE_CASES: u32 = 1024;
const MIN_LOADED: usize = 100;

#[test]
fn templates_that_could_escape_do_not_load() {
    let strategy = (proptest::collection::vec(template(), 1..3), text(), text());
    let loaded = std::cell::Cell::new(0usize);
    let mut runner =
        proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(TEMPLATE_CASES));
    let result = runner.run(&strategy, |(templates, name, site)| {
        let mut t = broad_tenant();
        if let Some(p) = t.permissions.as_mut() {
            p.publish.allow = templates.clone();
            p.subscribe.allow = templates.clone();
        }
        let Ok(policy) = Policy::from_file(file(vec![t])) else {
            return Ok(());
        };
        loaded.set(loaded.get() + 1);
        // Loaded: every template starts with the namespace or `_INBOX`, literally.
        for template in &templates {
            prop_assert!(
                template == "tenant.acme"
                    || template.starts_with("tenant.acme.")
                    || template == "_INBOX"
                    || template.starts_with("_INBOX."),
                "{template} loaded"
            );
        }
        let mut request = Request::new(name, ALICE);
        request.proof_verified = true;
        let tags = ["role:enroller".to_owned(), format!("site:{site}")];
        let decision = evaluate(
            &policy,
            &request,
            &Identity::through_import(ACME, tags),
            NOW,
        );
        if let Some(allow) = decision.allow() {
            let refs: Vec<&str> = templates.iter().map(String::as_str).collect();
            let p = &allow.permissions;
            for subject in p.publish.allow.iter().chain(&p.subscribe.allow) {
                prop_assert!(safe(subject), "{subject} escapes");
                prop_assert!(conforms(subject, &refs), "{subject} does not fit");
                prop_assert!(!policy::subject::is_sys(subject));
            }
        }
        Ok(())
    });
    if let Err(err) = result {
        panic!("{err}");
    }
    assert!(
        loaded.get() >= MIN_LOADED,
        "only {} of {TEMPLATE_CASES} loaded",
        loaded.get()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn tenant_names_are_single_tokens(name in text()) {
        let mut t = broad_tenant();
        t.name = name.clone();
        t.tags.stamp = vec!["tenant:{tenant}".into()];
        if let Some(p) = t.permissions.as_mut() {
            p.publish.allow = vec!["tenant.acme.{tenant}.>".into()];
        }
        let Ok(policy) = Policy::from_file(file(vec![t])) else {
            return Ok(());
        };
        prop_assert!(is_literal_token(&name));
        let mut request = Request::new("alice", ALICE);
        request.tenant = Some(name.clone());
        let decision = evaluate(&policy, &request, &Identity::through_import(ACME, ["role:enroller"]), NOW);
        let allow = decision.allow().unwrap();
        prop_assert_eq!(&allow.permissions.publish.allow, &vec![format!("tenant.acme.{name}.>")]);
    }
}
