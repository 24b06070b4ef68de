//! A decoded token of any claim type.

use serde_json::Value;

use crate::account::AccountClaims;
use crate::activation::ActivationClaims;
use crate::authorization::{AuthorizationRequestClaims, AuthorizationResponseClaims};
use crate::claims_data::Standard;
use crate::error::ClaimsError;
use crate::generic::GenericClaims;
use crate::operator::OperatorClaims;
use crate::user::UserClaims;

/// Claims of whatever type the token carried.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyClaims {
    /// An operator JWT.
    Operator(OperatorClaims),
    /// An account JWT.
    Account(AccountClaims),
    /// A user JWT.
    User(UserClaims),
    /// An activation JWT.
    Activation(ActivationClaims),
    /// An auth callout request.
    AuthorizationRequest(AuthorizationRequestClaims),
    /// An auth callout response.
    AuthorizationResponse(AuthorizationResponseClaims),
    /// Any other type.
    Generic(GenericClaims),
}

impl AnyClaims {
    /// The claim type's name (`user`, `account`, …; `generic` for the rest).
    pub fn type_name(&self) -> &'static str {
        match self {
            AnyClaims::Operator(_) => "operator",
            AnyClaims::Account(_) => "account",
            AnyClaims::User(_) => "user",
            AnyClaims::Activation(_) => "activation",
            AnyClaims::AuthorizationRequest(_) => "authorization_request",
            AnyClaims::AuthorizationResponse(_) => "authorization_response",
            AnyClaims::Generic(_) => "generic",
        }
    }

    /// The standard fields.
    pub fn standard(&self) -> Standard<'_> {
        match self {
            AnyClaims::Operator(c) => c.standard(),
            AnyClaims::Account(c) => c.standard(),
            AnyClaims::User(c) => c.standard(),
            AnyClaims::Activation(c) => c.standard(),
            AnyClaims::AuthorizationRequest(c) => c.standard(),
            AnyClaims::AuthorizationResponse(c) => c.standard(),
            AnyClaims::Generic(c) => c.standard(),
        }
    }

    /// The claims as JSON with Go's field names.
    pub fn to_value(&self) -> Value {
        let typed = match self {
            AnyClaims::Operator(c) => serde_json::to_value(c),
            AnyClaims::Account(c) => serde_json::to_value(c),
            AnyClaims::User(c) => serde_json::to_value(c),
            AnyClaims::Activation(c) => serde_json::to_value(c),
            AnyClaims::AuthorizationRequest(c) => serde_json::to_value(c),
            AnyClaims::AuthorizationResponse(c) => serde_json::to_value(c),
            AnyClaims::Generic(c) => return c.to_value(),
        };
        typed.unwrap_or(Value::Null)
    }

    pub(crate) fn wrong_type(&self, expected: &'static str) -> ClaimsError {
        ClaimsError::WrongClaimType {
            expected,
            found: self.type_name().to_owned(),
        }
    }
}
