//! Reading stores back: an estate `init` wrote, with its seeds, and a store laid out as
//! the KubeCon tutorial's `nsc` made it; a key file that does not hold the key its path
//! names is refused without echoing it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::fs;
use std::path::PathBuf;

use claims::{format_creds, AccountClaims, KeyPair, OperatorClaims, UserClaims};
use common::{init, NOW};
use nsc_setup::{load_dir, load_store, KeyStore, NscStore, ResolverKind, StoreError};

#[test]
fn an_estate_reads_back_with_its_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let written = init(&dir, ResolverKind::Full);
    let loaded = load_dir(&dir).unwrap();
    assert_eq!(loaded.operator.jwt, written.estate.operator.jwt);
    assert_eq!(loaded.operator.signing_keys.len(), 1);
    let names: Vec<&str> = loaded.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["SYS", "AUTH", "SERVICES", "acme", "globex"]);
    for account in &written.estate.accounts {
        let back = loaded.account(&account.name).unwrap();
        assert_eq!(back.jwt, account.jwt);
        assert_eq!(
            back.minted_user_key().map(KeyPair::public_key),
            account.minted_user_key().map(KeyPair::public_key)
        );
        for user in &account.users {
            let back_user = back.user(&user.name).unwrap();
            assert_eq!(back_user.creds(), user.creds());
        }
    }
}

#[test]
fn a_store_laid_out_by_nsc_as_in_the_tutorial_reads() {
    // The KubeCon tutorial: NSC_HOME=nsc/accounts, the store at $NSC_HOME/nats/KO, keys and
    // creds under NKEYS_PATH=nsc/nkeys; the provisioner's user is signed with the signing key.
    let tmp = tempfile::tempdir().unwrap();
    let store = NscStore::new(tmp.path().join("nsc/accounts/nats/KO"));
    let keys = KeyStore::new(tmp.path().join("nsc/nkeys"));
    let write = |path: PathBuf, text: &str| {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    let operator = KeyPair::new_operator();
    let sys = KeyPair::new_account();
    let account = KeyPair::new_account();
    let sk = KeyPair::new_account();
    let user = KeyPair::new_user();

    let mut op = OperatorClaims::with_body(operator.public_key(), Default::default());
    op.name = "KO".into();
    op.nats.system_account = sys.public_key();
    write(
        store.operator_jwt("KO"),
        &op.encode(&operator, NOW).unwrap(),
    );
    write(
        store.nsc_file(),
        r#"{"managed":false,"name":"KO","kind":"operator","version":"1"}"#,
    );
    let mut sys_claims = AccountClaims::new_account(sys.public_key());
    sys_claims.name = "SYS".into();
    write(
        store.account_jwt("SYS"),
        &sys_claims.encode(&operator, NOW).unwrap(),
    );
    let mut kubecon = AccountClaims::new_account(account.public_key());
    kubecon.name = "KUBECON".into();
    kubecon.nats.signing_keys.add(sk.public_key());
    write(
        store.account_jwt("KUBECON"),
        &kubecon.encode(&operator, NOW).unwrap(),
    );
    let mut access = UserClaims::new_user(user.public_key());
    access.name = "chat-access".into();
    access.nats.issuer_account = account.public_key();
    let user_jwt = access.encode(&sk, NOW).unwrap();
    write(store.user_jwt("KUBECON", "chat-access"), &user_jwt);
    // Seeds as nsc writes them (bare), one with a trailing newline as a hand edit leaves.
    write(
        keys.key_path(&sk.public_key()).unwrap(),
        &sk.seed().unwrap(),
    );
    write(
        keys.key_path(&user.public_key()).unwrap(),
        &format!("{}\n", user.seed().unwrap()),
    );
    let creds = format_creds(&user_jwt, &user.seed().unwrap());
    write(keys.creds_path("KO", "KUBECON", "chat-access"), &creds);

    assert!(keys.key_path(&sk.public_key()).unwrap().starts_with(
        tmp.path()
            .join("nsc/nkeys/keys/A")
            .join(&sk.public_key()[1..3])
    ));
    let estate = load_store(&store, Some(&keys)).unwrap();
    assert_eq!(estate.operator.name, "KO");
    assert_eq!(estate.accounts[0].name, "SYS", "system account first");
    let kubecon = estate.account("KUBECON").unwrap();
    assert_eq!(
        kubecon.minted_user_key().unwrap().public_key(),
        sk.public_key()
    );
    assert!(kubecon.key.is_none(), "identity seed not in the key store");
    let access = kubecon.user("chat-access").unwrap();
    assert_eq!(access.creds().unwrap(), creds);
    assert!(
        estate.operator.account_signer().is_err(),
        "no operator seed held"
    );

    // A seed file holding another key's seed is refused without echoing it.
    let stranger = KeyPair::new_account().seed().unwrap();
    write(keys.key_path(&sk.public_key()).unwrap(), &stranger);
    let err = load_store(&store, Some(&keys)).unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }));
    // Not a search for `SA`: the path names a public key, which may hold those letters.
    assert!(!err.to_string().contains(stranger.as_str()), "{err}");
}
