//! `policy.toml`: one `[[tenants]]` entry per tenant account, in the policy crate's schema,
//! checked with [`policy::Policy::from_toml_str`] before it is written.
//!
//! Each tenant: its account and minted-users signing key (by public key, so the
//! provisioner finds the seed in `NKEYS_PATH`), namespace `tenant.<name>` plus the `svc`
//! and `svcq` prefixes (live and queued provisioning requests), requests identified
//! through the tenant's import with a v2 proof of key possession (v1 proofs, which leave the token, TTL and tags open to change in flight,
//! refused), unique names ignoring case (never `admin` or `bootstrap`, whose private
//! inboxes a namesake would read, nor `_INBOX*`, `$*`, the operator side's user names or
//! the operator's and accounts' names), TTL 1 h (at most 1 day), and (for a plain key) the
//! per-user permissions a scoped
//! key's template would give, replies through the user's private inboxes only
//! (`_INBOX.<name>.>`).

use std::fmt::Write as _;

use crate::error::StoreError;
use crate::estate::{AccountEntry, Estate};
use crate::portal::PortalSettings;
use crate::toml_text::toml_string;
use crate::topology::{
    self as t, POLICY_USER_INBOX, QUEUED_LOCAL_SUBJECT, QUEUED_PREFIX, RESERVED_USER_NAMES,
    SERVICES_PREFIX, SERVICES_SUBJECT,
};

/// Default credential lifetime.
pub const TTL_DEFAULT_SECS: u64 = 60 * 60;
/// Longest credential lifetime.
pub const TTL_MAX_SECS: u64 = 24 * 60 * 60;

/// The file's opening lines.
pub fn header() -> String {
    String::from(
        "# The provisioner's account policy, written by nsc-setup (one [[tenants]] per tenant\n\
         # account; `nsc-setup tenant add` appends). Schema: policy/src/schema.rs.\n\
         version = 1\n",
    )
}

/// The names every tenant of `estate` reserves: [`RESERVED_USER_NAMES`], the operator's
/// name and every account's name (tenants included), each once ignoring case.
pub fn reserved_names(estate: &Estate) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let estate_names = std::iter::once(estate.operator.name.as_str())
        .chain(estate.accounts.iter().map(|a| a.name.as_str()));
    for name in RESERVED_USER_NAMES.into_iter().chain(estate_names) {
        let folded = policy::names::fold_case(name);
        if !out.iter().any(|n| policy::names::fold_case(n) == folded) {
            out.push(name.to_owned());
        }
    }
    out
}

/// One tenant's `[[tenants]]` block, reserving `reserved` ([`reserved_names`]), or
/// `None` when the account is not a tenant or holds no minted-users signing key. With
/// `portal` its minted users may also reach the credential service through the imports
/// ([`crate::portal`]).
pub fn tenant_block(account: &AccountEntry, reserved: &[String], portal: bool) -> Option<String> {
    let tenant = account.tenant()?;
    let key = account.minted_user_key()?.public_key();
    let scoped = account.is_scoped(&key);
    let mut out = String::new();
    out.push_str("\n[[tenants]]\n");
    let _ = writeln!(out, "name = {}", toml_string(tenant));
    let _ = writeln!(out, "account = {}", toml_string(account.public_key()));
    let _ = writeln!(
        out,
        "namespace = {}",
        toml_string(&t::tenant_namespace(tenant))
    );
    let mut prefixes = vec![toml_string(SERVICES_PREFIX), toml_string(QUEUED_PREFIX)];
    let mut publish = vec![
        toml_string(SERVICES_SUBJECT),
        toml_string(QUEUED_LOCAL_SUBJECT),
    ];
    if portal {
        prefixes.push(toml_string(crate::portal::CREDS_PREFIX));
        publish.extend(crate::portal::CALLER_PUB.map(toml_string));
    }
    let _ = writeln!(out, "extra_prefixes = [{}]", prefixes.join(", "));
    let _ = writeln!(
        out,
        "signing_key = {{ public_key = {}, scoped = {scoped} }}",
        toml_string(&key)
    );
    out.push_str("identity.import.enabled = true\n");
    out.push_str("identity.proof.required = true\n");
    out.push_str("identity.proof.accept_v1 = false\n");
    out.push_str("names.unique = true\n");
    out.push_str("names.case_sensitive = false\n");
    let reserved: Vec<String> = reserved.iter().map(|n| toml_string(n)).collect();
    let _ = writeln!(out, "names.reserved = [{}]", reserved.join(", "));
    if !scoped {
        let user = toml_string(&t::policy_user_subject(tenant));
        let _ = writeln!(
            out,
            "permissions.pub.allow = [{user}, {}]",
            publish.join(", ")
        );
        let _ = writeln!(
            out,
            "permissions.sub.allow = [{user}, {}]",
            toml_string(POLICY_USER_INBOX)
        );
    }
    let _ = writeln!(
        out,
        "ttl = {{ default_secs = {TTL_DEFAULT_SECS}, max_secs = {TTL_MAX_SECS} }}"
    );
    Some(out)
}

