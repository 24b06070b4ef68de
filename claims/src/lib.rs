//! NATS JWT v2 claims, encoded byte for byte as Go's `nats-io/jwt/v2` (v2.8.2) writes
//! them, decoded and verified as Go reads them, and validated with Go's blocking rules.
//!
//! Pure: no IO, no clock reads, no randomness. Keys and times (`iat`, `now`) are
//! arguments; the caller generates keys and reads the clock.
//!
//! Layout:
//! - [`claims_data`](Claims): the envelope (`aud` … `sub`, `nats`) and the `jti` recipe;
//! - bodies: [`User`], [`Account`] (with imports, exports, limits, signing keys),
//!   [`Operator`], [`Activation`], [`AuthorizationRequest`], [`AuthorizationResponse`],
//!   [`GenericClaims`]; shared permission shapes in [`UserPermissionLimits`];
//! - `any`: [`AnyClaims`], a decoded token of whichever type it carried;
//! - [`claim_body`](ClaimBody): each typed body's claim type, issuer and subject kinds, and
//!   its way out of [`AnyClaims`];
//! - `encode` / `decode`: signing and verification; [`decode`] is Go's `jwt.Decode`,
//!   [`decode_generic`] Go's `DecodeGeneric`, and [`decode_any`] picks between them by type;
//! - [`validate`](Validate): Go's `Validate` rules as typed [`ValidationError`]s and
//!   [`ValidationWarning`]s against a given clock value, [`validate_any`] for decoded
//!   tokens and [`validate_scoped_signer`] for users of scoped signing keys;
//! - [`creds`](parse_creds): the `.creds` file format;
//! - `inbox`: a user's private reply inbox prefix, `_INBOX.<name>`
//!   ([`private_inbox_prefix`], [`creds_inbox_prefix`]);
//! - [`KeyKind`]: the nkey kinds; `nkey_check`: strict checks of public keys and seeds
//!   against a kind ([`check_public_key`], [`keypair_from_seed`]);
//! - `go_json`: Go `encoding/json` compatible output.

#![warn(missing_docs)]

mod account;
mod activation;
mod any;
mod authorization;
mod claim_body;
mod claims_data;
mod creds;
mod decode;
mod decode_generic;
mod encode;
mod error;
mod generic;
mod go_json;
mod inbox;
mod nkey_check;
mod nkey_kind;
mod omit;
mod operator;
mod permissions;
mod user;
mod validate;

pub use account::{
    Account, AccountClaims, Export, ExportType, ExternalAuthorization, Import, JetStreamLimits,
    MsgTrace, OperatorLimits, SamplingRate, ServiceLatency, SignerAuthority, SigningKeys,
    UserScope, WeightedMapping, REVOKE_ALL, USER_SCOPE_KIND,
};
pub use activation::{Activation, ActivationClaims};
pub use any::AnyClaims;
pub use authorization::{
    AuthorizationRequest, AuthorizationRequestClaims, AuthorizationResponse,
    AuthorizationResponseClaims, ClientInformation, ClientTls, ConnectOptions, ServerId,
    AUTH_REQUEST_AUDIENCE,
};
pub use claim_body::ClaimBody;
pub use claims_data::{Claims, Standard, LIB_VERSION};
pub use creds::{format_creds, jwt_from_creds_or_token, parse_creds, Creds, UserSeed};
pub use decode::{decode, MAX_TOKEN_SIZE};
pub use decode_generic::{decode_any, decode_generic};
pub use encode::HEADER_B64;
pub use error::ClaimsError;
pub use generic::GenericClaims;
pub use go_json::{format_go_float, to_go_json};
pub use inbox::{creds_inbox_prefix, private_inbox_prefix, INBOX_PREFIX};
pub use nkey_check::{check_public_key, is_public_key, keypair_from_seed, seed_kind};
pub use nkey_kind::KeyKind;
pub use nkeys::KeyPair;
pub use operator::{Operator, OperatorClaims};
pub use permissions::{
    CidrList, Permission, Permissions, ResponsePermission, TimeRange, UserPermissionLimits,
    NO_LIMIT,
};
pub use user::{User, UserClaims};
pub use validate::{
    validate_any, validate_scoped_signer, TimeBound, Validate, ValidationError, ValidationReport,
    ValidationWarning, MAX_INFO_LENGTH,
};
