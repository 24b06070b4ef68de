//! Pins what `init` writes: the exact set of files in nsc's store layout, their modes and
//! formats, the product's config files, and all-or-nothing behaviour. Reading stores back
//! is in `read_back.rs`, the CLI's exit codes in `cli.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use claims::{format_creds, parse_creds, AccountClaims, KeyPair, OperatorClaims, UserClaims};
use common::{init, key_file, options, walk, NOW};
use nsc_setup::{init_with, Layout, ResolverKind, SequentialKeys, StoreError};

#[test]
fn init_writes_exactly_the_nsc_layout_and_product_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let written = init(&dir, ResolverKind::Full);
    let estate = &written.estate;

    let mut expected: BTreeSet<PathBuf> = [
        "nsc/nsc.json",
        "nsc/stores/OP/.nsc",
        "nsc/stores/OP/OP.jwt",
        "nsc/stores/OP/accounts/SYS/SYS.jwt",
        "nsc/stores/OP/accounts/SYS/users/sys.jwt",
        "nsc/stores/OP/accounts/AUTH/AUTH.jwt",
        "nsc/stores/OP/accounts/AUTH/users/provisioner.jwt",
        "nsc/stores/OP/accounts/SERVICES/SERVICES.jwt",
        "nsc/stores/OP/accounts/SERVICES/users/agent.jwt",
        "nsc/stores/OP/accounts/acme/acme.jwt",
        "nsc/stores/OP/accounts/acme/users/bootstrap.jwt",
        "nsc/stores/OP/accounts/acme/users/admin.jwt",
        "nsc/stores/OP/accounts/globex/globex.jwt",
        "nsc/stores/OP/accounts/globex/users/bootstrap.jwt",
        "nsc/stores/OP/accounts/globex/users/admin.jwt",
        "nkeys/.gitignore",
        "nkeys/creds/OP/SYS/sys.creds",
        "nkeys/creds/OP/AUTH/provisioner.creds",
        "nkeys/creds/OP/SERVICES/agent.creds",
        "nkeys/creds/OP/acme/bootstrap.creds",
        "nkeys/creds/OP/acme/admin.creds",
        "nkeys/creds/OP/globex/bootstrap.creds",
        "nkeys/creds/OP/globex/admin.creds",
        "server.conf",
        "provisioner.toml",
        "policy.toml",
        "nsc.env",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    let mut public_keys = vec![estate.operator.public_key().to_owned()];
    public_keys.extend(estate.operator.claims.nats.signing_keys.iter().cloned());
    for account in &estate.accounts {
        public_keys.push(account.public_key().to_owned());
        public_keys.extend(account.claims.nats.signing_keys.0.keys().cloned());
        public_keys.extend(account.users.iter().map(|u| u.public_key().to_owned()));
        expected.insert(PathBuf::from(format!("jwt/{}.jwt", account.public_key())));
    }
    assert_eq!(
        public_keys.len(),
        2 + 5 + 2 + 7,
        "operator 2, accounts 5, tenant sks 2, users 7"
    );
    expected.extend(public_keys.iter().map(|k| key_file(k)));

    let (files, dirs) = walk(&dir);
    assert_eq!(files, expected);
    assert_eq!(files.len(), 48);
    assert_eq!(
        written.files.iter().cloned().collect::<BTreeSet<_>>(),
        expected
    );

    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    for d in &dirs {
        assert_eq!(mode(&dir.join(d)), 0o700, "{}", d.display());
    }
    for f in &files {
        assert_eq!(mode(&dir.join(f)), 0o600, "{}", f.display());
    }
    assert!(dirs.contains(Path::new("nsc/stores/OP/accounts")));
    let siblings: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(
        siblings.len(),
        1,
        "no temp directory left next to the estate"
    );
}

#[test]
fn store_files_have_nsc_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let written = init(&dir, ResolverKind::Full);
    let estate = &written.estate;
    let read = |rel: &str| fs::read_to_string(dir.join(rel)).unwrap();

    assert_eq!(
        read("nsc/stores/OP/.nsc"),
        r#"{"managed":false,"name":"OP","kind":"operator","version":"1"}"#
    );
    let config: serde_json::Value = serde_json::from_str(&read("nsc/nsc.json")).unwrap();
    assert_eq!(
        config["store_root"],
        dir.join("nsc/stores").to_str().unwrap()
    );
    assert_eq!(config["operator"], "OP");
    assert_eq!(
        read("nkeys/.gitignore"),
        "# ignore all nk files \n**/*.nk\n\n# ignore all creds files\n**/*.creds\n"
    );

    let operator_jwt = read("nsc/stores/OP/OP.jwt");
    assert!(!operator_jwt.ends_with('\n'), "bare token");
    let operator = OperatorClaims::decode(&operator_jwt).unwrap();
    assert_eq!(operator.name, "OP");
    assert_eq!(operator.nats.signing_keys.len(), 1);
    let sys = estate.account("SYS").unwrap();
    assert_eq!(operator.nats.system_account, sys.public_key());

    let acme = AccountClaims::decode(&read("nsc/stores/OP/accounts/acme/acme.jwt")).unwrap();
    assert_eq!(
        acme.iss, operator.nats.signing_keys[0],
        "accounts signed by the operator sk"
    );
    assert_eq!(acme.nats.tags, ["tenant:acme"]);
    let sk = acme.nats.signing_keys.0.keys().next().unwrap().clone();
    let seed = read(key_file(&sk).to_str().unwrap());
    assert!(
        seed.starts_with("SA") && !seed.ends_with('\n'),
        "bare account seed"
    );
    assert_eq!(KeyPair::from_seed(&seed).unwrap().public_key(), sk);

    let creds_text = read("nkeys/creds/OP/acme/bootstrap.creds");
    let creds = parse_creds(&creds_text).unwrap();
    let jwt = read("nsc/stores/OP/accounts/acme/users/bootstrap.jwt");
    assert_eq!(creds.jwt, jwt);
    assert_eq!(creds_text, format_creds(&jwt, creds.seed.expose()));
    let user = UserClaims::decode(&jwt).unwrap();
    assert_eq!(user.name, "bootstrap");
    assert_eq!(
        user.iss, acme.sub,
        "bootstrap is signed by the account identity key"
    );
    let user_seed = read(key_file(&user.sub).to_str().unwrap());
    assert_eq!(user_seed, creds.seed.expose());

    let resolver_jwt = read(&format!("jwt/{}.jwt", acme.sub));
    assert_eq!(resolver_jwt, read("nsc/stores/OP/accounts/acme/acme.jwt"));
}

