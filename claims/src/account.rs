//! Account claims: imports, exports, limits, signing keys, revocations and the rest of an
//! account JWT, plus the two questions the provisioner asks of one: did this account
//! authorize that signing key, and is that user revoked.

mod exports;
mod imports;
mod limits;
mod signing_keys;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use exports::{Export, ExportType, SamplingRate, ServiceLatency};
pub use imports::Import;
pub use limits::{JetStreamLimits, OperatorLimits};
pub use signing_keys::{SigningKeys, UserScope, USER_SCOPE_KIND};

use crate::claims_data::Claims;
use crate::omit;
use crate::permissions::Permissions;

/// The revocation key that revokes every user.
pub const REVOKE_ALL: &str = "*";

/// One weighted destination of a subject mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightedMapping {
    /// Destination subject.
    #[serde(default)]
    pub subject: String,
    /// Weight in percent; 0 means 100.
    #[serde(default, skip_serializing_if = "omit::zero_u8")]
    pub weight: u8,
    /// Cluster this destination applies to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
}

/// Auth callout settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalAuthorization {
    /// Users that bypass the callout (the callout service's own users).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_users: Vec<String>,
    /// Accounts the callout may place users into, or `*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_accounts: Vec<String>,
    /// The callout service's public xkey.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub xkey: String,
}

/// Message tracing settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgTrace {
    /// Subject traces are sent to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dest: String,
    /// Sampling percentage; 0 means 100.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub sampling: i64,
}

/// The `nats` body of an account JWT.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Imports, sorted by subject on encoding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<Import>,
    /// Exports, sorted by subject on encoding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<Export>,
    /// Limits (always written).
    #[serde(default)]
    pub limits: OperatorLimits,
    /// Signing keys.
    #[serde(default, skip_serializing_if = "SigningKeys::is_empty")]
    pub signing_keys: SigningKeys,
    /// Revoked users: public key (or `*`) to the unix time at or before which their JWTs
    /// are revoked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub revocations: BTreeMap<String, i64>,
    /// Permissions for users that carry none (always written).
    #[serde(default)]
    pub default_permissions: Permissions,
    /// Subject mappings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mappings: BTreeMap<String, Vec<WeightedMapping>>,
    /// Auth callout settings (always written).
    #[serde(default)]
    pub authorization: ExternalAuthorization,
    /// Message tracing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<MsgTrace>,
    /// `system`, `owner` or `account:<key>`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster_traffic: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Info URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub info_url: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Claim type, `account`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub claim_type: String,
    /// Library version that wrote the claims.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub version: i64,
}

/// An account JWT's claims.
pub type AccountClaims = Claims<Account>;

/// How an account authorizes a key that signed one of its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerAuthority<'a> {
    /// The account's identity key itself.
    Identity,
    /// A plain signing key: the user's own permissions apply.
    Plain,
    /// A scoped signing key: the scope's template applies, the user must carry none.
    Scoped(&'a UserScope),
}

impl Account {
    /// New account body as Go's `NewAccountClaims` makes it: unlimited limits.
    pub fn unlimited() -> Self {
        Account {
            limits: OperatorLimits::unlimited(),
            ..Default::default()
        }
    }
}

impl AccountClaims {
    /// New account claims for `account_public_key`, as Go's `NewAccountClaims`.
    pub fn new_account(account_public_key: impl Into<String>) -> Self {
        Claims::with_body(account_public_key, Account::unlimited())
    }

    /// How this account authorizes `signer`, or `None` if it does not.
    pub fn signer_authority(&self, signer: &str) -> Option<SignerAuthority<'_>> {
        if signer == self.sub {
            return Some(SignerAuthority::Identity);
        }
        match self.nats.signing_keys.0.get(signer)? {
            Some(scope) => Some(SignerAuthority::Scoped(scope)),
            None => Some(SignerAuthority::Plain),
        }
    }

    /// Whether a JWT for `user_public_key` issued at `issued_at` is revoked: a revocation
    /// for that key, or for all keys, at or after the issue time. A JWT without an issue
    /// time counts as revoked, as in Go.
    pub fn is_user_revoked(&self, user_public_key: &str, issued_at: i64) -> bool {
        if issued_at == 0 || user_public_key.is_empty() {
            return true;
        }
        let revoked_at = |key: &str| {
            self.nats
                .revocations
                .get(key)
                .is_some_and(|ts| *ts >= issued_at)
        };
        revoked_at(REVOKE_ALL) || revoked_at(user_public_key)
    }

    /// Revokes every JWT of `user_public_key` issued at or before `at`, keeping a newer
    /// existing revocation.
    pub fn revoke_user_at(&mut self, user_public_key: impl Into<String>, at: i64) {
        let entry = self
            .nats
            .revocations
            .entry(user_public_key.into())
            .or_insert(at);
        if *entry < at {
            *entry = at;
        }
    }
}
