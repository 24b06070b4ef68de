//! Operator claims: the root of trust a server is configured with.

use serde::{Deserialize, Serialize};

use crate::claims_data::Claims;
use crate::omit;

/// The `nats` body of an operator JWT.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// Operator signing keys (written in insertion order, as Go does).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_keys: Vec<String>,
    /// URL of an account server.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account_server_url: String,
    /// NATS URLs of the operator's servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operator_service_urls: Vec<String>,
    /// Public key of the system account.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub system_account: String,
    /// Minimum server version, `major.minor.patch`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub assert_server_version: String,
    /// Accounts must be signed by a signing key, not the identity key.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub strict_signing_key_usage: bool,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Claim type, `operator`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub claim_type: String,
    /// Library version that wrote the claims.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub version: i64,
}

/// An operator JWT's claims.
pub type OperatorClaims = Claims<Operator>;

impl OperatorClaims {
    /// Whether `key` is the operator's identity key or one of its signing keys.
    pub fn is_operator_key(&self, key: &str) -> bool {
        key == self.sub || self.nats.signing_keys.iter().any(|k| k == key)
    }
}
