//! Auth callout (nats-server 2.10+, ADR-26): the server asks the provisioner, on
//! `$SYS.REQ.USER.AUTH` in the callout account, whether a connecting client may in and as
//! whom. The provisioner maps the CONNECT credentials to an identity, lets the same
//! policy decide as for credential requests, and answers with a user JWT for the key the
//! server made up (`user_nkey`), signed by the tenant's signing key, or with an error.
//! Clients then need no creds file at all.
//!
//! Layout:
//! - `request`: open (xkey), decode and check the server-signed request;
//! - `credentials`: the tenants' callout users and tokens (salted SHA-256 digests);
//! - `identify`: CONNECT credentials (user and password, token, ID token) → identity;
//! - `invite`: an invite token at CONNECT, redeemed through the registry;
//! - `handle`: one request through identify → decide → mint → response;
//! - `respond`: the signed, optionally sealed, response;
//! - `sealer`: opening and sealing with the server's xkey, each server's box kept;
//! - `keys`: the response signing key and the xkey, checked against the callout account;
//! - `setup`: loading and checking the keys at start-up and on reload (the flags are in
//!   `config::callout`);
//! - `service`: the queue subscription, concurrency bound and drain.
//!
//! Operator mode: the user JWT is signed by the tenant's key and its issuer account
//! places the user (the callout account's `allowed_accounts` must list the tenants).
//! Config mode (`authorization { auth_callout { … } }`): the callout issuer signs every
//! user and the JWT's audience places it (`identity.callout.config_account`).

pub mod credentials;
pub mod handle;
pub mod identify;
pub mod invite;
pub mod keys;
pub mod request;
pub mod respond;
pub mod sealer;
pub mod service;
pub mod setup;

/// The subject the server sends authorization requests to, in the callout account.
pub const AUTH_CALLOUT_SUBJECT: &str = "$SYS.REQ.USER.AUTH";
/// The header carrying the server's public xkey when the request is sealed.
pub const SERVER_XKEY_HEADER: &str = "Nats-Server-Xkey";
