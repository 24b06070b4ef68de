//! Who is calling: a [`Caller`] the service may trust, or why there is none.
//!
//! # When a caller is trusted
//!
//! The agent runs in its own account (SERVICES), which exports `svc.>`; tenants import it
//! with `share=true`. A request yields a [`Caller`] only when all of these hold:
//!
//! 1. it carries `Nats-Request-Info` and the header parses ([`RequestInfo::parse`]);
//! 2. the header's `acc` is **not** the agent's own account;
//! 3. the reply subject starts with `_R_.` ([`IMPORT_REPLY_PREFIX`]), the prefix the
//!    server gives the response mapping it creates when a request crosses a service
//!    import;
//! 4. `acc` is a configured tenant account ([`TenantMap`]); otherwise the answer is
//!    `unknown_tenant`.
//!
//! # Why a client cannot forge it
//!
//! - A tenant's client reaches SERVICES only through its import. On the first import hop
//!   the server writes `Nats-Request-Info` itself and *replaces* any header of that name
//!   the client sent, so `acc` is the account the client authenticated into. The server
//!   also replaces the client's reply subject with a fresh `_R_.…` one.
//! - A request published inside SERVICES crosses no import: any `Nats-Request-Info` on it
//!   is the publisher's own words. Rule 2 refuses those that name SERVICES; rule 3 refuses
//!   the rest unless the publisher also chose an `_R_.` reply. Both can be faked by a
//!   SERVICES user that may publish to `svc.>`, so the estate must give no SERVICES user
//!   that permission (the `agent` user of `nsc-setup` may publish only `$SRV.>`,
//!   `_INBOX.>`, JetStream API subjects and one reply per request it receives).
//! - With `share=true` the whole header, `user`, `name_tag`, `tags` and `issuer_key`
//!   included, is the server's, so they are trusted as well; without it only `acc` is
//!   present and the others are `None`.
//!
//! Pure: no IO.

use thiserror::Error;

use crate::request_info::{RequestInfo, RequestInfoError};
use crate::tenants::TenantMap;

/// The prefix of reply subjects the server makes for responses through a service import.
pub const IMPORT_REPLY_PREFIX: &str = "_R_.";

/// A caller the service may trust: its tenant and account, and (with `share=true`) its
/// user's public key, name, tags and issuer key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The tenant, from the account.
    pub tenant: String,
    /// The caller's account public key.
    pub account: String,
    /// The caller's user public key.
    pub user: Option<String>,
    /// The caller's user JWT name.
    pub name: Option<String>,
    /// The caller's user JWT tags.
    pub tags: Vec<String>,
    /// The key that signed the caller's user JWT.
    pub issuer_key: Option<String>,
}

/// Why a request has no trusted caller.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CallerError {
    /// No `Nats-Request-Info`: the request crossed no import.
    #[error("the request did not come through a tenant's import")]
    NoRequestInfo,
    /// The header does not parse.
    #[error("the request's caller information is not valid: {0}")]
    Invalid(#[from] RequestInfoError),
    /// The header names the service's own account: it crossed no import, and the header
    /// is the publisher's own.
    #[error("the request did not come through a tenant's import")]
    OwnAccount,
    /// The reply subject is not one the server made for an import's response.
    #[error("the request did not come through a tenant's import")]
    NotImportReply,
    /// The calling account is not a configured tenant.
    #[error("account `{account}` is not a tenant of this service")]
    UnknownTenant {
        /// The calling account (a public key).
        account: String,
    },
}