/// The whole file for the estate's accounts (non-tenants are skipped), checked; with
/// `callout` every tenant also accepts connections through the auth callout
/// ([`crate::callout::policy_line`]), with `portal` the portal's callers
/// ([`crate::portal`]).
///
/// # Errors
/// [`StoreError::Policy`] when the policy crate refuses the text.
pub fn render(
    estate: &Estate,
    callout: bool,
    portal: Option<&PortalSettings>,
) -> Result<String, StoreError> {
    let mut text = header();
    let reserved = reserved_names(estate);
    for account in &estate.accounts {
        if let Some(block) = tenant_block(account, &reserved, portal.is_some()) {
            text.push_str(&block);
        }
        if let (true, Some(tenant)) = (callout, account.tenant()) {
            text.push_str(&crate::callout::policy_line(tenant));
        }
        if let (Some(portal), Some(_)) = (portal, account.tenant()) {
            text.push_str(&crate::portal::oidc_line(portal.oidc.as_ref()));
        }
    }
    check(&text)?;
    Ok(text)
}

/// Checks policy text with the policy crate.
///
/// # Errors
/// [`StoreError::Policy`] listing the problems.
pub fn check(text: &str) -> Result<(), StoreError> {
    policy::Policy::from_toml_str(text)
        .map(|_| ())
        .map_err(|errors| StoreError::Policy {
            reason: errors.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{Estate, EstateSpec, TenantSpec};
    use crate::keys::SequentialKeys;

    fn estate() -> Estate {
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![
                TenantSpec {
                    name: "acme".into(),
                    scoped: false,
                },
                TenantSpec {
                    name: "globex".into(),
                    scoped: true,
                },
            ],
            jetstream: false,
        };
        Estate::build(&spec, &mut SequentialKeys::new(11), 1_800_000_000).unwrap()
    }

    #[test]
    fn the_policy_loads_and_matches_the_estate() {
        let estate = estate();
        let text = render(&estate, false, None).unwrap();
        let policy = policy::Policy::from_toml_str(&text).unwrap();
        let names: Vec<&str> = policy.tenants().iter().map(|t| t.name()).collect();
        assert_eq!(names, ["acme", "globex"]);
        let acme = policy.tenant("acme").unwrap();
        assert_eq!(acme.account(), estate.account("acme").unwrap().public_key());
        assert_eq!(acme.namespace(), "tenant.acme");
        assert!(!acme.is_scoped());
        assert!(policy.tenant("globex").unwrap().is_scoped());
        assert!(text.contains(
            "permissions.pub.allow = [\"tenant.acme.{name}.>\", \"svc.>\", \"svcq.>\"]\n"
        ));
        assert_eq!(
            text.matches("extra_prefixes = [\"svc\", \"svcq\"]\n")
                .count(),
            2
        );
        assert!(text
            .contains("permissions.sub.allow = [\"tenant.acme.{name}.>\", \"_INBOX.{name}.>\"]\n"));
        let reserved =
            "names.reserved = [\"admin\", \"bootstrap\", \"_INBOX*\", \"$*\", \"root\", \
                        \"operator\", \"system\", \"sys\", \"provisioner\", \"agent\", \"OP\", \
                        \"AUTH\", \"SERVICES\", \"acme\", \"globex\"]\n";
        assert_eq!(text.matches(reserved).count(), 2, "both tenants: {text}");
        assert_eq!(
            text.matches("identity.proof.accept_v1 = false\n").count(),
            2
        );
        for name in [
            "_INBOX_x", "_inbox", "Root", "OPERATOR", "Sys", "op", "Acme", "GLOBEX",
        ] {
            let mut request = policy::Request::new(
                name,
                "UCV7CR7AQFTIDLTGDYEZPGP66OGVFAWZLRIRZGDNDTTD4UG5MPVTALTI",
            );
            request.proof_verified = true;
            let identity = policy::Identity::through_import(acme.account(), Vec::<String>::new());
            let decision = policy::evaluate(&policy, &request, &identity, 1_800_000_000);
            assert_eq!(
                decision.deny_code(),
                Some(policy::DenyCode::NameReserved),
                "{name}: {decision}"
            );
        }
        assert_eq!(
            text.matches("permissions.").count(),
            2,
            "only the plain tenant"
        );
    }

    #[test]
    fn broken_policy_text_is_refused() {
        let err = check("version = 2\n").unwrap_err();
        assert!(matches!(err, StoreError::Policy { .. }));
    }
}
