//! `init --callout`: the estate wired for the provisioner's auth callout (nats-server
//! 2.10+, ADR-26), so that clients connect with only a user and password, a token or an
//! ID token and the provisioner decides who they are.
//!
//! On top of the usual estate:
//! - AUTH gets `authorization { auth_users: [provisioner], allowed_accounts: [every
//!   tenant], xkey }`: the provisioner's own user bypasses the callout, and the callout
//!   may place users in the tenant accounts only;
//! - a curve key (xkey) whose seed goes to the key store (`keys/X/<xx>/<key>.nk`): the
//!   server seals requests to it and the provisioner seals its answers;
//! - the provisioner's user may also subscribe to `$SYS.REQ.USER.AUTH`;
//! - a bearer `sentinel` user of AUTH that may neither publish nor subscribe, set as the
//!   server's `default_sentinel`: a client that presents no JWT is taken for it, and its
//!   connection goes through the callout (it also has a creds file for clients that want
//!   to name it);
//! - `provisioner.toml` gets `callout_issuer_key` (AUTH's seed) and `callout_xkey`;
//! - each tenant's policy entry gets `identity.callout` with a credentials file
//!   `callout/<tenant>.toml`, written empty with instructions.
//!
//! `tenant add` on such an estate adds the tenant to AUTH's `allowed_accounts` and writes
//! its credentials file; a running full resolver learns of the new AUTH JWT by
//! `nsc-setup push --account AUTH`.

use claims::{KeyPair, UserClaims};
use nkeys::{KeyPairType, XKey};

use crate::error::EstateError;
use crate::estate::{Estate, UserEntry};
use crate::keys::KeySource;
use crate::layout::Layout;
use crate::toml_text::toml_string;
use crate::topology::{AUTH_ACCOUNT, PROVISIONER_USER};
use crate::write::FileSet;

/// The bearer user of AUTH that clients without a JWT connect as.
pub const SENTINEL_USER: &str = "sentinel";
/// The subject the server sends callout requests to, in AUTH.
pub const CALLOUT_SUBJECT: &str = "$SYS.REQ.USER.AUTH";
/// Where the tenants' callout credentials files live, relative to the estate.
pub const CREDENTIALS_DIR: &str = "callout";

/// Wires `estate` (with AUTH, its provisioner user and its tenants) for the callout as of
/// `now`, and returns the xkey whose seed the provisioner needs.
///
/// # Errors
/// [`EstateError::NoAccount`] without AUTH, [`EstateError::MissingSeed`] without AUTH's
/// identity seed or the operator's signing key, key and signing failures.
pub fn enable(
    estate: &mut Estate,
    keys: &mut impl KeySource,
    now: i64,
) -> Result<XKey, EstateError> {
    let xkey = new_xkey(keys)?;
    let tenants: Vec<String> = estate
        .tenants()
        .map(|t| t.public_key().to_owned())
        .collect();
    let auth = estate.account_mut(AUTH_ACCOUNT)?;
    let signer = auth.key.clone().ok_or_else(|| EstateError::MissingSeed {
        what: "account identity key",
        key: auth.public_key().to_owned(),
    })?;
    let sign = |claims: &mut UserClaims, what: &str| {
        claims
            .encode(&signer, now)
            .map_err(|source| EstateError::Sign {
                what: format!("user {AUTH_ACCOUNT}/{what}"),
                source,
            })
    };
    let mut auth_users = Vec::new();
    if let Some(provisioner) = auth.users.iter_mut().find(|u| u.name == PROVISIONER_USER) {
        let allow = &mut provisioner.claims.nats.permissions.subscribe.allow;
        if !allow.iter().any(|s| s == CALLOUT_SUBJECT) {
            allow.push(CALLOUT_SUBJECT.to_owned());
        }
        provisioner.jwt = sign(&mut provisioner.claims, PROVISIONER_USER)?;
        auth_users.push(provisioner.claims.sub.clone());
    }
    let sentinel_key = keys.generate(KeyPairType::User)?;
    let mut sentinel = UserClaims::new_user(sentinel_key.public_key());
    sentinel.name = SENTINEL_USER.to_owned();
    let permissions = &mut sentinel.nats.permissions;
    permissions.bearer_token = true;
    permissions.publish.deny = vec![String::from(">")];
    permissions.subscribe.deny = vec![String::from(">")];
    let jwt = sign(&mut sentinel, SENTINEL_USER)?;
    auth.users.push(UserEntry {
        name: SENTINEL_USER.to_owned(),
        claims: sentinel,
        jwt,
        key: Some(sentinel_key),
    });
    let xkey_public = xkey.public_key();
    estate.resign_account(AUTH_ACCOUNT, now, |claims| {
        let authorization = &mut claims.nats.authorization;
        authorization.auth_users = auth_users;
        authorization.allowed_accounts = tenants;
        authorization.xkey = xkey_public;
    })?;
    Ok(xkey)
}

