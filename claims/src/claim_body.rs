//! Which claim type each `nats` body is: [`ClaimBody`] tells the encoder and decoder the
//! claim's type string, which key kinds may issue it, what its subject must be, and how to
//! take it out of a token decoded as any type.
//!
//! The impls for the six typed bodies are here rather than beside each body: the trait
//! takes an [`AnyClaims`], which holds every body, so it sits above the body modules.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::account::Account;
use crate::activation::Activation;
use crate::any::AnyClaims;
use crate::authorization::{AuthorizationRequest, AuthorizationResponse};
use crate::claims_data::{Claims, LIB_VERSION};
use crate::error::ClaimsError;
use crate::nkey_kind::KeyKind;
use crate::operator::Operator;
use crate::user::User;

/// A claim type's `nats` body.
pub trait ClaimBody:
    Serialize + DeserializeOwned + Clone + Default + PartialEq + std::fmt::Debug
{
    /// The `nats.type` string, for example `user`.
    const TYPE: &'static str;
    /// Key kinds allowed to sign this claim type (Go's `ExpectedPrefixes`).
    const ISSUERS: &'static [KeyKind];
    /// The kind of public key the subject must be, where Go's `Encode` checks it.
    const SUBJECT: Option<KeyKind>;

    /// Sets `type` and `version` and does any normalization Go's `Encode` does (sorting).
    fn prepare_for_encoding(&mut self);

    /// Takes this claim type out of a decoded token of any type.
    fn from_any(any: AnyClaims) -> Result<Claims<Self>, ClaimsError>;
}

/// Implements [`ClaimBody`] for a body whose encoding only sets `type` and `version`.
macro_rules! claim_body {
    ($body:ident, $variant:ident, $type:literal, [$($issuer:ident),+], $subject:expr) => {
        impl ClaimBody for $body {
            const TYPE: &'static str = $type;
            const ISSUERS: &'static [KeyKind] = &[$(KeyKind::$issuer),+];
            const SUBJECT: Option<KeyKind> = $subject;

            fn prepare_for_encoding(&mut self) {
                self.claim_type = Self::TYPE.to_owned();
                self.version = LIB_VERSION;
            }

            fn from_any(any: AnyClaims) -> Result<Claims<Self>, ClaimsError> {
                match any {
                    AnyClaims::$variant(c) => Ok(c),
                    other => Err(other.wrong_type(Self::TYPE)),
                }
            }
        }
    };
}

impl ClaimBody for Account {
    const TYPE: &'static str = "account";
    const ISSUERS: &'static [KeyKind] = &[KeyKind::Account, KeyKind::Operator];
    const SUBJECT: Option<KeyKind> = Some(KeyKind::Account);

    fn prepare_for_encoding(&mut self) {
        // Go uses an unstable sort by subject; with distinct subjects both orders agree.
        self.exports.sort_by(|a, b| a.subject.cmp(&b.subject));
        self.imports.sort_by(|a, b| a.subject.cmp(&b.subject));
        self.claim_type = Self::TYPE.to_owned();
        self.version = LIB_VERSION;
    }

    fn from_any(any: AnyClaims) -> Result<Claims<Self>, ClaimsError> {
        match any {
            AnyClaims::Account(c) => Ok(c),
            other => Err(other.wrong_type(Self::TYPE)),
        }
    }
}

claim_body!(User, User, "user", [Account], Some(KeyKind::User));

claim_body!(
    Operator,
    Operator,
    "operator",
    [Operator],
    Some(KeyKind::Operator)
);

claim_body!(
    Activation,
    Activation,
    "activation",
    [Account, Operator],
    Some(KeyKind::Account)
);

claim_body!(
    AuthorizationRequest,
    AuthorizationRequest,
    "authorization_request",
    [Server],
    None
);

claim_body!(
    AuthorizationResponse,
    AuthorizationResponse,
    "authorization_response",
    [Account],
    None
);
