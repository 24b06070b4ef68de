//! Whether a credential the edge verified vouches for a request: a user or token from the
//! tenant's callout credentials (`identity.callout`), or an ID token (`identity.oidc`).
//!
//! The edge checked the secret (password hash, token, ID token signature, issuer,
//! audience, expiry) and says which tenant and name the credential stands for; this
//! module only decides whether the tenant accepts that kind of credential and whether it
//! covers the request. It never sees the secret.

use super::echo::quote;
use super::rule;
use super::trail::{Refusal, Trail};
use crate::decision::{DenyCode, IdentitySource};
use crate::policy::Tenant;
use crate::request::{CredentialKind, Request};

/// The source a verified credential vouches as, `Ok(None)` when the request carries
/// none, or the refusal when it carries one the tenant does not accept.
pub(super) fn judge(
    tenant: &Tenant,
    request: &Request,
    trail: &mut Trail,
) -> Result<Option<IdentitySource>, Refusal> {
    let Some(credential) = &request.credential else {
        trail.skip(rule::IDENTITY_CREDENTIAL, "no verified credential");
        return Ok(None);
    };
    let cfg = &tenant.config.identity;
    let at = format!("{}.identity", tenant.place());
    let id = rule::IDENTITY_CREDENTIAL;
    let refuse = |trail: &mut Trail, note: String, reason: &str| {
        Err(trail.fail(id, note, DenyCode::CredentialMismatch, reason.to_owned()))
    };
    if credential.tenant != tenant.name() {
        let note = format!("credential of tenant {}", quote(&credential.tenant));
        return refuse(trail, note, "the credential belongs to another tenant");
    }
    if credential.via_callout && !cfg.callout.enabled {
        let note = format!("{at}.callout.enabled = false");
        return refuse(
            trail,
            note,
            "this tenant does not accept connections through auth callout",
        );
    }
    let source = match credential.kind {
        CredentialKind::IdToken if cfg.oidc.is_none() => {
            let note = format!("{at}.oidc not set");
            return refuse(trail, note, "this tenant does not accept ID tokens");
        }
        CredentialKind::IdToken => IdentitySource::Oidc,
        CredentialKind::Password | CredentialKind::Token if !credential.via_callout => {
            let note = String::from("a callout credential outside the callout");
            return refuse(trail, note, "this credential is accepted only at connect");
        }
        CredentialKind::Password | CredentialKind::Token => IdentitySource::Callout,
    };
    let device_names = credential.kind == CredentialKind::IdToken
        && cfg.oidc.as_ref().is_some_and(|o| o.device_names);
    if !covers(&credential.name, &request.name, device_names) {
        let reason = format!(
            "the credential does not cover name {}",
            quote(&request.name)
        );
        let note = format!("credential name {}", quote(&credential.name));
        return Err(trail.fail(id, note, DenyCode::CredentialMismatch, reason));
    }
    let note = match source {
        IdentitySource::Oidc => format!("ID token for the name ({at}.oidc)"),
        _ => format!("callout credential for the name ({at}.callout.enabled)"),
    };
    trail.pass(id, note);
    Ok(Some(source))
}

