//! A throwaway operator-mode estate for the callout suites: AUTH (the callout account,
//! with `authorization { auth_users: [provisioner], allowed_accounts: [acme, globex],
//! xkey }` and a bearer sentinel set as the server's `default_sentinel`), tenants `acme`
//! and `globex` with signing keys, the provisioner's files (policy, callout credentials,
//! keys, account JWTs) and `provisioner serve` with `--callout-issuer-key`.

use std::path::PathBuf;
use std::time::Duration;

use claims::{KeyPair, UserClaims};
use integration_tests::{
    mint_user, quote, workspace_bin, NatsServer, ProductProcess, TestAccount, TestOperator,
};
use nkeys::XKey;
use provisioner::callout::credentials::salted_sha256;

/// How long a provisioner may take to start answering.
const START: Duration = Duration::from_secs(30);

/// Where the provisioner publishes its audit events (readable with the provisioner's
/// creds).
pub const AUDIT_SUBJECT: &str = "creds.audit.events";

/// The CONNECT credentials the estate's callout files accept.
pub const ALICE: (&str, &str) = ("alice", "alice-password-1");
/// A globex user.
pub const BOB: (&str, &str) = ("bob", "bob-password-1");
/// A token of acme's, minted as user `ci`.
pub const ACME_TOKEN: &str = "acme-token-ABCDEFGH";

/// What to build.
#[derive(Default)]
pub struct Options {
    /// Seal requests and responses with an xkey.
    pub xkey: bool,
    /// Extra policy lines for the acme tenant (for example `identity.oidc`).
    pub acme_identity: String,
}

/// The running estate.
pub struct CalloutEstate {
    /// Files and the server's directory.
    pub dir: tempfile::TempDir,
    /// The server.
    pub server: NatsServer,
    /// Tenant accounts.
    pub acme: TestAccount,
    /// Tenant accounts.
    pub globex: TestAccount,
    /// The provisioner's creds (an auth user of AUTH).
    pub provisioner_creds: String,
    /// The provisioner's xkey, when sealing.
    pub xkey: Option<XKey>,
}

pub(crate) fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// One `[[users]]` or `[[tokens]]` entry of a callout credentials file, salted anew.
pub(crate) fn credentials_entry(kind: &str, key: &str, secret: &str, extra: &str) -> String {
    let salt = nuid::next().to_string();
    let digest = data_encoding::HEXLOWER.encode(&salted_sha256(&salt, secret));
    let field = if kind == "users" {
        "password_sha256"
    } else {
        "token_sha256"
    };
    format!("[[{kind}]]\n{key}\nsalt = \"{salt}\"\n{field} = \"{digest}\"\n{extra}\n")
}

fn tenant_block(name: &str, account: &str, identity: &str) -> String {
    format!(
        "[[tenants]]\nname = \"{name}\"\naccount = \"{account}\"\nnamespace = \"tenant.{name}\"\n\
         signing_key.path = \"{name}-sk.nk\"\n\
         identity.callout = {{ enabled = true, credentials = \"{name}-callout.toml\" }}\n\
         {identity}\n\
         permissions.pub.allow = [\"tenant.{name}.{{name}}.>\"]\n\
         permissions.sub.allow = [\"tenant.{name}.{{name}}.>\", \"_INBOX.>\"]\n\
         ttl = {{ default_secs = 600, max_secs = 3600 }}\n\n"
    )
}

