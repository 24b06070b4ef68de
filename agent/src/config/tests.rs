//! Tests of the agent's configuration: flags and file merged, account JWTs with their
//! operator, and the refusals.

use super::*;
use claims::{AccountClaims, KeyPair, UserClaims};

fn args() -> AgentArgs {
    AgentArgs {
        service: Some("storage".into()),
        site: Some("sto1".into()),
        account: Some("AOWN".into()),
        ..AgentArgs::default()
    }
}

#[test]
fn flags_file_and_account_jwts_merge() {
    let dir = tempfile::tempdir().unwrap();
    let operator = KeyPair::new_operator();
    let globex = KeyPair::new_account();
    let mut claims = AccountClaims::new_account(globex.public_key());
    claims.nats.tags = vec!["tenant:globex".into()];
    let jwts = dir.path().join("jwt");
    std::fs::create_dir(&jwts).unwrap();
    std::fs::write(jwts.join("g.jwt"), claims.encode(&operator, 1).unwrap()).unwrap();
    std::fs::write(jwts.join("ignored.txt"), "x").unwrap();
    let acme = KeyPair::new_account().public_key();
    let file = dir.path().join("agent.toml");
    std::fs::write(
        &file,
        format!(
            "site = \"osl1\"\nquota = 4\naccount_jwts = [\"jwt\"]\noperator_keys = [\"{}\"]\n\
             [tenants]\nacme = \"{acme}\"\n[quotas]\nacme = 9\n",
            operator.public_key()
        ),
    )
    .unwrap();
    let config = AgentConfig::resolve(&AgentArgs {
        config: Some(file),
        ..args()
    })
    .unwrap();
    assert_eq!(config.site, "sto1", "flags win");
    assert_eq!(config.tenants.tenant_of(&acme), Some("acme"));
    assert_eq!(
        config.tenants.tenant_of(&globex.public_key()),
        Some("globex")
    );
    assert_eq!(
        (config.quotas.of("acme"), config.quotas.of("globex")),
        (9, 4)
    );
    assert_eq!(config.server, DEFAULT_SERVER);
}

#[test]
fn own_account_comes_from_the_creds() {
    let dir = tempfile::tempdir().unwrap();
    let account = KeyPair::new_account();
    let user = KeyPair::new_user();
    let mut claims = UserClaims::new_user(user.public_key());
    let jwt = claims.encode(&account, 1).unwrap();
    let path = dir.path().join("agent.creds");
    std::fs::write(&path, claims::format_creds(&jwt, &user.seed().unwrap())).unwrap();
    assert_eq!(own_account(&path).unwrap(), account.public_key());
    std::fs::write(&path, "nope").unwrap();
    assert!(matches!(own_account(&path), Err(ConfigError::Creds { .. })));
}

#[test]
fn bad_configurations_are_refused() {
    let acme = KeyPair::new_account().public_key();
    let pair = format!("acme={acme}");
    let with = |f: fn(&mut AgentArgs)| {
        let mut a = AgentArgs {
            tenants: vec![pair.clone()],
            ..args()
        };
        f(&mut a);
        AgentConfig::resolve(&a)
    };
    assert!(with(|_| {}).is_ok());
    assert!(matches!(
        with(|a| a.site = None),
        Err(ConfigError::Missing("site"))
    ));
    assert!(matches!(
        with(|a| a.site = Some("a.b".into())),
        Err(ConfigError::Name(_))
    ));
    assert!(matches!(
        with(|a| a.service = Some("a_b".into())),
        Err(ConfigError::Name(_))
    ));
    assert!(matches!(
        with(|a| a.account = None),
        Err(ConfigError::NoOwnAccount)
    ));
    assert!(matches!(
        with(|a| a.tenants.clear()),
        Err(ConfigError::NoTenants)
    ));
    assert!(matches!(
        with(|a| a.tenants = vec!["acme".into()]),
        Err(ConfigError::Tenant(TenantError::Pair { .. }))
    ));
    assert!(matches!(
        with(|a| a.config = Some("/nonexistent/agent.toml".into())),
        Err(ConfigError::Read { .. })
    ));
    assert_eq!(
        ConfigError::Missing("site").to_string(),
        "missing --site (or `site` in the config file)"
    );
}