/// Whether a credential for `holder` covers `asked`: the name itself, and with
/// `device_names` also `holder-<suffix>` for a non-empty suffix.
fn covers(holder: &str, asked: &str, device_names: bool) -> bool {
    asked == holder
        || (device_names
            && asked
                .strip_prefix(holder)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|suffix| !suffix.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::evaluate;
    use crate::request::{Identity, VerifiedCredential};
    use crate::{DenyCode, Policy};

    const ACCOUNT: &str = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y";
    const USER: &str = "UCV7CR7AQFTIDLTGDYEZPGP66OGVFAWZLRIRZGDNDTTD4UG5MPVTALTI";
    const NOW: i64 = 1_700_000_000;

    fn policy(identity: &str) -> Policy {
        Policy::from_toml_str(&format!(
            r#"
            version = 1
            [[tenants]]
            name = "acme"
            account = "{ACCOUNT}"
            namespace = "tenant.acme"
            signing_key.path = "acme.nk"
            {identity}
            permissions.pub.allow = ["tenant.acme.{{name}}.>"]
            permissions.sub.allow = ["tenant.acme.{{name}}.>", "_INBOX.>"]
            "#
        ))
        .unwrap()
    }

    fn request(kind: CredentialKind, via_callout: bool, not_after: Option<i64>) -> Request {
        let mut request = Request::new("alice", USER);
        request.proof_verified = true;
        request.credential = Some(VerifiedCredential {
            kind,
            via_callout,
            tenant: String::from("acme"),
            name: String::from("alice"),
            tags: vec![String::from("idp:yes")],
            not_after,
        });
        request
    }

    const CALLOUT: &str = "identity.callout.enabled = true";
    const OIDC: &str =
        r#"identity.oidc = { issuer = "https://idp", audience = "nats", jwks_file = "jwks.json" }"#;

    #[test]
    fn a_callout_password_vouches_and_stamps_its_tags() {
        let policy = policy(CALLOUT);
        let r = request(CredentialKind::Password, true, None);
        let decision = evaluate(&policy, &r, &Identity::anonymous(), NOW);
        let allow = decision.allow().unwrap();
        assert_eq!(allow.identity_source, IdentitySource::Callout);
        assert_eq!(allow.tenant, "acme");
        assert!(allow.tags.contains(&String::from("idp:yes")));
    }

    #[test]
    fn credential_tags_must_be_subject_safe_and_never_privileged() {
        let with_tags = |tags: &[&str]| {
            let mut r = request(CredentialKind::IdToken, false, None);
            if let Some(c) = &mut r.credential {
                c.tags = tags.iter().map(|t| t.to_string()).collect();
            }
            r
        };
        let policy = policy(&format!("{OIDC}\nidentity.import.enabled = true\nidentity.import.require_caller_tags = [\"kind:enroller\"]"));
        let code = |tags: &[&str]| {
            evaluate(&policy, &with_tags(tags), &Identity::anonymous(), NOW).deny_code()
        };
        assert_eq!(code(&["grp:dev"]), None);
        assert_eq!(code(&["grp:*"]), Some(DenyCode::SubjectUnsafe));
        assert_eq!(code(&["grp:a.b"]), Some(DenyCode::SubjectUnsafe));
        assert_eq!(code(&["role:admin"]), Some(DenyCode::TagNotAllowed));
        assert_eq!(code(&["Kind:Enroller"]), Some(DenyCode::TagNotAllowed));
        assert_eq!(code(&["a b"]), Some(DenyCode::BadRequest));
    }

    #[test]
    fn an_issuer_trusted_with_the_admin_tag_grants_it_and_nothing_more() {
        let trusted = r#"identity.oidc = { issuer = "https://idp", audience = "nats", jwks_file = "jwks.json", tags_claim = "groups", admin_from_tags_claim = true }
identity.callout.enabled = true
identity.import.enabled = true
identity.import.require_caller_tags = ["kind:enroller"]"#;
        let policy = policy(trusted);
        let with_tags = |kind: CredentialKind, tags: &[&str]| {
            let mut r = request(kind, kind != CredentialKind::IdToken, None);
            if let Some(c) = &mut r.credential {
                c.tags = tags.iter().map(|t| t.to_string()).collect();
            }
            evaluate(&policy, &r, &Identity::anonymous(), NOW)
        };
        let admin = with_tags(CredentialKind::IdToken, &["role:admin"]);
        assert!(admin
            .allow()
            .unwrap()
            .tags
            .contains(&String::from("role:admin")));
        let enroller = with_tags(CredentialKind::IdToken, &["kind:enroller"]);
        assert_eq!(enroller.deny_code(), Some(DenyCode::TagNotAllowed));
        // Only the ID token's issuer is trusted with it, never a callout credentials file.
        let password = with_tags(CredentialKind::Password, &["role:admin"]);
        assert_eq!(password.deny_code(), Some(DenyCode::TagNotAllowed));
        let untrusted = Policy::from_toml_str(&format!(
            "version = 1\n[[tenants]]\nname = \"acme\"\naccount = \"{ACCOUNT}\"\n\
             namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n\
             identity.oidc = {{ issuer = \"https://idp\", audience = \"nats\", \
             jwks_file = \"j\", admin_from_tags_claim = true }}\n\
             permissions.pub.allow = [\"tenant.acme.x\"]\n\
             permissions.sub.allow = [\"tenant.acme.x\"]\n"
        ));
        assert!(untrusted
            .unwrap_err()
            .to_string()
            .contains("admin_from_tags_claim"));
    }

    #[test]
    fn an_id_token_caps_the_lifetime() {
        let both = format!("{CALLOUT}\n{OIDC}");
        let policy = policy(&both);
        let r = request(CredentialKind::IdToken, true, Some(NOW + 120));
        let decision = evaluate(&policy, &r, &Identity::anonymous(), NOW);
        let allow = decision.allow().unwrap();
        assert_eq!(allow.identity_source, IdentitySource::Oidc);
        assert_eq!(allow.expires_at, NOW + 120);
        assert_eq!(allow.ttl_secs, 120);
        let expired = request(CredentialKind::IdToken, true, Some(NOW));
        let decision = evaluate(&policy, &expired, &Identity::anonymous(), NOW);
        assert_eq!(decision.deny_code(), Some(DenyCode::TtlInvalid));
    }

    #[test]
    fn credentials_the_tenant_does_not_accept_are_refused() {
        let oidc_only = policy(OIDC);
        let deny =
            |p: &Policy, r: &Request| evaluate(p, r, &Identity::anonymous(), NOW).deny_code();
        let callout = request(CredentialKind::Password, true, None);
        assert_eq!(
            deny(&oidc_only, &callout),
            Some(DenyCode::CredentialMismatch)
        );
        // An ID token through the callout needs the callout too.
        let via_callout = request(CredentialKind::IdToken, true, None);
        assert_eq!(
            deny(&oidc_only, &via_callout),
            Some(DenyCode::CredentialMismatch)
        );
        let in_request = request(CredentialKind::IdToken, false, None);
        assert_eq!(deny(&oidc_only, &in_request), None);
        let callout_only = policy(CALLOUT);
        assert_eq!(
            deny(&callout_only, &via_callout),
            Some(DenyCode::CredentialMismatch)
        );
        let token_in_request = request(CredentialKind::Token, false, None);
        assert_eq!(
            deny(&callout_only, &token_in_request),
            Some(DenyCode::CredentialMismatch)
        );
    }

    #[test]
    fn bad_callout_and_oidc_tables_are_placed() {
        let text = |identity: &str| {
            format!(
                "version = 1\n[[tenants]]\nname = \"acme\"\naccount = \"{ACCOUNT}\"\n\
                 namespace = \"tenant.acme\"\nsigning_key.path = \"k\"\n{identity}\n\
                 permissions.pub.allow = [\"tenant.acme.x\"]\n\
                 permissions.sub.allow = [\"tenant.acme.x\"]\n"
            )
        };
        let problems = |identity: &str| -> Vec<String> {
            Policy::from_toml_str(&text(identity))
                .unwrap_err()
                .problems()
                .iter()
                .map(|p| p.path.to_string())
                .collect()
        };
        let got = problems(
            "identity.oidc = { issuer = \"\", audience = \"nats\", jwks_file = \"j\", \
             leeway_secs = 9999, tags_claim = \"\" }\nidentity.callout.credentials = \"c\"",
        );
        for want in [
            "tenants[0].identity.oidc.issuer",
            "tenants[0].identity.oidc.leeway_secs",
            "tenants[0].identity.oidc.tags_claim",
            "tenants[0].identity.callout.credentials",
        ] {
            assert!(got.iter().any(|p| p == want), "{want} not in {got:?}");
        }
        assert!(Policy::from_toml_str(&text(CALLOUT)).is_ok());
        assert!(Policy::from_toml_str(&text(OIDC)).is_ok());
    }

    #[test]
    fn device_names_extend_a_token_to_its_holders_devices_only() {
        assert!(covers("dana", "dana", false));
        assert!(!covers("dana", "dana-laptop", false));
        assert!(covers("dana", "dana-laptop", true));
        assert!(!covers("dana", "dana-", true));
        assert!(!covers("dana", "danamallory", true));
        assert!(!covers("dana", "dan", true));
        assert!(!covers("dana-x", "dana", true));
    }

    #[test]
    fn the_credential_must_cover_the_name_and_tenant() {
        let policy = policy(CALLOUT);
        let mut r = request(CredentialKind::Password, true, None);
        r.name = String::from("bob");
        let decision = evaluate(&policy, &r, &Identity::anonymous(), NOW);
        assert_eq!(decision.deny_code(), Some(DenyCode::CredentialMismatch));
        let mut r = request(CredentialKind::Password, true, None);
        r.tenant = Some(String::from("globex"));
        let decision = evaluate(&policy, &r, &Identity::anonymous(), NOW);
        assert_eq!(decision.deny_code(), Some(DenyCode::TenantMismatch));
    }
}
