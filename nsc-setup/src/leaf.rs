//! The leaf nodes' credentials (`init --leaf edge:acme`): a user `leaf-<name>` in the
//! tenant's account, which joins the leaf node's local account to the tenant's account in
//! the supercluster, and one in SYS, which carries the account JWT updates (pushes,
//! revocations) to the leaf node's resolver. Both may connect only as leaf nodes
//! (`allowed_connection_types: ["LEAFNODE"]`), so their creds open no client session.
//!
//! The tenant's leaf user has no permission limits: everything the leaf node's clients
//! publish or subscribe to happens in that tenant's account, as it would for the same
//! clients connected to a region. The SYS leaf user may only exchange the resolver's
//! account-claim subjects.

use claims::{KeyPair, UserClaims};
use nkeys::KeyPairType;

use crate::error::EstateError;
use crate::estate::{Estate, UserEntry};
use crate::keys::KeySource;
use crate::regions::{Leaf, Regions};
use crate::topology::SYS_ACCOUNT;

/// The only connection type the leaf users may use.
pub const LEAFNODE_CONNECTION: &str = "LEAFNODE";
/// What the SYS leaf user may exchange: account JWT updates and lookups, and their replies.
/// `$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE` and `$SYS.REQ.CLAIMS.UPDATE` are the pushes,
/// `$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP` the resolver's fetches, `$SYS.ACCOUNT.*.CONNECT` and
/// `…DISCONNECT` the connection events a full resolver watches.
pub const SYS_LEAF_SUBJECTS: [&str; 6] = [
    "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE",
    "$SYS.REQ.CLAIMS.UPDATE",
    "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP",
    "$SYS.REQ.CLAIMS.LOOKUP",
    "$SYS.ACCOUNT.>",
    "_INBOX.>",
];

/// Adds the leaf users of every leaf node of `regions` to `estate`.
///
/// # Errors
/// [`EstateError::NoAccount`] for an unknown tenant, [`EstateError::MissingSeed`] without
/// the account's identity key, and key or signing failures.
pub fn add_leaf_users(
    estate: &mut Estate,
    regions: &Regions,
    keys: &mut impl KeySource,
    now: i64,
) -> Result<(), EstateError> {
    for leaf in &regions.leaves {
        let tenant = leaf_user_claims(&[]);
        push_user(estate, &leaf.tenant, &leaf.server_name(), tenant, keys, now)?;
        let sys = leaf_user_claims(&SYS_LEAF_SUBJECTS);
        push_user(estate, SYS_ACCOUNT, &leaf.server_name(), sys, keys, now)?;
    }
    Ok(())
}

/// The creds path of a leaf node's user in `account`, relative to the estate.
pub fn creds_path(operator: &str, account: &str, leaf: &Leaf) -> std::path::PathBuf {
    crate::layout::Layout::new("")
        .key_store()
        .creds_path(operator, account, &leaf.server_name())
}

/// A user allowed only leaf node connections; with `subjects`, limited to them both ways.
fn leaf_user_claims(subjects: &[&str]) -> UserClaims {
    let mut claims = UserClaims::new_user(String::new());
    let permissions = &mut claims.nats.permissions;
    permissions.allowed_connection_types = vec![LEAFNODE_CONNECTION.to_owned()];
    let allow: Vec<String> = subjects.iter().map(|s| (*s).to_owned()).collect();
    permissions.publish.allow = allow.clone();
    permissions.subscribe.allow = allow;
    claims
}

/// Signs `claims` as user `name` of `account` with the account's identity key.
fn push_user(
    estate: &mut Estate,
    account: &str,
    name: &str,
    mut claims: UserClaims,
    keys: &mut impl KeySource,
    now: i64,
) -> Result<(), EstateError> {
    let key: KeyPair = keys.generate(KeyPairType::User)?;
    let entry = estate.account_mut(account)?;
    if entry.user(name).is_some() {
        return Err(EstateError::Options {
            reason: format!("account {account} already has a user `{name}`"),
        });
    }
    let signer = entry.key.clone().ok_or_else(|| EstateError::MissingSeed {
        what: "account identity key",
        key: entry.public_key().to_owned(),
    })?;
    claims.sub = key.public_key();
    claims.name = name.to_owned();
    let jwt = claims
        .encode(&signer, now)
        .map_err(|source| EstateError::Sign {
            what: format!("user {account}/{name}"),
            source,
        })?;
    entry.users.push(UserEntry {
        name: name.to_owned(),
        claims,
        jwt,
        key: Some(key),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{EstateSpec, TenantSpec};
    use crate::keys::SequentialKeys;
    use crate::regions::RegionsSpec;

    #[test]
    fn leaf_users_may_connect_only_as_leaf_nodes() {
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![TenantSpec {
                name: "acme".into(),
                scoped: false,
            }],
            jetstream: true,
        };
        let mut keys = SequentialKeys::new(30);
        let mut estate = Estate::build(&spec, &mut keys, 1_800_000_000).unwrap();
        let regions = RegionsSpec {
            regions: vec!["us:1".into()],
            leaves: vec!["edge:acme".into()],
            ..Default::default()
        }
        .resolve("127.0.0.1", 4222, &["acme".into()])
        .unwrap();
        add_leaf_users(&mut estate, &regions, &mut keys, 1_800_000_000).unwrap();
        let acme = estate.account("acme").unwrap();
        let user = acme.user("leaf-edge").unwrap();
        let decoded = UserClaims::decode(&user.jwt).unwrap();
        let limits = &decoded.nats.permissions;
        assert_eq!(limits.allowed_connection_types, ["LEAFNODE"]);
        assert!(limits.publish.allow.is_empty() && limits.subscribe.allow.is_empty());
        assert_eq!(decoded.iss, acme.public_key());
        assert!(user.creds().is_some());
        let sys = estate
            .account(SYS_ACCOUNT)
            .unwrap()
            .user("leaf-edge")
            .unwrap();
        assert_eq!(sys.claims.nats.permissions.subscribe.allow.len(), 6);
        use claims::Validate as _;
        assert!(decoded.validate(1_800_000_000).errors.is_empty());
        assert!(add_leaf_users(&mut estate, &regions, &mut keys, 1_800_000_000).is_err());
    }
}