impl CalloutEstate {
    /// Builds the estate and starts its server.
    pub fn start(options: Options) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let op = TestOperator::new("OP").unwrap();
        let provisioner_user = KeyPair::new_user();
        let xkey = options.xkey.then(XKey::new);
        let acme_sk = KeyPair::new_account();
        let globex_sk = KeyPair::new_account();
        let acme = op
            .account("acme", |c| c.nats.signing_keys.add(acme_sk.public_key()))
            .unwrap();
        let globex = op
            .account("globex", |c| {
                c.nats.signing_keys.add(globex_sk.public_key())
            })
            .unwrap();
        let auth = op
            .account("AUTH", |c| {
                let a = &mut c.nats.authorization;
                a.auth_users = vec![provisioner_user.public_key()];
                a.allowed_accounts = vec![acme.public_key(), globex.public_key()];
                a.xkey = xkey.as_ref().map(XKey::public_key).unwrap_or_default();
            })
            .unwrap();
        let provisioner_creds = {
            let mut claims = UserClaims::new_user(provisioner_user.public_key());
            claims.name = String::from("provisioner");
            let jwt = claims
                .encode(&auth.key, integration_tests::unix_now())
                .unwrap();
            claims::format_creds(&jwt, &provisioner_user.seed().unwrap())
        };
        let sentinel = mint_user(&auth.key, &auth.public_key(), "sentinel", |c| {
            c.nats.permissions.bearer_token = true;
            c.nats.permissions.publish.deny = vec![String::from(">")];
            c.nats.permissions.subscribe.deny = vec![String::from(">")];
        })
        .unwrap();
        let sentinel_jwt = claims::parse_creds(&sentinel.creds).unwrap().jwt;
        let mut config = op.memory_resolver_config(&[&auth, &acme, &globex]);
        config.push_str(&format!("default_sentinel: {}\n", quote(&sentinel_jwt)));
        let server = NatsServer::start(&config).unwrap();

        let d = dir.path();
        write(d, "acme-sk.nk", &acme_sk.seed().unwrap());
        write(d, "globex-sk.nk", &globex_sk.seed().unwrap());
        write(d, "auth.nk", &auth.key.seed().unwrap());
        write(d, "provisioner.creds", &provisioner_creds);
        for account in [&auth, &acme, &globex] {
            write(d, &format!("{}.jwt", account.claims.name), &account.jwt);
        }
        if let Some(x) = &xkey {
            write(d, "callout.xk", &x.seed().unwrap());
        }
        let acme_file = credentials_entry(
            "users",
            &format!("user = \"{}\"", ALICE.0),
            ALICE.1,
            "tags = [\"role:device\"]",
        ) + &credentials_entry("tokens", "name = \"ci\"", ACME_TOKEN, "");
        write(d, "acme-callout.toml", &acme_file);
        let globex_file = credentials_entry("users", &format!("user = \"{}\"", BOB.0), BOB.1, "");
        write(d, "globex-callout.toml", &globex_file);
        let policy = String::from("version = 1\n\n")
            + &tenant_block("acme", &acme.public_key(), &options.acme_identity)
            + &tenant_block("globex", &globex.public_key(), "");
        write(d, "policy.toml", &policy);
        CalloutEstate {
            dir,
            server,
            acme,
            globex,
            provisioner_creds,
            xkey,
        }
    }

    /// The server's client URL.
    pub fn url(&self) -> String {
        self.server.client_url()
    }

    /// A file in the estate's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts `provisioner serve` answering the callout, and waits until it does.
    pub fn start_provisioner(&self, label: &str) -> ProductProcess {
        let bin = workspace_bin("provisioner").unwrap();
        let p = |name: &str| self.path(name).display().to_string();
        let accounts = format!("{},{},{}", p("AUTH.jwt"), p("acme.jwt"), p("globex.jwt"));
        let (policy, creds, issuer, xkey) = (
            p("policy.toml"),
            p("provisioner.creds"),
            p("auth.nk"),
            p("callout.xk"),
        );
        let url = self.url();
        let mut args = vec![
            "serve",
            "-s",
            &url,
            "--policy",
            &policy,
            "--acc",
            &accounts,
            "--creds",
            &creds,
            "--subject",
            "creds.request",
            "--callout-issuer-key",
            &issuer,
            "--audit-subject",
            AUDIT_SUBJECT,
        ];
        if self.xkey.is_some() {
            args.extend(["--callout-xkey", &xkey]);
        }
        let log = self.path(&format!("{label}.log"));
        let mut process = ProductProcess::start(&bin, &args, log, &[]).unwrap();
        // Both doors: the callout and the credential request endpoint subscribe apart.
        for ready in ["answering auth callout", "serving"] {
            process.wait_for_output(ready, START).unwrap();
        }
        process
    }
}
