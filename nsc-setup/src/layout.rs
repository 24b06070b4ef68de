//! Where everything lives: nsc's store layout (design §7) and the product's files next to
//! it, as path functions.
//!
//! ```text
//! <dir>/nsc            NSC_HOME: nsc.json (store_root, operator)
//! <dir>/nsc/stores/<op>/.nsc, <op>.jwt
//! <dir>/nsc/stores/<op>/accounts/<acct>/<acct>.jwt
//! <dir>/nsc/stores/<op>/accounts/<acct>/users/<user>.jwt
//! <dir>/nkeys          NKEYS_PATH: .gitignore
//! <dir>/nkeys/keys/<O|A|U>/<chars 2-3 of the public key>/<public key>.nk
//! <dir>/nkeys/creds/<op>/<acct>/<user>.creds
//! <dir>/server.conf, provisioner.toml, policy.toml, nsc.env, portal.toml (`--portal`)
//! <dir>/jwt/<account public key>.jwt   the full resolver's directory
//! <dir>/js                              JetStream's store directory
//! ```
//!
//! [`NscStore`] and [`KeyStore`] also describe stores made by real `nsc` anywhere (the
//! KubeCon tutorial keeps its store at `$NSC_HOME/nats/<op>`). Not here: reading or
//! writing the files (see [`crate::store`] and [`crate::write`]).

use std::path::{Path, PathBuf};

/// The `.nsc` file marking an operator directory.
pub const NSC_FILE: &str = ".nsc";
/// The accounts directory of an operator store.
pub const ACCOUNTS_DIR: &str = "accounts";
/// The users directory of an account.
pub const USERS_DIR: &str = "users";
/// A key file's extension.
pub const NKEY_EXTENSION: &str = "nk";
/// A creds file's extension.
pub const CREDS_EXTENSION: &str = "creds";
/// The provisioner's config file.
pub const PROVISIONER_TOML: &str = "provisioner.toml";
/// The policy file.
pub const POLICY_TOML: &str = "policy.toml";
/// The portal's config file (`init --portal`).
pub const PORTAL_TOML: &str = "portal.toml";
/// The server config.
pub const SERVER_CONF: &str = "server.conf";
/// The env file exporting `NSC_HOME` and `NKEYS_PATH`.
pub const ENV_FILE: &str = "nsc.env";

/// The layout of an estate directory made by `nsc-setup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout under `root`. With an empty `root` every path is relative.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }

    /// The estate directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `NSC_HOME`: `<dir>/nsc`.
    pub fn nsc_home(&self) -> PathBuf {
        self.root.join("nsc")
    }

    /// nsc's config file, `<dir>/nsc/nsc.json`.
    pub fn nsc_config(&self) -> PathBuf {
        self.nsc_home().join("nsc.json")
    }

    /// The store root holding operator stores, `<dir>/nsc/stores`.
    pub fn stores_dir(&self) -> PathBuf {
        self.nsc_home().join("stores")
    }

    /// The store of `operator`.
    pub fn store(&self, operator: &str) -> NscStore {
        NscStore::new(self.stores_dir().join(operator))
    }

    /// `NKEYS_PATH`: `<dir>/nkeys`.
    pub fn nkeys_path(&self) -> PathBuf {
        self.root.join("nkeys")
    }

    /// The key store.
    pub fn key_store(&self) -> KeyStore {
        KeyStore::new(self.nkeys_path())
    }

    /// `<dir>/server.conf`.
    pub fn server_conf(&self) -> PathBuf {
        self.root.join(SERVER_CONF)
    }

    /// `<dir>/provisioner.toml`.
    pub fn provisioner_toml(&self) -> PathBuf {
        self.root.join(PROVISIONER_TOML)
    }

    /// `<dir>/policy.toml`.
    pub fn policy_toml(&self) -> PathBuf {
        self.root.join(POLICY_TOML)
    }

    /// `<dir>/portal.toml`, written by `init --portal`.
    pub fn portal_toml(&self) -> PathBuf {
        self.root.join(PORTAL_TOML)
    }

    /// `<dir>/nsc.env`.
    pub fn env_file(&self) -> PathBuf {
        self.root.join(ENV_FILE)
    }

    /// The full resolver's directory, `<dir>/jwt`.
    pub fn resolver_dir(&self) -> PathBuf {
        self.root.join("jwt")
    }

    /// The account JWT file the full resolver reads, `<dir>/jwt/<public key>.jwt`.
    pub fn resolver_jwt(&self, account_public_key: &str) -> PathBuf {
        self.resolver_dir()
            .join(format!("{account_public_key}.jwt"))
    }

    /// JetStream's store directory, `<dir>/js`.
    pub fn jetstream_dir(&self) -> PathBuf {
        self.root.join("js")
    }
}

