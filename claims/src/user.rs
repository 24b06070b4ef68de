//! User claims: what a minted credential carries.

use serde::{Deserialize, Serialize};

use crate::claims_data::Claims;
use crate::omit;
use crate::permissions::UserPermissionLimits;

/// The `nats` body of a user JWT.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Permissions and limits, flattened as Go embeds them.
    #[serde(flatten)]
    pub permissions: UserPermissionLimits,
    /// The account, when the issuer is one of its signing keys.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Claim type, `user`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub claim_type: String,
    /// Library version that wrote the claims.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub version: i64,
}

/// A user JWT's claims.
pub type UserClaims = Claims<User>;

impl User {
    /// What Go's `NewUserClaims` starts with: no permissions, unlimited subs/data/payload.
    pub fn unlimited() -> Self {
        User {
            permissions: UserPermissionLimits::unlimited(),
            ..Default::default()
        }
    }
}

impl UserClaims {
    /// New user claims for `user_public_key`, as Go's `NewUserClaims` makes them.
    pub fn new_user(user_public_key: impl Into<String>) -> Self {
        Claims::with_body(user_public_key, User::unlimited())
    }

    /// The account this user belongs to: `issuer_account` when set, else the issuer.
    pub fn account(&self) -> &str {
        if self.nats.issuer_account.is_empty() {
            &self.iss
        } else {
            &self.nats.issuer_account
        }
    }
}
