//! Building the topology of design §2 as values: the operator with a signing key, SYS,
//! AUTH, SERVICES and one account per tenant, each with its users, every JWT signed as of
//! a given `now` with keys from a given [`KeySource`].
//!
//! Every account is signed by the operator signing key (so the operator could turn on
//! `strict_signing_key_usage`); every user here by its account's identity key. Minted
//! users are not made here: the provisioner signs them with the tenant's signing key.

use claims::{AccountClaims, OperatorClaims, UserClaims};
use nkeys::KeyPairType;

use super::claim_parts::{
    minted_user_scope, service_export, shared_import, unlimited_jetstream, user_with,
};
use super::entries::{AccountEntry, Estate, OperatorEntry};
use super::name::{check_name, check_tenant_name};
use super::notices::{notice_export, notice_import};
use super::signing::sign;
use crate::error::EstateError;
use crate::keys::KeySource;
use crate::services::{check_services, ServiceSpec};
use crate::topology::{
    self as t, ADMIN_EXPORT_NAME, ADMIN_SUBJECT, ADMIN_TAG, AUTH_ACCOUNT, BOOTSTRAP_USER,
    PROVISIONER_USER, REQUEST_EXPORT_NAME, REQUEST_SUBJECT, SYS_ACCOUNT, SYS_USER,
};

/// What to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateSpec {
    /// The operator's name.
    pub operator: String,
    /// The tenants, one account each.
    pub tenants: Vec<TenantSpec>,
    /// Give AUTH and SERVICES unlimited JetStream (the provisioner's KV registry).
    pub jetstream: bool,
}

/// One tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSpec {
    /// The tenant's name, also its account's name.
    pub name: String,
    /// Whether its minted-users signing key is scoped (the server applies the template).
    pub scoped: bool,
}

impl Estate {
    /// Builds the whole estate of `spec` as of `now` (unix seconds), with SERVICES in the
    /// generic layout (one `agent` user for every service).
    ///
    /// # Errors
    /// [`EstateError::Name`] for a bad operator or tenant name,
    /// [`EstateError::DuplicateAccount`] for a repeated or reserved tenant name, and key
    /// or signing failures.
    pub fn build(
        spec: &EstateSpec,
        keys: &mut impl KeySource,
        now: i64,
    ) -> Result<Estate, EstateError> {
        Self::build_with_services(spec, &[], keys, now)
    }

    /// [`Estate::build`] with SERVICES in the isolated layout when `services` is not
    /// empty: an agent user per service and site, a service admin per service, and
    /// exports of the services' subjects only (see [`crate::services`]).
    ///
    /// # Errors
    /// As [`Estate::build`], and [`EstateError::Name`] or [`EstateError::Options`] for a
    /// bad service list ([`crate::services::check_services`]).
    pub fn build_with_services(
        spec: &EstateSpec,
        services: &[ServiceSpec],
        keys: &mut impl KeySource,
        now: i64,
    ) -> Result<Estate, EstateError> {
        check_name("operator", &spec.operator)?;
        check_services(services)?;
        for tenant in &spec.tenants {
            check_tenant_name(&tenant.name)?;
        }
        let operator_key = keys.generate(KeyPairType::Operator)?;
        let operator_sk = keys.generate(KeyPairType::Operator)?;
        let sys_key = keys.generate(KeyPairType::Account)?;

        let mut claims = OperatorClaims::with_body(operator_key.public_key(), Default::default());
        claims.name = spec.operator.clone();
        claims.nats.signing_keys = vec![operator_sk.public_key()];
        claims.nats.system_account = sys_key.public_key();
        let jwt = sign(&mut claims, &operator_key, now, "operator")?;
        let mut estate = Estate {
            operator: OperatorEntry {
                name: spec.operator.clone(),
                claims,
                jwt,
                key: Some(operator_key),
                signing_keys: vec![operator_sk],
            },
            accounts: Vec::new(),
        };

        let sys = AccountClaims::new_account(sys_key.public_key());
        estate.push_account(SYS_ACCOUNT, sys, sys_key, Vec::new(), now)?;
        let sys_user = UserClaims::new_user(String::new());
        estate.push_user(SYS_ACCOUNT, SYS_USER, sys_user, keys, now)?;

        let auth_key = keys.generate(KeyPairType::Account)?;
        let mut auth = AccountClaims::new_account(auth_key.public_key());
        auth.nats.exports = vec![
            service_export(REQUEST_SUBJECT, REQUEST_EXPORT_NAME),
            service_export(ADMIN_SUBJECT, ADMIN_EXPORT_NAME),
            notice_export(),
        ];
        if spec.jetstream {
            auth.nats.limits.jetstream = unlimited_jetstream();
        }
        estate.push_account(AUTH_ACCOUNT, auth, auth_key, Vec::new(), now)?;
        let provisioner = user_with(&t::PROVISIONER_PUB, &t::PROVISIONER_SUB, true);
        estate.push_user(AUTH_ACCOUNT, PROVISIONER_USER, provisioner, keys, now)?;

        estate.push_services_account(services, spec.jetstream, keys, now)?;

        for tenant in &spec.tenants {
            estate.add_tenant(tenant, keys, now)?;
        }
        Ok(estate)
    }

