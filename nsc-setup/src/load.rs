//! Reading an estate from nsc's store layout: ours, or one made by real `nsc` anywhere (the
//! KubeCon tutorial's `$NSC_HOME/nats/KO`, keys under `$NKEYS_PATH`). Every JWT is decoded
//! and verified; seeds are looked up in the key store by public key and checked to match.
//!
//! Accounts are ordered system account first, then by name. Not here: writing (see
//! [`crate::store`]).

use std::fs;
use std::path::{Path, PathBuf};

use claims::{AccountClaims, KeyPair, OperatorClaims, UserClaims};

use crate::error::StoreError;
use crate::estate::{AccountEntry, Estate, OperatorEntry, UserEntry};
use crate::layout::{KeyStore, Layout, NscStore};
use crate::store::{NscConfig, StoreInfo};

/// Reads the estate in directory `dir` made by `nsc-setup` (the operator named in
/// `nsc/nsc.json`, or the only operator store).
///
/// # Errors
/// [`StoreError`] when a file is missing, unreadable or invalid.
pub fn load_dir(dir: &Path) -> Result<Estate, StoreError> {
    let layout = Layout::new(dir);
    let operator = operator_name(&layout)?;
    load_store(&layout.store(&operator), Some(&layout.key_store()))
}

/// The operator of the estate in `layout`.
fn operator_name(layout: &Layout) -> Result<String, StoreError> {
    let config_path = layout.nsc_config();
    if let Ok(text) = fs::read_to_string(&config_path) {
        let config: NscConfig = serde_json::from_str(&text).map_err(|err| StoreError::Invalid {
            path: config_path.clone(),
            reason: err.to_string(),
        })?;
        if !config.operator.is_empty() {
            return Ok(config.operator);
        }
    }
    let stores = layout.stores_dir();
    let mut operators: Vec<String> = read_dir_names(&stores)?
        .into_iter()
        .filter(|name| stores.join(name).join(crate::layout::NSC_FILE).is_file())
        .collect();
    match (operators.pop(), operators.is_empty()) {
        (Some(only), true) => Ok(only),
        _ => Err(StoreError::Invalid {
            path: stores,
            reason: String::from("expected exactly one operator store"),
        }),
    }
}

/// Reads the operator store `store` and, with a key store, the seeds it holds.
///
/// # Errors
/// [`StoreError`] when a file is missing, unreadable or invalid, or a seed file does not
/// hold the seed of the key it is named after.
pub fn load_store(store: &NscStore, keys: Option<&KeyStore>) -> Result<Estate, StoreError> {
    let info_path = store.nsc_file();
    let name = match fs::read_to_string(&info_path) {
        Ok(text) => {
            let info: StoreInfo =
                serde_json::from_str(&text).map_err(|err| StoreError::Invalid {
                    path: info_path.clone(),
                    reason: err.to_string(),
                })?;
            info.name
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => dir_name(store.dir())?,
        Err(err) => return Err(StoreError::io("reading", info_path)(err)),
    };
    let operator_path = store.operator_jwt(&name);
    let (claims, jwt) = read_jwt(&operator_path, OperatorClaims::decode)?;
    let operator = OperatorEntry {
        key: read_seed(keys, &claims.sub)?,
        signing_keys: read_seeds(keys, claims.nats.signing_keys.iter())?,
        name,
        claims,
        jwt,
    };

    let mut accounts = Vec::new();
    for account in read_dir_names(&store.accounts_dir())? {
        let path = store.account_jwt(&account);
        if !path.is_file() {
            continue;
        }
        let (claims, jwt) = read_jwt(&path, AccountClaims::decode)?;
        let mut users = Vec::new();
        let users_dir = store.users_dir(&account);
        for file in read_dir_names(&users_dir)? {
            let Some(user) = file.strip_suffix(".jwt") else {
                continue;
            };
            let (user_claims, user_jwt) = read_jwt(&users_dir.join(&file), UserClaims::decode)?;
            users.push(UserEntry {
                key: read_seed(keys, &user_claims.sub)?,
                name: user.to_owned(),
                claims: user_claims,
                jwt: user_jwt,
            });
        }
        accounts.push(AccountEntry {
            key: read_seed(keys, &claims.sub)?,
            signing_keys: read_seeds(keys, claims.nats.signing_keys.0.keys())?,
            name: account,
            claims,
            jwt,
            users,
        });
    }
    let system = operator.claims.nats.system_account.clone();
    accounts
        .sort_by(|a, b| (a.claims.sub != system, &a.name).cmp(&(b.claims.sub != system, &b.name)));
    Ok(Estate { operator, accounts })
}

/// Reads and verifies a JWT file (surrounding whitespace allowed).
fn read_jwt<C>(
    path: &Path,
    decode: impl FnOnce(&str) -> Result<C, claims::ClaimsError>,
) -> Result<(C, String), StoreError> {
    let text = fs::read_to_string(path).map_err(StoreError::io("reading", path))?;
    let jwt = text.trim().to_owned();
    let claims = decode(&jwt).map_err(|source| StoreError::Claims {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((claims, jwt))
}

/// The seeds of `public_keys` that the key store holds.
fn read_seeds<'a>(
    keys: Option<&KeyStore>,
    public_keys: impl Iterator<Item = &'a String>,
) -> Result<Vec<KeyPair>, StoreError> {
    let mut held = Vec::new();
    for key in public_keys {
        held.extend(read_seed(keys, key)?);
    }
    Ok(held)
}

/// The seed of `public_key` from the key store, `None` when there is no such file.
///
/// # Errors
/// [`StoreError::Invalid`] when the file is not a seed of that key (the message never
/// contains the file's content).
pub fn read_seed(keys: Option<&KeyStore>, public_key: &str) -> Result<Option<KeyPair>, StoreError> {
    let Some(path) = keys.and_then(|k| k.key_path(public_key)) else {
        return Ok(None);
    };
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(StoreError::io("reading", path)(err)),
    };
    let invalid = |reason: &str| StoreError::Invalid {
        path: path.clone(),
        reason: reason.to_owned(),
    };
    let key = KeyPair::from_seed(text.trim()).map_err(|_| invalid("not an nkey seed"))?;
    if key.public_key() != public_key {
        return Err(invalid("the seed belongs to another public key"));
    }
    Ok(Some(key))
}

/// Names in `dir`, sorted; none when it does not exist.
fn read_dir_names(dir: &Path) -> Result<Vec<String>, StoreError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(StoreError::io("reading", dir)(err)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(StoreError::io("reading", dir))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

fn dir_name(dir: &Path) -> Result<String, StoreError> {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| StoreError::Invalid {
            path: PathBuf::from(dir),
            reason: String::from("no operator name"),
        })
}
