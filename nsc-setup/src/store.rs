//! The estate in nsc's store layout, as files: what `nsc` itself would have written for the
//! same operator, accounts, users and keys (design §7). Rendering only; [`crate::write`]
//! puts the files on disk and [`crate::load`] reads them back.
//!
//! Formats, as nsc writes them (`cmd/store/store.go`, `cmd/store/keys.go`):
//! - `<op>/.nsc`: compact JSON `{"managed":false,"name":"<op>","kind":"operator","version":"1"}`;
//! - `*.jwt`: the bare token, no trailing newline;
//! - `*.nk`: the bare seed, no trailing newline;
//! - `*.creds`: Go's `FormatUserConfig` text ([`claims::format_creds`]);
//! - `NKEYS_PATH/.gitignore`: ignores `*.nk` and `*.creds`;
//! - `NSC_HOME/nsc.json`: compact JSON with `store_root`, `operator`, `account`,
//!   `github_updates` and `last_update`, so `nsc` finds the store.

use std::path::Path;

use claims::KeyPair;
use serde::{Deserialize, Serialize};

use crate::estate::{AccountEntry, Estate};
use crate::layout::Layout;
use crate::write::FileSet;

/// The `.nsc` file of an operator store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// Whether the operator is managed elsewhere (never, here).
    #[serde(default)]
    pub managed: bool,
    /// The operator name.
    pub name: String,
    /// Always `operator`.
    pub kind: String,
    /// The store format version, `1`.
    pub version: String,
}

impl StoreInfo {
    /// The `.nsc` of a local operator named `name`.
    pub fn operator(name: &str) -> Self {
        StoreInfo {
            managed: false,
            name: name.to_owned(),
            kind: String::from("operator"),
            version: String::from("1"),
        }
    }
}

/// nsc's tool config, `NSC_HOME/nsc.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NscConfig {
    /// The directory holding operator stores.
    pub store_root: String,
    /// The default operator.
    #[serde(default)]
    pub operator: String,
    /// The default account.
    #[serde(default)]
    pub account: String,
    /// Where nsc checks for updates.
    #[serde(default)]
    pub github_updates: String,
    /// When nsc last checked for updates (unix seconds).
    #[serde(default)]
    pub last_update: i64,
}

/// The `.gitignore` nsc writes into a new key store, byte for byte (including the space
/// after `files`).
pub const KEYSTORE_GITIGNORE: &str =
    "# ignore all nk files \n**/*.nk\n\n# ignore all creds files\n**/*.creds\n";

/// Every file of the estate's nsc store and key store, by path relative to the estate
/// directory. `root` is the estate directory's final absolute path (`nsc.json` names the
/// store root by absolute path); `now` goes into `nsc.json`'s `last_update`.
///
/// Keys whose seeds the estate does not hold, and creds of users without seeds, are
/// skipped.
pub fn store_files(estate: &Estate, root: &Path, now: i64) -> FileSet {
    let rel = Layout::new("");
    let abs = Layout::new(root);
    let operator = &estate.operator.name;
    let store = rel.store(operator);
    let mut files = FileSet::new();

    let config = NscConfig {
        store_root: abs.stores_dir().to_string_lossy().into_owned(),
        operator: operator.clone(),
        account: String::new(),
        github_updates: String::from("nats-io/nsc"),
        last_update: now,
    };
    files.insert(rel.nsc_config(), json(&config));
    files.insert(store.nsc_file(), json(&StoreInfo::operator(operator)));
    files.insert(store.operator_jwt(operator), estate.operator.jwt.as_str());
    files.insert(rel.key_store().gitignore(), KEYSTORE_GITIGNORE);

    let mut seeds: Vec<&KeyPair> = Vec::new();
    seeds.extend(&estate.operator.key);
    seeds.extend(&estate.operator.signing_keys);
    insert_seeds(&mut files, seeds.into_iter());
    for account in &estate.accounts {
        files.extend(account_files(operator, account));
    }
    files
}

/// The files of one account: its JWT, its users' JWTs and creds, and the seeds held.
pub fn account_files(operator: &str, account: &AccountEntry) -> FileSet {
    let rel = Layout::new("");
    let store = rel.store(operator);
    let keys = rel.key_store();
    let mut files = FileSet::new();
    files.insert(store.account_jwt(&account.name), account.jwt.as_str());
    let mut seeds: Vec<&KeyPair> = Vec::new();
    seeds.extend(&account.key);
    seeds.extend(&account.signing_keys);
    for user in &account.users {
        files.insert(store.user_jwt(&account.name, &user.name), user.jwt.as_str());
        seeds.extend(&user.key);
        if let Some(creds) = user.creds() {
            files.insert(keys.creds_path(operator, &account.name, &user.name), creds);
        }
    }
    insert_seeds(&mut files, seeds.into_iter());
    files
}

/// Adds the seed files of `keys`.
fn insert_seeds<'a>(files: &mut FileSet, keys: impl Iterator<Item = &'a KeyPair>) {
    let store = Layout::new("").key_store();
    for key in keys {
        if let (Ok(seed), Some(path)) = (key.seed(), store.key_path(&key.public_key())) {
            files.insert(path, seed);
        }
    }
}

/// Compact JSON as Go's `json.Marshal` writes these plain structs.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{EstateSpec, TenantSpec};
    use crate::keys::SequentialKeys;

    #[test]
    fn nsc_files_have_nsc_formats() {
        assert_eq!(
            json(&StoreInfo::operator("OP")),
            r#"{"managed":false,"name":"OP","kind":"operator","version":"1"}"#
        );
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![TenantSpec {
                name: "acme".into(),
                scoped: false,
            }],
            jetstream: false,
        };
        let estate = Estate::build(&spec, &mut SequentialKeys::new(9), 1_800_000_000).unwrap();
        let files = store_files(&estate, Path::new("/e"), 5);
        let config = std::str::from_utf8(files.get("nsc/nsc.json").unwrap()).unwrap();
        assert_eq!(
            config,
            r#"{"store_root":"/e/nsc/stores","operator":"OP","account":"","github_updates":"nats-io/nsc","last_update":5}"#
        );
        let sk = estate.account("acme").unwrap().minted_user_key().unwrap();
        let path = Layout::new("")
            .key_store()
            .key_path(&sk.public_key())
            .unwrap();
        assert_eq!(files.get(&path).unwrap(), sk.seed().unwrap().as_bytes());
        let creds = files.get("nkeys/creds/OP/acme/bootstrap.creds").unwrap();
        assert!(creds.starts_with(b"-----BEGIN NATS USER JWT-----\n"));
        assert_eq!(
            files.get("nsc/stores/OP/accounts/acme/acme.jwt").unwrap(),
            estate.account("acme").unwrap().jwt.as_bytes()
        );
    }
}
