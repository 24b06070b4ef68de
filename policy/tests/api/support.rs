//! Shared fixtures. The keys are test keys, used nowhere else.

use policy::schema::{PermissionsConfig, PolicyFile, SigningKeyConfig, SubjectRules, TenantConfig};
use policy::{Identity, Policy, Request};

/// Test account key of tenant `acme`.
pub const ACME: &str = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y";
/// Test account key of a second tenant.
pub const OTHER: &str = "AB5GMAMEZW23X44V7KTRVSTS4BXXBCDVRZ6KKGPOM27BU3XTIWQ5HRVK";
/// A test account key no tenant uses.
pub const STRANGER: &str = "ABTX7TQAOND3JJ2SATMXLKSLJUHMQFDR37H7GX7ZDHXMJXWO4WLLQGC4";
/// A test signing key (public).
pub const SIGNING: &str = "ACVYXSFJCVBOWYYCKP7KK7OH3RQMDOA5N25MS52DZHPSXJEHJWHSOTHS";
/// Test user keys.
pub const ALICE: &str = "UCV7CR7AQFTIDLTGDYEZPGP66OGVFAWZLRIRZGDNDTTD4UG5MPVTALTI";
pub const BOB: &str = "UACXVVNQXDAPQQPP2365SDVJWGJSQ2QFPQ5TF5KGANWO3M7PXRRYIX5M";
/// A fixed clock.
pub const NOW: i64 = 1_700_000_000;

/// Tenant `acme`: import with `role:enroller`, invites accepted, proof required,
/// permissions under `tenant.acme`.
pub fn acme() -> TenantConfig {
    let mut t = TenantConfig {
        name: "acme".into(),
        account: ACME.into(),
        namespace: "tenant.acme".into(),
        signing_key: SigningKeyConfig {
            path: Some("/keys/acme.nk".into()),
            ..Default::default()
        },
        permissions: Some(PermissionsConfig {
            publish: SubjectRules {
                allow: vec!["tenant.acme.{name}.>".into(), "tenant.acme.chat.*".into()],
                deny: vec!["tenant.acme.{name}.admin".into()],
            },
            subscribe: SubjectRules {
                allow: vec![
                    "tenant.acme.{name}.>".into(),
                    "tenant.acme.dm.{public_key}".into(),
                    "_INBOX.>".into(),
                ],
                deny: Vec::new(),
            },
            ..Default::default()
        }),
        ..Default::default()
    };
    t.identity.import.enabled = true;
    t.identity.import.require_caller_tags = vec!["role:enroller".into()];
    t.identity.invite.enabled = true;
    t
}

/// A second, legacy-free tenant on another account.
pub fn other() -> TenantConfig {
    let mut t = acme();
    t.name = "other".into();
    t.account = OTHER.into();
    t.namespace = "tenant.other".into();
    let p = t.permissions.as_mut().unwrap();
    p.publish.allow = vec!["tenant.other.{name}".into()];
    p.publish.deny.clear();
    p.subscribe.allow = vec!["tenant.other.{name}".into()];
    t
}

pub fn file(tenants: Vec<TenantConfig>) -> PolicyFile {
    PolicyFile {
        version: 1,
        tenants,
    }
}

/// `acme` and `other`, after `edit` changed `acme`.
pub fn policy_with(edit: impl FnOnce(&mut TenantConfig)) -> Policy {
    let mut t = acme();
    edit(&mut t);
    Policy::from_file(file(vec![t, other()])).unwrap()
}

/// Alice asks with a verified proof.
pub fn request() -> Request {
    let mut r = Request::new("alice", ALICE);
    r.proof_verified = true;
    r
}

/// A caller through acme's import, tagged `role:enroller` and `site:ber`.
pub fn caller() -> Identity {
    Identity::through_import(ACME, ["role:enroller", "site:ber"])
}