/// One operator's nsc store directory (`<store root>/<operator>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NscStore {
    dir: PathBuf,
}

impl NscStore {
    /// The store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        NscStore { dir: dir.into() }
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `.nsc` file.
    pub fn nsc_file(&self) -> PathBuf {
        self.dir.join(NSC_FILE)
    }

    /// The operator JWT, `<store>/<operator>.jwt`.
    pub fn operator_jwt(&self, operator: &str) -> PathBuf {
        self.dir.join(jwt_name(operator))
    }

    /// The accounts directory.
    pub fn accounts_dir(&self) -> PathBuf {
        self.dir.join(ACCOUNTS_DIR)
    }

    /// An account JWT, `<store>/accounts/<acct>/<acct>.jwt`.
    pub fn account_jwt(&self, account: &str) -> PathBuf {
        self.accounts_dir().join(account).join(jwt_name(account))
    }

    /// An account's users directory.
    pub fn users_dir(&self, account: &str) -> PathBuf {
        self.accounts_dir().join(account).join(USERS_DIR)
    }

    /// A user JWT, `<store>/accounts/<acct>/users/<user>.jwt`.
    pub fn user_jwt(&self, account: &str, user: &str) -> PathBuf {
        self.users_dir(account).join(jwt_name(user))
    }
}

/// An nkeys key store (`NKEYS_PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// The key store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        KeyStore { dir: dir.into() }
    }

    /// The key store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `.gitignore` nsc writes into a new key store.
    pub fn gitignore(&self) -> PathBuf {
        self.dir.join(".gitignore")
    }

    /// A key's seed file, `keys/<first char>/<chars 2-3>/<public key>.nk`, or `None` for
    /// a string too short to be a public key.
    pub fn key_path(&self, public_key: &str) -> Option<PathBuf> {
        let kind = public_key.get(0..1)?;
        let shard = public_key.get(1..3)?;
        Some(
            self.dir
                .join("keys")
                .join(kind)
                .join(shard)
                .join(format!("{public_key}.{NKEY_EXTENSION}")),
        )
    }

    /// A user's creds file, `creds/<op>/<acct>/<user>.creds`.
    pub fn creds_path(&self, operator: &str, account: &str, user: &str) -> PathBuf {
        self.dir
            .join("creds")
            .join(operator)
            .join(account)
            .join(format!("{user}.{CREDS_EXTENSION}"))
    }
}

/// nsc's JWT file name for an entity name.
pub fn jwt_name(name: &str) -> String {
    format!("{}.jwt", name.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_nsc() {
        let layout = Layout::new("/e");
        let store = layout.store("OP");
        assert_eq!(
            store.operator_jwt("OP"),
            Path::new("/e/nsc/stores/OP/OP.jwt")
        );
        assert_eq!(
            store.account_jwt("acme"),
            Path::new("/e/nsc/stores/OP/accounts/acme/acme.jwt")
        );
        assert_eq!(
            store.user_jwt("acme", "admin"),
            Path::new("/e/nsc/stores/OP/accounts/acme/users/admin.jwt")
        );
        let keys = layout.key_store();
        let key = "AAOEOFBQCJKEJ7XZLLSHKVCERH34OPZOIJMOUUVW7QKESQ2KT33JZDRI";
        assert_eq!(
            keys.key_path(key).unwrap(),
            Path::new("/e/nkeys/keys/A/AO").join(format!("{key}.nk"))
        );
        assert_eq!(keys.key_path("A"), None);
        assert_eq!(
            keys.creds_path("OP", "AUTH", "provisioner"),
            Path::new("/e/nkeys/creds/OP/AUTH/provisioner.creds")
        );
        assert_eq!(Layout::new("").server_conf(), Path::new("server.conf"));
        assert_eq!(layout.resolver_jwt("AX"), Path::new("/e/jwt/AX.jwt"));
    }
}