#[test]
fn account_jwts_need_their_operator() {
    let dir = tempfile::tempdir().unwrap();
    let operator = KeyPair::new_operator();
    let mut op_claims =
        claims::OperatorClaims::with_body(operator.public_key(), claims::Operator::default());
    op_claims.name = "OP".into();
    std::fs::write(
        dir.path().join("OP.jwt"),
        op_claims.encode(&operator, 1).unwrap(),
    )
    .unwrap();
    let acme = KeyPair::new_account();
    let mut claims = AccountClaims::new_account(acme.public_key());
    claims.nats.tags = vec!["tenant:acme".into()];
    let jwt = dir.path().join("acme.jwt");
    std::fs::write(&jwt, claims.encode(&operator, 1).unwrap()).unwrap();
    let file = dir.path().join("agent.toml");
    std::fs::write(
        &file,
        "account_jwts = [\"acme.jwt\"]\noperator_jwt = \"OP.jwt\"\n",
    )
    .unwrap();
    let from_file = AgentConfig::resolve(&AgentArgs {
        config: Some(file),
        ..args()
    })
    .unwrap();
    assert_eq!(
        from_file.tenants.tenant_of(&acme.public_key()),
        Some("acme")
    );

    let with = |f: fn(&mut AgentArgs)| {
        let mut a = AgentArgs {
            account_jwts: vec![jwt.clone()],
            ..args()
        };
        f(&mut a);
        AgentConfig::resolve(&a)
    };
    let err = with(|_| {}).unwrap_err();
    assert!(matches!(err, ConfigError::NoOperator), "{err}");
    assert!(err.to_string().contains("--operator-jwt FILE"), "{err}");
    assert!(matches!(
        with(|a| a.operator_keys = vec!["not-a-key".into()]),
        Err(ConfigError::Operator(_))
    ));
    assert!(matches!(
        with(|a| a.operator_keys = vec![KeyPair::new_operator().public_key()]),
        Err(ConfigError::Tenant(TenantError::Issuer { .. }))
    ));
    assert!(matches!(
        with(|a| a.operator_jwt = Some("/nonexistent/OP.jwt".into())),
        Err(ConfigError::Read { .. })
    ));
}

#[test]
fn a_tenant_named_for_two_accounts_is_refused_across_file_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let first = KeyPair::new_account().public_key();
    let second = KeyPair::new_account().public_key();
    let file = dir.path().join("agent.toml");
    std::fs::write(&file, format!("[tenants]\nacme = \"{first}\"\n")).unwrap();
    let err = AgentConfig::resolve(&AgentArgs {
        config: Some(file),
        tenants: vec![format!("acme={second}")],
        ..args()
    })
    .unwrap_err();
    assert!(
        matches!(err, ConfigError::Tenant(TenantError::SharedTenant { .. })),
        "{err}"
    );
    assert!(
        err.to_string().contains("[tenants] in the config file"),
        "{err}"
    );
}

#[test]
fn handlers_come_from_the_file_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let acme = KeyPair::new_account().public_key();
    let resolve = |handlers: &str| {
        let file = dir.path().join("agent.toml");
        std::fs::write(&file, format!("[tenants]\nacme = \"{acme}\"\n{handlers}")).unwrap();
        AgentConfig::resolve(&AgentArgs {
            config: Some(file),
            ..args()
        })
    };
    let none = resolve("").unwrap();
    assert!(none.handlers.is_none(), "no table: records only");
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/handlers");
    std::os::unix::fs::symlink(&examples, dir.path().join("handlers")).unwrap();
    let config = resolve(
        "[handlers.folder]\nargv = [\"handlers/mkdir.sh\", \"--root\", \"/srv\"]\n\
         timeout_secs = 5\nenv = { FOLDER_ROOT = \"/srv\" }\nrequires_approval = true\n\
         [handlers.broken]\nargv = [\"handlers/fail.sh\"]\n",
    )
    .unwrap();
    let handlers = config.handlers.unwrap();
    assert_eq!(handlers.types(), ["broken", "folder"]);
    let folder = handlers.get("folder").unwrap().config();
    assert_eq!(folder.program, dir.path().join("handlers/mkdir.sh"));
    assert_eq!(folder.args, ["--root", "/srv"]);
    assert_eq!(folder.timeout, std::time::Duration::from_secs(5));
    assert!(folder.requires_approval);
    let empty = resolve("[handlers]\n").unwrap();
    assert_eq!(empty.handlers.unwrap().types(), Vec::<&str>::new());

    for (table, field) in [
        (
            "[handlers.folder]\nargv = [\"handlers/nope.sh\"]\n",
            "handlers.folder.argv",
        ),
        ("[handlers.folder]\nargv = []\n", "handlers.folder.argv"),
        (
            "[handlers.folder]\nargv = [\"handlers/fail.sh\"]\nshell = true\n",
            "shell",
        ),
        (
            "[handlers.folder]\nargv = [\"handlers/fail.sh\"]\ntimeout_secs = 0\n",
            "handlers.folder.timeout_secs",
        ),
    ] {
        let err = resolve(table).unwrap_err().to_string();
        assert!(err.contains(field), "{table}: {err}");
    }
}