/// Lets the callout place users in account `account` (a tenant added later).
///
/// # Errors
/// As [`Estate::resign_account`].
pub fn allow_account(estate: &mut Estate, account: &str, now: i64) -> Result<(), EstateError> {
    estate.resign_account(AUTH_ACCOUNT, now, |claims| {
        let allowed = &mut claims.nats.authorization.allowed_accounts;
        if !allowed.iter().any(|a| a == account) {
            allowed.push(account.to_owned());
        }
    })?;
    Ok(())
}

/// A curve key from the key source: the raw bytes of a fresh key's seed.
fn new_xkey(keys: &mut impl KeySource) -> Result<XKey, EstateError> {
    let source = keys.generate(KeyPairType::User)?;
    let failed = |reason: String| EstateError::KeyGeneration { reason };
    let seed = source.seed().map_err(|e| failed(e.to_string()))?;
    let (_, raw) = nkeys::decode_seed(&seed).map_err(|e| failed(e.to_string()))?;
    Ok(XKey::new_from_raw(raw))
}

/// Whether the estate is wired for the callout (AUTH has `authorization.auth_users`).
pub fn is_enabled(estate: &Estate) -> bool {
    estate
        .account(AUTH_ACCOUNT)
        .is_some_and(|a| !a.claims.nats.authorization.auth_users.is_empty())
}

/// The sentinel's JWT, the server's `default_sentinel`, when the callout is on.
pub fn sentinel_jwt(estate: &Estate) -> Option<&str> {
    if !is_enabled(estate) {
        return None;
    }
    let auth = estate.account(AUTH_ACCOUNT)?;
    auth.user(SENTINEL_USER).map(|u| u.jwt.as_str())
}

/// A tenant's callout credentials file, relative to the estate.
pub fn credentials_path(tenant: &str) -> String {
    format!("{CREDENTIALS_DIR}/{tenant}.toml")
}

/// The policy line that turns the callout on for `tenant`.
pub fn policy_line(tenant: &str) -> String {
    format!(
        "identity.callout = {{ enabled = true, credentials = {} }}\n",
        toml_string(&credentials_path(tenant))
    )
}

/// A new tenant's (empty) callout credentials file.
pub fn credentials_template(tenant: &str) -> String {
    format!(
        "# Callout credentials of tenant `{tenant}`: who may connect with a user and password\n\
         # or a token, and as which NATS user name. Only salted SHA-256 digests are stored;\n\
         # generate the secrets (openssl rand -base64 24), then for each entry:\n\
         #   printf '%s%s' \"$SALT\" \"$SECRET\" | sha256sum\n\
         # Send the provisioner a SIGHUP after editing.\n\
         #\n\
         # [[users]]\n\
         # user = \"alice\"                  # the CONNECT user name\n\
         # name = \"alice\"                  # the NATS user name (default: user)\n\
         # tags = [\"role:device\"]\n\
         # salt = \"<random string>\"\n\
         # password_sha256 = \"<hex>\"\n\
         #\n\
         # [[tokens]]\n\
         # name = \"ci\"\n\
         # salt = \"<random string>\"\n\
         # token_sha256 = \"<hex>\"\n"
    )
}

/// The `provisioner.toml` lines of the callout: AUTH's seed signs the answers, the xkey
/// opens requests. Paths relative to the estate.
pub fn provisioner_lines(estate: &Estate) -> String {
    let Some(auth) = estate.account(AUTH_ACCOUNT).filter(|_| is_enabled(estate)) else {
        return String::new();
    };
    let keys = Layout::new("").key_store();
    let mut out = String::new();
    if let Some(path) = keys.key_path(auth.public_key()) {
        out.push_str(&format!(
            "callout_issuer_key = {}\n",
            toml_string(&path.to_string_lossy())
        ));
    }
    if let Some(path) = keys.key_path(&auth.claims.nats.authorization.xkey) {
        out.push_str(&format!(
            "callout_xkey = {}\n",
            toml_string(&path.to_string_lossy())
        ));
    }
    out
}

/// The files only a callout estate has: the xkey seed in the key store and each tenant's
/// credentials file (relative paths).
pub fn files(estate: &Estate, xkey: &XKey) -> FileSet {
    let mut files = FileSet::new();
    let keys = Layout::new("").key_store();
    if let (Some(path), Ok(seed)) = (keys.key_path(&xkey.public_key()), xkey.seed()) {
        files.insert(path, seed);
    }
    for tenant in estate.tenants().filter_map(|a| a.tenant()) {
        files.insert(credentials_path(tenant), credentials_template(tenant));
    }
    files
}