/// The trusted caller of a request with `Nats-Request-Info` value `header` and reply
/// subject `reply`, received by a service running in `own_account`.
///
/// # Errors
/// [`CallerError`] naming the first rule (see the module docs) that fails.
///
/// # Examples
/// ```
/// use agent::{trusted_caller, CallerError, TenantMap};
/// let acme = claims::KeyPair::new_account().public_key();
/// let mut tenants = TenantMap::new();
/// tenants.insert("acme", &acme).unwrap();
/// let header = format!(r#"{{"acc":"{acme}","name_tag":"alice"}}"#);
/// let caller = trusted_caller(Some(&header), Some("_R_.x.y"), "ASERVICES", &tenants).unwrap();
/// assert_eq!(caller.tenant, "acme");
/// // The same header on a reply subject the client chose is not believed.
/// assert_eq!(
///     trusted_caller(Some(&header), Some("_INBOX.x"), "ASERVICES", &tenants),
///     Err(CallerError::NotImportReply)
/// );
/// ```
pub fn trusted_caller(
    header: Option<&str>,
    reply: Option<&str>,
    own_account: &str,
    tenants: &TenantMap,
) -> Result<Caller, CallerError> {
    let header = header.ok_or(CallerError::NoRequestInfo)?;
    let info = RequestInfo::parse(header)?;
    if info.account == own_account {
        // INVARIANT: no import was crossed, so the header is the publisher's own words.
        return Err(CallerError::OwnAccount);
    }
    if !reply.is_some_and(|r| r.starts_with(IMPORT_REPLY_PREFIX)) {
        return Err(CallerError::NotImportReply);
    }
    let tenant = tenants
        .tenant_of(&info.account)
        .ok_or_else(|| CallerError::UnknownTenant {
            account: info.account.clone(),
        })?
        .to_owned();
    Ok(Caller {
        tenant,
        account: info.account,
        user: info.user,
        name: info.name_tag,
        tags: info.tags,
        issuer_key: info.issuer_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::KeyPair;

    const OWN: &str = "ASERVICESOWNACCOUNT";
    const REPLY: Option<&str> = Some("_R_.abc.def");

    fn tenants() -> (TenantMap, String, String) {
        let acme = KeyPair::new_account().public_key();
        let globex = KeyPair::new_account().public_key();
        let mut map = TenantMap::new();
        map.insert("acme", &acme).unwrap();
        map.insert("globex", &globex).unwrap();
        (map, acme, globex)
    }

    fn header(acc: &str) -> String {
        serde_json::json!({
            "acc": acc, "user": "UALICE", "name_tag": "alice", "tags": ["role:dev"],
            "issuer_key": "ASIGNER", "jwt": "eyJ.x.y", "rtt": 5, "kind": "Client"
        })
        .to_string()
    }

    #[test]
    fn a_request_through_a_tenant_import_is_trusted() {
        let (map, acme, _) = tenants();
        let caller = trusted_caller(Some(&header(&acme)), REPLY, OWN, &map).unwrap();
        assert_eq!(
            caller,
            Caller {
                tenant: "acme".into(),
                account: acme,
                user: Some("UALICE".into()),
                name: Some("alice".into()),
                tags: vec!["role:dev".into()],
                issuer_key: Some("ASIGNER".into()),
            }
        );
    }

    #[test]
    fn without_share_only_the_account_is_known() {
        let (map, _, globex) = tenants();
        let h = format!(r#"{{"acc":"{globex}","rtt":1}}"#);
        let caller = trusted_caller(Some(&h), REPLY, OWN, &map).unwrap();
        assert_eq!(caller.tenant, "globex");
        assert_eq!(caller.user, None);
    }

    #[test]
    fn no_header_is_no_caller() {
        let (map, _, _) = tenants();
        assert_eq!(
            trusted_caller(None, REPLY, OWN, &map),
            Err(CallerError::NoRequestInfo)
        );
    }

    #[test]
    fn a_header_naming_the_own_account_is_the_publishers_own() {
        let (map, _, _) = tenants();
        assert_eq!(
            trusted_caller(Some(&header(OWN)), REPLY, OWN, &map),
            Err(CallerError::OwnAccount)
        );
    }

    #[test]
    fn a_forged_tenant_header_without_an_import_reply_is_refused() {
        let (map, acme, _) = tenants();
        for reply in [None, Some("_INBOX.abc"), Some("_R_"), Some("x._R_.a")] {
            assert_eq!(
                trusted_caller(Some(&header(&acme)), reply, OWN, &map),
                Err(CallerError::NotImportReply),
                "{reply:?}"
            );
        }
    }

    #[test]
    fn unknown_accounts_and_bad_headers_are_refused() {
        let (map, _, _) = tenants();
        let stranger = KeyPair::new_account().public_key();
        assert!(matches!(
            trusted_caller(Some(&header(&stranger)), REPLY, OWN, &map),
            Err(CallerError::UnknownTenant { .. })
        ));
        assert!(matches!(
            trusted_caller(Some(r#"{"acc":"A","tags":"x"}"#), REPLY, OWN, &map),
            Err(CallerError::Invalid(RequestInfoError::Invalid { .. }))
        ));
    }

    #[test]
    fn display() {
        assert_eq!(
            CallerError::NotImportReply.to_string(),
            "the request did not come through a tenant's import"
        );
        assert_eq!(
            CallerError::UnknownTenant {
                account: "AX".into()
            }
            .to_string(),
            "account `AX` is not a tenant of this service"
        );
    }
}
