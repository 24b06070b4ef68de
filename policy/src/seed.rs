//! The seed's behaviour as a policy: the KubeCon 2020 "chat-access" responder's one
//! tenant, in legacy mode, with exactly the tutorial's permissions.

use crate::error::PolicyErrors;
use crate::policy::{Policy, SigningKeyRef};
use crate::schema::{
    IdentityConfig, ImportConfig, LegacyConfig, NamesConfig, PermissionsConfig, PolicyFile,
    ProofConfig, SigningKeyConfig, SubjectRules, TenantConfig, TtlConfig, SCHEMA_VERSION,
};

/// The seed's maximum message payload, bytes.
pub const SEED_MAX_PAYLOAD: i64 = 1024;
/// Lifetime of seed-policy credentials: one day.
pub const SEED_TTL_SECS: u64 = 24 * 60 * 60;

impl Policy {
    /// The seed's behaviour (the KubeCon 2020 "chat-access" responder) as a policy: one
    /// tenant `KUBECON` in legacy mode, any well-formed name, and exactly the tutorial's
    /// permissions: pub `NS.online`, `NS.posts.*`, `NS.dms.*`; sub `NS.online`,
    /// `NS.posts.*`, `NS.dms.{public_key}`, `_INBOX.>`; payload 1024 bytes.
    ///
    /// Names follow the default name rules (the edge's legacy parser may normalize them
    /// as the seed did) and, as in the seed, are not unique: every plain-text request gets
    /// a fresh key. Deliberate difference: credentials live a day, not a year.
    ///
    /// What it exposes, kept for the tutorial: every user it mints (and the tutorial's
    /// requester) may subscribe to `_INBOX.>`, so reads every reply sent in the account,
    /// including the `.creds` of every later user with the seed the provisioner made.
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
                proof: ProofConfig {
                    required: false,
                    ..ProofConfig::default()
                },
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
}