/// The sentinel's creds file text, for clients that prefer naming it.
pub fn sentinel_creds(estate: &Estate) -> Option<String> {
    let user = estate.account(AUTH_ACCOUNT)?.user(SENTINEL_USER)?;
    let seed = user.key.as_ref().and_then(|k: &KeyPair| k.seed().ok())?;
    Some(claims::format_creds(&user.jwt, &seed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{EstateSpec, TenantSpec};
    use crate::keys::SequentialKeys;

    fn estate() -> Estate {
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![TenantSpec {
                name: "acme".into(),
                scoped: false,
            }],
            jetstream: false,
        };
        Estate::build(&spec, &mut SequentialKeys::new(3), 1_800_000_000).unwrap()
    }

    #[test]
    fn auth_gets_the_authorization_block_and_a_sentinel() {
        let mut estate = estate();
        assert!(!is_enabled(&estate) && sentinel_jwt(&estate).is_none());
        let xkey = enable(&mut estate, &mut SequentialKeys::new(4), 1_800_000_001).unwrap();
        assert!(is_enabled(&estate));
        let auth = estate.account(AUTH_ACCOUNT).unwrap();
        let authorization = &auth.claims.nats.authorization;
        let provisioner = auth.user(PROVISIONER_USER).unwrap();
        assert_eq!(
            authorization.auth_users,
            std::slice::from_ref(&provisioner.claims.sub)
        );
        let acme = estate.account("acme").unwrap().public_key().to_owned();
        assert_eq!(authorization.allowed_accounts, [acme]);
        assert_eq!(authorization.xkey, xkey.public_key());
        assert!(xkey.public_key().starts_with('X'));
        // Both JWTs verify after re-signing.
        claims::AccountClaims::decode(&auth.jwt).unwrap();
        let p = UserClaims::decode(&provisioner.jwt).unwrap();
        assert!(p
            .nats
            .permissions
            .subscribe
            .allow
            .contains(&CALLOUT_SUBJECT.to_owned()));
        let sentinel = UserClaims::decode(sentinel_jwt(&estate).unwrap()).unwrap();
        assert!(sentinel.nats.permissions.bearer_token);
        assert_eq!(sentinel.nats.permissions.publish.deny, [">"]);
        assert!(sentinel_creds(&estate).unwrap().contains("NATS USER JWT"));

        let lines = provisioner_lines(&estate);
        assert!(
            lines.contains("callout_issuer_key = \"nkeys/keys/A/"),
            "{lines}"
        );
        assert!(lines.contains("callout_xkey = \"nkeys/keys/X/"), "{lines}");
        let files = files(&estate, &xkey);
        assert!(files.get("callout/acme.toml").is_some());
        assert_eq!(files.len(), 2);

        let other = claims::KeyPair::new_account().public_key();
        allow_account(&mut estate, &other, 1_800_000_002).unwrap();
        let auth = estate.account(AUTH_ACCOUNT).unwrap();
        assert!(auth
            .claims
            .nats
            .authorization
            .allowed_accounts
            .contains(&other));
    }

    #[test]
    fn init_and_tenant_add_write_the_callout_files() {
        use crate::server_config::{ResolverKind, ServerSettings};
        use crate::setup::{add_tenant_with, init_with, InitOptions};
        let dir = tempfile::tempdir().unwrap();
        let options = InitOptions {
            dir: dir.path().join("estate"),
            operator: "OP".into(),
            tenants: vec!["acme".into()],
            scoped_keys: false,
            server: ServerSettings {
                resolver: ResolverKind::Memory,
                host: "127.0.0.1".into(),
                port: 4222,
                jetstream: false,
            },
            force: false,
            callout: true,
        };
        let written = init_with(&options, &mut SequentialKeys::new(5), 1_800_000_000).unwrap();
        let root = &written.dir;
        let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
        let auth = written.estate.account(AUTH_ACCOUNT).unwrap();
        let xkey = auth.claims.nats.authorization.xkey.clone();
        let seed = read(&format!("nkeys/keys/X/{}/{xkey}.nk", &xkey[1..3]));
        assert_eq!(XKey::from_seed(&seed).unwrap().public_key(), xkey);
        assert!(read("provisioner.toml").contains("callout_xkey"));
        assert!(read("server.conf").contains("default_sentinel:"));
        assert!(read("policy.toml").contains(&policy_line("acme")));
        assert!(read("callout/acme.toml").starts_with("# Callout credentials"));

        let added = add_tenant_with(
            root,
            &TenantSpec {
                name: "globex".into(),
                scoped: false,
            },
            &mut SequentialKeys::new(6),
            1_800_000_100,
        )
        .unwrap();
        let globex = added.account().unwrap().public_key().to_owned();
        let auth = added.estate.account(AUTH_ACCOUNT).unwrap();
        let allowed = &auth.claims.nats.authorization.allowed_accounts;
        assert!(allowed.contains(&globex));
        assert!(read("policy.toml").contains(&policy_line("globex")));
        assert!(read("callout/globex.toml").contains("[[users]]"));
        // The store and the memory resolver's preload have the new AUTH JWT.
        assert_eq!(read("nsc/stores/OP/accounts/AUTH/AUTH.jwt"), auth.jwt);
        assert!(read("server.conf").contains(&auth.jwt));
        assert!(read("server.conf").contains("default_sentinel:"));
        policy::Policy::from_toml_str(&read("policy.toml")).unwrap();
    }
}
