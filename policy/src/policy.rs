//! The checked policy: tenants with compiled templates, and how to obtain one.
//!
//! A [`Policy`] exists only after load-time validation passed, so `evaluate` can rely
//! on its invariants (every granted subject lies in its tenant's namespace, no `$SYS`,
//! no permissions for scoped keys, TTL maximum at least the default). It reads no files:
//! the provisioner reads the text and resolves signing key paths.

use std::fmt;

use crate::error::PolicyErrors;
use crate::load;
use crate::names::Charset;
use crate::schema::{
    IdentityConfig, ImportConfig, LegacyConfig, NamesConfig, PermissionsConfig, PolicyFile,
    ProofConfig, RateLimitsConfig, SigningKeyConfig, SubjectRules, TenantConfig, TtlConfig,
    SCHEMA_VERSION,
};
use crate::template::{SubjectTemplate, TextTemplate};
use crate::validate;

/// Where the signing key of a tenant comes from; the provisioner loads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SigningKeyRef {
    /// A file holding the account seed (`SA…`).
    Path(String),
    /// The public key (`A…`) of a key in the provisioner's key store.
    PublicKey(String),
}

impl fmt::Display for SigningKeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningKeyRef::Path(path) => write!(f, "file `{path}`"),
            SigningKeyRef::PublicKey(key) => write!(f, "public key `{key}`"),
        }
    }
}

/// Subject templates and fixed limits of a tenant, compiled at load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompiledPermissions {
    pub(crate) pub_allow: Vec<SubjectTemplate>,
    pub(crate) pub_deny: Vec<SubjectTemplate>,
    pub(crate) sub_allow: Vec<SubjectTemplate>,
    pub(crate) sub_deny: Vec<SubjectTemplate>,
    /// Everything but the subject lists, already in claims form.
    pub(crate) fixed: claims::UserPermissionLimits,
}

/// One checked tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub(crate) index: usize,
    pub(crate) config: TenantConfig,
    pub(crate) signing_key: SigningKeyRef,
    pub(crate) charset: Charset,
    pub(crate) permissions: Option<CompiledPermissions>,
    pub(crate) stamp: Vec<TextTemplate>,
}

impl Tenant {
    /// The tenant's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The tenant account's public key.
    pub fn account(&self) -> &str {
        &self.config.account
    }

    /// The subject namespace of the tenant's users.
    pub fn namespace(&self) -> &str {
        &self.config.namespace
    }

    /// The signing key to load.
    pub fn signing_key(&self) -> &SigningKeyRef {
        &self.signing_key
    }

    /// Whether the signing key is scoped (users carry no permissions).
    pub fn is_scoped(&self) -> bool {
        self.config.signing_key.scoped
    }

    /// Whether plain-text legacy requests are served for this tenant.
    pub fn legacy_enabled(&self) -> bool {
        self.config.identity.legacy.enabled
    }

    /// The tag a caller must carry to use the tenant admin endpoints.
    pub fn admin_tag(&self) -> &str {
        &self.config.identity.admin_tag
    }

    /// Whether a user may renew its own credentials (`identity.renewal.enabled`).
    pub fn renewal_enabled(&self) -> bool {
        self.config.identity.renewal.enabled
    }

    /// The longest lifetime this tenant grants, legacy included, seconds.
    pub fn max_ttl_secs(&self) -> u64 {
        self.config.ttl.max_secs.max(self.legacy_ttl().max_secs)
    }

    /// The rate-limit window the edge counts issuances in, seconds.
    pub fn rate_window_secs(&self) -> u64 {
        self.config.rate_limits.window_secs
    }

    /// The rate-limit window for legacy requests, seconds.
    pub fn legacy_rate_window_secs(&self) -> u64 {
        self.legacy_rate_limits().window_secs
    }

    /// The tenant as configured (after validation).
    pub fn config(&self) -> &TenantConfig {
        &self.config
    }

    /// Position in the policy file's `tenants` array.
    pub fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn legacy_rate_limits(&self) -> &RateLimitsConfig {
        self.config
            .identity
            .legacy
            .rate_limits
            .as_ref()
            .unwrap_or(&self.config.rate_limits)
    }

    pub(crate) fn legacy_ttl(&self) -> &TtlConfig {
        self.config
            .identity
            .legacy
            .ttl
            .as_ref()
            .unwrap_or(&self.config.ttl)
    }

    /// `tenants[i]`, for explanations.
    pub(crate) fn place(&self) -> String {
        format!("tenants[{}]", self.index)
    }
}

/// A checked policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) tenants: Vec<Tenant>,
}

impl Policy {
    /// Parses and checks a policy file's text.
    ///
    /// # Errors
    /// [`PolicyErrors`] listing every problem with its place (`tenants[1].ttl.max_secs`)
    /// and, where known, its line and column: TOML syntax, unknown keys, wrong types,
    /// and every load-time validation failure.
    ///
    /// # Examples
    /// ```
    /// let text = r#"
    ///     version = 1
    ///     [[tenants]]
    ///     name = "acme"
    ///     account = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y"
    ///     namespace = "tenant.acme"
    ///     signing_key = { path = "/keys/acme.nk" }
    ///     identity.import.enabled = true
    ///     permissions.pub.allow = ["tenant.acme.{name}.>"]
    ///     permissions.sub.allow = ["tenant.acme.{name}.>", "_INBOX.>"]
    /// "#;
    /// let policy = policy::Policy::from_toml_str(text).unwrap();
    /// assert_eq!(policy.tenants()[0].namespace(), "tenant.acme");
    ///
    /// let errors = policy::Policy::from_toml_str(&text.replace("pub.allow", "pub.allw"))
    ///     .unwrap_err();
    /// let shown: Vec<String> = errors.problems().iter().map(|p| p.to_string()).collect();
    /// assert!(shown.contains(&"tenants[0].permissions.pub.allw (line 9, column 21): \
    ///     unknown key `allw`, expected `allow` or `deny`".to_owned()));
    /// // Without the key, the allow list is empty: also a problem, listed too.
    /// assert_eq!(errors.len(), 2);
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyErrors> {
        load::from_toml_str(text)
    }

