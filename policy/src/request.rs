//! What `evaluate` decides about: the request, who sent it, and registry facts.
//!
//! The provisioner builds these from the wire request after parsing and after the
//! checks only the edge can do: verifying the proof signature, redeeming an invite token
//! against the registry, reading `Nats-Request-Info` from a trusted import, and counting
//! users and issuances. Nothing here is trusted more than the edge that filled it in.

/// A credential request, as parsed by the edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The tenant named in the request, if any. For import-identified requests it must
    /// match the tenant of the caller's account.
    pub tenant: Option<String>,
    /// The user name requested.
    pub name: String,
    /// The user's public key (`U…`). For legacy requests the edge generates the key pair
    /// and puts its public key here.
    pub public_key: String,
    /// Requested lifetime in seconds; capped by policy, never extended.
    pub ttl_secs: Option<u64>,
    /// Tags the request asks for; each must be requestable in the tenant.
    pub tags: Vec<String>,
    /// Whether the edge verified the request's proof of key possession.
    pub proof_verified: bool,
    /// Whether that proof is a `nats-provisioner-proof-v1`, which binds neither the
    /// token, the ID token, the TTL nor the tags; `identity.proof.accept_v1` decides
    /// whether it counts.
    pub proof_v1: bool,
    /// Whether this is the seed's plain-text request.
    pub legacy: bool,
    /// The redeemed invite, when the request carried a token the edge validated.
    pub invite: Option<InviteGrant>,
    /// A credential the edge verified: a callout user or token, or an ID token.
    pub credential: Option<VerifiedCredential>,
    /// What the edge read from its registry for this tenant, name and requester.
    pub facts: RegistryFacts,
}

impl Request {
    /// A request for `name` with public key `public_key`, everything else empty.
    ///
    /// # Examples
    /// ```
    /// let request = policy::Request::new("alice", "UABC");
    /// assert_eq!(request.name, "alice");
    /// assert!(!request.proof_verified && !request.legacy);
    /// ```
    pub fn new(name: impl Into<String>, public_key: impl Into<String>) -> Self {
        Request {
            name: name.into(),
            public_key: public_key.into(),
            ..Default::default()
        }
    }
}

/// What a redeemed invite token grants; the registry's side is the edge's business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteGrant {
    /// The tenant the invite is for.
    pub tenant: String,
    /// Glob the requested name must match (`*` for any name the tenant allows).
    pub name_pattern: String,
    /// Tags to stamp on the user in addition to the tenant's.
    pub tags: Vec<String>,
}

/// What kind of credential the edge verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A user name and password from a tenant's callout credentials file.
    Password,
    /// A token from a tenant's callout credentials file.
    Token,
    /// An OpenID Connect ID token verified against the tenant's `identity.oidc`.
    IdToken,
}

/// A credential the edge verified, and what it says about the user. The secret itself
/// never reaches this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCredential {
    /// What was verified.
    pub kind: CredentialKind,
    /// Whether it arrived in a CONNECT through auth callout (else in a request).
    pub via_callout: bool,
    /// The tenant the credential belongs to.
    pub tenant: String,
    /// The user name the credential vouches for.
    pub name: String,
    /// Tags to stamp on the user in addition to the tenant's.
    pub tags: Vec<String>,
    /// Unix time after which the credential is no longer valid (an ID token's `exp`);
    /// minted credentials never outlive it.
    pub not_after: Option<i64>,
}

/// Who holds the requested name in the tenant, as the registry says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NameHolder {
    /// Nobody.
    #[default]
    Free,
    /// The requesting public key: a re-issue.
    SameKey,
    /// Another public key.
    OtherKey,
}

/// Registry counts and lookups the edge made before deciding.
///
/// Counts refer to the tenant's current rate-limit window
/// ([`crate::Tenant::rate_window_secs`]). The reservation after an Allow re-checks them
/// with compare-and-set; these values make the decision explainable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryFacts {
    /// Users of the tenant with unexpired credentials.
    pub active_users: u64,
    /// Issuances to this requester in the current window.
    pub issuances_by_requester: u64,
    /// Issuances in this tenant in the current window.
    pub issuances_by_tenant: u64,
    /// Who holds the requested name.
    pub name_holder: NameHolder,
}

/// Who sent the request, as far as the edge can vouch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The caller's account from `Nats-Request-Info.acc`; set by the edge only for
    /// requests that crossed an import, where the server sets the header.
    pub caller_account: Option<String>,
    /// The caller's tags (`KEY:value`) from `Nats-Request-Info`.
    pub caller_tags: Vec<String>,
    /// The caller's user public key, when shared.
    pub caller_user: Option<String>,
    /// The caller's user name (`name_tag`), when shared.
    pub caller_name: Option<String>,
}

impl Identity {
    /// No identity at all: an anonymous request.
    pub fn anonymous() -> Self {
        Identity::default()
    }

    /// A caller from account `account` with tags `tags`, as a trusted
    /// `Nats-Request-Info` says.
    ///
    /// # Examples
    /// ```
    /// let id = policy::Identity::through_import("AACC", ["role:enroller"]);
    /// assert_eq!(id.caller_account.as_deref(), Some("AACC"));
    /// ```
    pub fn through_import<T: Into<String>>(
        account: impl Into<String>,
        tags: impl IntoIterator<Item = T>,
    ) -> Self {
        Identity {
            caller_account: Some(account.into()),
            caller_tags: tags.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}