#[test]
fn product_files_work_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let written = init(&dir, ResolverKind::Memory);
    let read = |rel: &str| fs::read_to_string(dir.join(rel)).unwrap();

    assert_eq!(
        read("provisioner.toml"),
        "nats_url = \"nats://127.0.0.1:4222\"\n\
         creds = \"nkeys/creds/OP/AUTH/provisioner.creds\"\n\
         policy = \"policy.toml\"\n\
         nkeys_path = \"nkeys\"\n\
         nsc_store = \"nsc/stores/OP\"\n\
         subject = \"creds.request\"\n\
         queue_group = \"provisioner\"\n\
         audit_subject = \"creds.audit.events\"\n\
         admin_addr = \"127.0.0.1:9090\"\n\
         registry = true\n"
    );
    let config: toml::Table = read("provisioner.toml").parse().unwrap();
    for key in ["creds", "policy", "nkeys_path", "nsc_store"] {
        let path = dir.join(config[key].as_str().unwrap());
        assert!(path.exists(), "{key} = {}", path.display());
    }

    let policy = policy::Policy::from_toml_str(&read("policy.toml")).unwrap();
    for name in ["acme", "globex"] {
        let tenant = policy.tenant(name).unwrap();
        let account = written.estate.account(name).unwrap();
        assert_eq!(tenant.account(), account.public_key());
        assert_eq!(tenant.namespace(), format!("tenant.{name}"));
        assert!(!tenant.is_scoped());
        let sk = account.minted_user_key().unwrap().public_key();
        assert!(read("policy.toml").contains(&format!("public_key = \"{sk}\"")));
        assert!(Layout::new(&dir)
            .key_store()
            .key_path(&sk)
            .unwrap()
            .is_file());
    }

    assert_eq!(
        read("nsc.env"),
        format!(
            "export NSC_HOME={}/nsc\nexport NKEYS_PATH={}/nkeys\n",
            dir.display(),
            dir.display()
        )
    );
    let server = read("server.conf");
    assert!(server.contains("resolver: MEMORY\n"));
    assert!(server.contains("listen: 127.0.0.1:4222\n"));
    assert!(server.contains(&format!("store_dir: \"{}/js\"", dir.display())));
    for account in &written.estate.accounts {
        assert!(server.contains(&format!("  {}: {}\n", account.public_key(), account.jwt)));
    }
    assert!(
        !dir.join("jwt").exists(),
        "no resolver directory for a memory resolver"
    );
}

#[test]
fn scoped_keys_make_a_policy_without_permissions() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let opts = options(&dir, ResolverKind::Full, true);
    init_with(&opts, &mut SequentialKeys::new(2), NOW).unwrap();
    let text = fs::read_to_string(dir.join("policy.toml")).unwrap();
    let policy = policy::Policy::from_toml_str(&text).unwrap();
    assert!(policy.tenant("acme").unwrap().is_scoped());
    assert!(!text.contains("permissions."));
}

#[test]
fn rerunning_refuses_unless_forced_and_errors_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("estate");
    let first = init(&dir, ResolverKind::Full);
    let before = fs::read_to_string(dir.join("nsc/stores/OP/OP.jwt")).unwrap();

    let err = init_with(
        &options(&dir, ResolverKind::Full, false),
        &mut SequentialKeys::new(3),
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Exists { .. }), "{err}");
    assert_eq!(
        fs::read_to_string(dir.join("nsc/stores/OP/OP.jwt")).unwrap(),
        before
    );

    let mut forced = options(&dir, ResolverKind::Memory, false);
    forced.force = true;
    let second = init_with(&forced, &mut SequentialKeys::new(3), NOW).unwrap();
    assert_ne!(
        second.estate.operator.public_key(),
        first.estate.operator.public_key()
    );
    assert!(
        !dir.join("jwt").exists(),
        "the old estate is gone, not merged"
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);

    let bad = tmp.path().join("bad");
    let mut opts = options(&bad, ResolverKind::Full, false);
    opts.tenants.push("no.dots".into());
    let err = init_with(&opts, &mut SequentialKeys::new(4), NOW).unwrap_err();
    assert!(matches!(err, StoreError::Estate(_)), "{err}");
    assert!(!bad.exists());

    // A parent that is a file: nothing can be created, nothing is left behind.
    fs::write(tmp.path().join("file"), "x").unwrap();
    let blocked = tmp.path().join("file/estate");
    let err = init_with(
        &options(&blocked, ResolverKind::Full, false),
        &mut SequentialKeys::new(5),
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err}");
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        2,
        "estate and file only"
    );
}