    /// Checks a policy built in code.
    ///
    /// # Errors
    /// [`PolicyErrors`] listing every validation problem with its schema path.
    pub fn from_file(file: PolicyFile) -> Result<Policy, PolicyErrors> {
        validate::validate(file)
    }

    /// The seed's behaviour (the KubeCon 2020 "chat-access" responder) as a policy: one
    /// tenant `KUBECON` in legacy mode, any well-formed name, and exactly the tutorial's
    /// permissions: pub `NS.online`, `NS.posts.*`, `NS.dms.*`; sub `NS.online`,
    /// `NS.posts.*`, `NS.dms.{public_key}`, `_INBOX.>`; payload 1024 bytes.
    ///
    /// Names follow the default name rules (the edge's legacy parser may normalize them
    /// as the seed did) and, as in the seed, are not unique: every plain-text request gets
    /// a fresh key. Deliberate difference: credentials live a day, not a year.
    ///
    /// # Errors
    /// [`PolicyErrors`] when `account` is not an account public key or `namespace` is not
    /// a literal subject.
    ///
    /// # Examples
    /// ```
    /// use policy::{evaluate, Identity, Policy, Request, SigningKeyRef};
    /// let account = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y";
    /// let sk = SigningKeyRef::Path("/keys/kubecon-sk.nk".into());
    /// let policy = Policy::seed_legacy(account, sk, "chat.KUBECON").unwrap();
    /// let user = "UCV7CR7AQFTIDLTGDYEZPGP66OGVFAWZLRIRZGDNDTTD4UG5MPVTALTI";
    /// let mut request = Request::new("wallyqs", user);
    /// request.legacy = true;
    /// let decision = evaluate(&policy, &request, &Identity::anonymous(), 1_700_000_000);
    /// let allow = decision.allow().unwrap();
    /// assert_eq!(allow.permissions.payload, 1024);
    /// assert!(allow.permissions.subscribe.allow.contains(&format!("chat.KUBECON.dms.{user}")));
    /// ```
    pub fn seed_legacy(
        account: &str,
        signing_key: SigningKeyRef,
        namespace: &str,
    ) -> Result<Policy, PolicyErrors> {
        let (path, public_key) = match signing_key {
            SigningKeyRef::Path(p) => (Some(p), None),
            SigningKeyRef::PublicKey(k) => (None, Some(k)),
        };
        let allow = |subjects: &[&str]| -> Vec<String> {
            subjects
                .iter()
                .map(|s| format!("{namespace}.{s}"))
                .collect()
        };
        let mut sub_allow = allow(&["online", "posts.*", "dms.{public_key}"]);
        sub_allow.push(String::from("_INBOX.>"));
        let tenant = TenantConfig {
            name: String::from("KUBECON"),
            description: String::from("the KubeCon 2020 chat-access responder"),
            account: account.to_owned(),
            namespace: namespace.to_owned(),
            signing_key: SigningKeyConfig {
                path,
                public_key,
                scoped: false,
            },
            identity: IdentityConfig {
                import: ImportConfig::default(),
                proof: ProofConfig { required: false },
                invite: Default::default(),
                legacy: LegacyConfig {
                    enabled: true,
                    ttl: None,
                    rate_limits: None,
                },
                ..IdentityConfig::default()
            },
            names: NamesConfig {
                unique: false,
                ..NamesConfig::default()
            },
            permissions: Some(PermissionsConfig {
                publish: SubjectRules {
                    allow: allow(&["online", "posts.*", "dms.*"]),
                    deny: Vec::new(),
                },
                subscribe: SubjectRules {
                    allow: sub_allow,
                    deny: Vec::new(),
                },
                payload: SEED_MAX_PAYLOAD,
                ..PermissionsConfig::default()
            }),
            ttl: TtlConfig {
                default_secs: SEED_TTL_SECS,
                max_secs: SEED_TTL_SECS,
            },
            ..TenantConfig::default()
        };
        Policy::from_file(PolicyFile {
            version: SCHEMA_VERSION,
            tenants: vec![tenant],
        })
    }

    /// The tenants, in file order.
    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }

    /// The tenant named `name`.
    pub fn tenant(&self, name: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.name() == name)
    }

    /// The tenant whose account is `account`; the edge trusts `Nats-Request-Info` only
    /// from these accounts.
    pub fn tenant_by_account(&self, account: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.account() == account)
    }
}

/// The seed's maximum message payload, bytes.
pub const SEED_MAX_PAYLOAD: i64 = 1024;
/// Lifetime of seed-policy credentials: one day.
pub const SEED_TTL_SECS: u64 = 24 * 60 * 60;