    /// Adds a tenant account (imports, signing key, `bootstrap` and `admin` users) to an
    /// estate that has AUTH and SERVICES, signed with the operator's account signer. It
    /// imports every service export of SERVICES, in whichever layout SERVICES is.
    ///
    /// # Errors
    /// [`EstateError::Name`], [`EstateError::DuplicateAccount`],
    /// [`EstateError::NoAccount`] when AUTH or SERVICES is missing,
    /// [`EstateError::MissingSeed`] when the operator signing key is not held, and key or
    /// signing failures.
    pub fn add_tenant(
        &mut self,
        tenant: &TenantSpec,
        keys: &mut impl KeySource,
        now: i64,
    ) -> Result<&AccountEntry, EstateError> {
        let name = tenant.name.as_str();
        check_tenant_name(name)?;
        if self.account(name).is_some() {
            return Err(EstateError::DuplicateAccount {
                name: name.to_owned(),
            });
        }
        let exporter = |account: &str| {
            self.account(account)
                .map(|a| a.public_key().to_owned())
                .ok_or_else(|| EstateError::NoAccount {
                    name: account.to_owned(),
                })
        };
        let auth = exporter(AUTH_ACCOUNT)?;
        // The account key first: the queued requests' import names it.
        let key = keys.generate(KeyPairType::Account)?;
        let services = self.services_imports(&key.public_key())?;
        let signing_key = keys.generate(KeyPairType::Account)?;
        let mut claims = AccountClaims::new_account(key.public_key());
        claims.nats.tags = vec![t::tenant_tag(name)];
        claims.nats.imports = vec![
            shared_import(REQUEST_SUBJECT, REQUEST_EXPORT_NAME, &auth),
            shared_import(ADMIN_SUBJECT, ADMIN_EXPORT_NAME, &auth),
            notice_import(&auth, &key.public_key()),
        ];
        claims.nats.imports.extend(services);
        if tenant.scoped {
            claims
                .nats
                .signing_keys
                .add_scoped(minted_user_scope(name, &signing_key.public_key()));
        } else {
            claims.nats.signing_keys.add(signing_key.public_key());
        }
        self.push_account(name, claims, key, vec![signing_key], now)?;

        let bootstrap = user_with(&t::BOOTSTRAP_PUB, &t::BOOTSTRAP_SUB, false);
        self.push_user(name, BOOTSTRAP_USER, bootstrap, keys, now)?;
        let mut admin = user_with(&t::ADMIN_PUB, &t::ADMIN_SUB, false);
        admin.nats.tags = vec![ADMIN_TAG.to_owned()];
        self.push_user(name, t::ADMIN_USER, admin, keys, now)?;
        self.account(name).ok_or_else(|| EstateError::NoAccount {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use claims::SignerAuthority;

    use super::*;
    use crate::keys::SequentialKeys;

    const NOW: i64 = 1_800_000_000;

    fn spec(scoped: bool) -> EstateSpec {
        EstateSpec {
            operator: "OP".into(),
            tenants: ["acme", "globex"]
                .map(|name| TenantSpec {
                    name: name.into(),
                    scoped,
                })
                .to_vec(),
            jetstream: true,
        }
    }

    #[test]
    fn builds_the_design_topology() {
        let estate = Estate::build(&spec(false), &mut SequentialKeys::new(1), NOW).unwrap();
        let names: Vec<&str> = estate.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["SYS", "AUTH", "SERVICES", "acme", "globex"]);
        assert_eq!(estate.system_account().unwrap().name, "SYS");
        let op_sk = estate.operator.claims.nats.signing_keys[0].clone();
        for account in &estate.accounts {
            assert_eq!(
                account.claims.iss, op_sk,
                "{} signed by the operator sk",
                account.name
            );
            assert_eq!(account.claims.iat, NOW);
            for user in &account.users {
                assert_eq!(user.claims.iss, account.public_key());
                assert!(user.claims.nats.issuer_account.is_empty());
            }
        }
        let auth = estate.account("AUTH").unwrap();
        assert_eq!(auth.users.len(), 1);
        assert!(auth.claims.nats.limits.is_jetstream_enabled());
        let acme = estate.account("acme").unwrap();
        assert_eq!(acme.tenant(), Some("acme"));
        let services = acme.claims.nats.imports.iter();
        let mut services = services.filter(|i| i.import_type == Some(claims::ExportType::Service));
        assert!(services.all(|i| i.share));
        let request = &acme
            .claims
            .nats
            .imports
            .iter()
            .find(|i| i.subject == REQUEST_SUBJECT);
        assert_eq!(request.unwrap().account, auth.public_key());
        let sk = acme.minted_user_key().unwrap().public_key();
        assert_eq!(
            acme.claims.signer_authority(&sk),
            Some(SignerAuthority::Plain)
        );
        assert_eq!(acme.user("admin").unwrap().claims.nats.tags, ["role:admin"]);
        let bootstrap = &acme.user("bootstrap").unwrap().claims.nats.permissions;
        assert_eq!(bootstrap.publish.allow, ["creds.request"]);
        assert_eq!(bootstrap.subscribe.allow, ["_INBOX.bootstrap.>"]);
        let admin = &acme.user("admin").unwrap().claims.nats.permissions;
        assert_eq!(admin.subscribe.allow, ["_INBOX.admin.>"]);
        assert!(!estate
            .account("acme")
            .unwrap()
            .claims
            .nats
            .limits
            .is_jetstream_enabled());
    }

    #[test]
    fn every_generated_jwt_passes_go_validation() {
        for scoped in [false, true] {
            let estate = Estate::build(&spec(scoped), &mut SequentialKeys::new(2), NOW).unwrap();
            super::super::entries::assert_every_jwt_valid(&estate, NOW);
        }
    }

    #[test]
    fn scoped_tenants_get_the_user_template() {
        let estate = Estate::build(&spec(true), &mut SequentialKeys::new(3), NOW).unwrap();
        let acme = estate.account("acme").unwrap();
        let sk = acme.minted_user_key().unwrap().public_key();
        assert!(acme.is_scoped(&sk));
        let Some(SignerAuthority::Scoped(scope)) = acme.claims.signer_authority(&sk) else {
            panic!("not scoped");
        };
        assert_eq!(scope.role, "user");
        assert_eq!(
            scope.template.publish.allow,
            ["tenant.acme.{{name()}}.>", "svc.>", "svcq.>"]
        );
        assert_eq!(
            scope.template.subscribe.allow,
            ["tenant.acme.{{name()}}.>", "_INBOX.{{name()}}.>"]
        );
        assert!(scope.template.resp.is_none());
    }

    #[test]
    fn refuses_duplicate_reserved_and_bad_tenants() {
        let mut estate = Estate::build(&spec(false), &mut SequentialKeys::new(4), NOW).unwrap();
        let mut keys = SequentialKeys::new(5);
        for (name, dup) in [
            ("acme", true),
            ("auth", true),
            ("SYS", true),
            ("a.b", false),
        ] {
            let err = estate
                .add_tenant(
                    &TenantSpec {
                        name: name.into(),
                        scoped: false,
                    },
                    &mut keys,
                    NOW,
                )
                .unwrap_err();
            if dup {
                assert!(
                    matches!(err, EstateError::DuplicateAccount { .. }),
                    "{name}"
                );
            } else {
                assert!(matches!(err, EstateError::Name { .. }), "{name}");
            }
        }
        let added = estate
            .add_tenant(
                &TenantSpec {
                    name: "initech".into(),
                    scoped: true,
                },
                &mut keys,
                NOW,
            )
            .unwrap();
        assert_eq!(added.users.len(), 2);
    }

    #[test]
    fn adding_a_tenant_needs_the_operator_signing_key() {
        let mut estate = Estate::build(&spec(false), &mut SequentialKeys::new(6), NOW).unwrap();
        estate.operator.signing_keys.clear();
        estate.operator.key = None;
        let err = estate
            .add_tenant(
                &TenantSpec {
                    name: "x".into(),
                    scoped: false,
                },
                &mut SequentialKeys::new(7),
                NOW,
            )
            .unwrap_err();
        assert!(matches!(err, EstateError::MissingSeed { .. }));
    }

    #[test]
    fn revoking_resigns_with_a_later_issue_time() {
        let mut estate = Estate::build(&spec(false), &mut SequentialKeys::new(8), NOW).unwrap();
        let user = estate
            .account("acme")
            .unwrap()
            .user("bootstrap")
            .unwrap()
            .clone();
        let before = estate.account("acme").unwrap().claims.jti.clone();
        let account = estate
            .revoke_user("acme", user.public_key(), NOW, NOW)
            .unwrap();
        assert_eq!(account.claims.iat, NOW + 1);
        assert_ne!(account.claims.jti, before);
        assert!(account
            .claims
            .is_user_revoked(user.public_key(), user.claims.iat));
        let decoded = AccountClaims::decode(&account.jwt).unwrap();
        assert_eq!(decoded, account.claims);
        assert!(matches!(
            estate.revoke_user("nope", "U", NOW, NOW),
            Err(EstateError::NoAccount { .. })
        ));
    }
}
