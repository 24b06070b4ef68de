//! Activation claims: a token that lets one account import another's private export.

use serde::{Deserialize, Serialize};

use crate::account::ExportType;
use crate::claims_data::Claims;
use crate::omit;

/// The `nats` body of an activation JWT.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    /// The import subject.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// `stream` or `service`; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ExportType>,
    /// The exporting account, when the issuer is one of its signing keys.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Claim type, `activation`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub claim_type: String,
    /// Library version that wrote the claims.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub version: i64,
}

/// An activation JWT's claims.
pub type ActivationClaims = Claims<Activation>;
