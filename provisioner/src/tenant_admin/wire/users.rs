//! The replies about users: a user as the admin API shows it (with presence), its state
//! as `users.list` filters it, `users.list` / `users.show` and `users.revoke`.

use registry::entry::UserEntry;
use serde::{Deserialize, Serialize};

/// A user's state, as `users.list` filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UserStatus {
    /// Unexpired and not revoked.
    Active,
    /// Every JWT expired; not revoked.
    Expired,
    /// Revoked.
    Revoked,
}

impl UserStatus {
    /// The state of `view`.
    pub fn of(view: &UserView) -> Self {
        if view.revoked {
            UserStatus::Revoked
        } else if view.active {
            UserStatus::Active
        } else {
            UserStatus::Expired
        }
    }
}

/// A user as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = User))]
pub struct UserView {
    /// The name.
    pub name: String,
    /// The public key.
    pub public_key: String,
    /// The last JWT's id.
    pub jti: String,
    /// The last JWT's issue time.
    pub iat: i64,
    /// The last JWT's expiry (0: never).
    pub exp: i64,
    /// The signing key of the last JWT.
    pub issuer: String,
    /// The request that minted the last JWT.
    pub request_id: String,
    /// JWTs issued for this name and key.
    pub issued: u64,
    /// Whether the name is revoked.
    pub revoked: bool,
    /// When it was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
    /// Unexpired and not revoked.
    pub active: bool,
    /// Connections of this name open now (from the server's connect and disconnect
    /// events; 0 where the provisioner keeps no presence).
    #[serde(default)]
    pub connections: u32,
    /// When the name last connected or disconnected, Unix seconds (within the last 30
    /// days), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
}

impl UserView {
    /// The view of `entry` at `now`.
    pub fn of(entry: &UserEntry, now: i64) -> Self {
        UserView {
            name: entry.name.clone(),
            public_key: entry.public_key.clone(),
            jti: entry.jti.clone(),
            iat: entry.iat,
            exp: entry.exp,
            issuer: entry.issuer.clone(),
            request_id: entry.request_id.clone(),
            issued: entry.issued,
            revoked: entry.revoked,
            revoked_at: entry.revoked_at,
            active: entry.is_active(now),
            connections: 0,
            last_seen: None,
        }
    }
}

/// The reply of `users.list` and `users.show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Users))]
pub struct UsersReply {
    /// The tenant.
    pub tenant: String,
    /// The users: by name for `users.show`; for `users.list`, one page in the order
    /// they were last written.
    pub users: Vec<UserView>,
    /// The cursor of the next page of `users.list`, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The reply of `users.revoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Revoked))]
pub struct RevokeReply {
    /// The tenant.
    pub tenant: String,
    /// The name.
    pub name: String,
    /// The public keys revoked.
    pub public_keys: Vec<String>,
    /// When.
    pub revoked_at: i64,
    /// Whether the account's revocations were pushed to the resolver (the server then
    /// closes and refuses the user). When false, the credentials stay valid until they
    /// expire; the name is never renewed.
    pub pushed: bool,
    /// Entries in the account's `revocations` after the push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations: Option<usize>,
    /// Entries pruned because every JWT they refused had expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned: Option<usize>,
    /// What happened, in words.
    pub note: String,
}
