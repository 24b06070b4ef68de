//! The tenant admin endpoints' JSON, shared by the service and `provisioner tenant`.
//!
//! Requests are one shape for every endpoint (unknown fields refused); each endpoint
//! reads the fields it needs and refuses a missing one. Replies are per endpoint; errors
//! use the credential service's error reply (`{"error":{code, reason, request_id}}` with
//! the micro error headers).

use std::fmt;

use registry::entry::UserEntry;
use registry::invite::InviteEntry;
use serde::{Deserialize, Serialize};

/// Largest admin request payload read.
pub const MAX_ADMIN_REQUEST_BYTES: usize = 16 * 1024;

/// One admin endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminOp {
    /// `users.list`: every user of the tenant.
    UsersList,
    /// `users.show`: the users with one name.
    UsersShow,
    /// `users.revoke`: revoke a name.
    UsersRevoke,
    /// `invites.create`: a new invite; the token is in the reply, once.
    InvitesCreate,
    /// `invites.list`: the tenant's invites (never their tokens).
    InvitesList,
    /// `invites.revoke`: revoke an invite by id.
    InvitesRevoke,
    /// `quota`: active users and the limit.
    Quota,
    /// `issuances`: the tenant's issuance history, oldest first.
    Issuances,
}

impl AdminOp {
    /// Every endpoint.
    pub const ALL: [AdminOp; 8] = [
        AdminOp::UsersList,
        AdminOp::UsersShow,
        AdminOp::UsersRevoke,
        AdminOp::InvitesCreate,
        AdminOp::InvitesList,
        AdminOp::InvitesRevoke,
        AdminOp::Quota,
        AdminOp::Issuances,
    ];

    /// The subject after the admin prefix, such as `users.list`.
    pub fn subject_suffix(self) -> &'static str {
        match self {
            AdminOp::UsersList => "users.list",
            AdminOp::UsersShow => "users.show",
            AdminOp::UsersRevoke => "users.revoke",
            AdminOp::InvitesCreate => "invites.create",
            AdminOp::InvitesList => "invites.list",
            AdminOp::InvitesRevoke => "invites.revoke",
            AdminOp::Quota => "quota",
            AdminOp::Issuances => "issuances",
        }
    }

    /// The micro service endpoint name, such as `users-list`.
    pub fn endpoint_name(self) -> &'static str {
        match self {
            AdminOp::UsersList => "users-list",
            AdminOp::UsersShow => "users-show",
            AdminOp::UsersRevoke => "users-revoke",
            AdminOp::InvitesCreate => "invites-create",
            AdminOp::InvitesList => "invites-list",
            AdminOp::InvitesRevoke => "invites-revoke",
            AdminOp::Quota => "quota",
            AdminOp::Issuances => "issuances",
        }
    }

    /// Whether the endpoint changes the registry.
    pub fn writes(self) -> bool {
        matches!(
            self,
            AdminOp::UsersRevoke | AdminOp::InvitesCreate | AdminOp::InvitesRevoke
        )
    }
}

impl fmt::Display for AdminOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.subject_suffix())
    }
}

/// An admin request. Every field is optional on the wire; endpoints refuse missing ones
/// they need. An empty payload is an empty request.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminRequest {
    /// The tenant; when given it must be the caller's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// A user name (`users.show`, `users.revoke`; `issuances`: only this user's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An invite id (`invites.revoke`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The names an invite covers, a glob (`invites.create`, default `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_pattern: Option<String>,
    /// Uses of an invite (`invites.create`, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses: Option<u64>,
    /// Lifetime of an invite in seconds (`invites.create`, default one day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    /// Tags an invite stamps (`invites.create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// The most entries a page holds (`users.list`: default 100, at most 1,000;
    /// `issuances`: default 100, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Where a page starts: the `next_cursor` of the page before (`users.list`,
    /// `issuances`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Only users whose name starts with this (`users.list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Only users in this state (`users.list`): `active`, `expired` or `revoked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    /// Only issuances at or after this time, Unix seconds (`issuances`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// The caller's OpenID Connect ID token, from a connection with no JWT to share (one
    /// the auth callout admitted, such as the portal's for a person): who the caller is
    /// (`token_caller`). Secret: never logged or echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl fmt::Debug for AdminRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminRequest")
            .field("tenant", &self.tenant)
            .field("name", &self.name)
            .field("id", &self.id)
            .field("name_pattern", &self.name_pattern)
            .field("uses", &self.uses)
            .field("ttl_secs", &self.ttl_secs)
            .field("tags", &self.tags)
            .field("limit", &self.limit)
            .field("cursor", &self.cursor)
            .field("prefix", &self.prefix)
            .field("status", &self.status)
            .field("since", &self.since)
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

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

/// The reply of `issuances`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Issuances))]
pub struct IssuancesReply {
    /// The tenant.
    pub tenant: String,
    /// One page of issuances, oldest first.
    pub issuances: Vec<registry::history::Issuance>,
    /// The cursor of the next page, when there is one.
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

/// The reply of `invites.create`: the only time the token is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteCreated {
    /// The tenant.
    pub tenant: String,
    /// The invite's id (the SHA-256 of the token).
    pub id: String,
    /// The token. Secret: shown once, stored by hash only.
    pub token: String,
    /// The names it covers.
    pub name_pattern: String,
    /// Tags it stamps.
    pub tags: Vec<String>,
    /// Uses.
    pub uses: u64,
    /// Expiry, unix seconds.
    pub expires: i64,
}

impl fmt::Debug for InviteCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InviteCreated")
            .field("tenant", &self.tenant)
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .field("name_pattern", &self.name_pattern)
            .field("uses", &self.uses)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// An invite as the admin API shows it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteView {
    /// The id.
    pub id: String,
    /// The names it covers.
    pub name_pattern: String,
    /// Tags it stamps.
    pub tags: Vec<String>,
    /// Uses granted.
    pub uses: u64,
    /// Uses left.
    pub uses_left: u64,
    /// Expiry (0: never).
    pub expires: i64,
    /// Creation time.
    pub created_at: i64,
    /// The admin user who made it.
    pub created_by: String,
    /// Revoked by an admin.
    pub revoked: bool,
    /// Whether it can still be redeemed.
    pub usable: bool,
}

impl InviteView {
    /// The view of invite `id` at `now`.
    pub fn of(id: &str, invite: &InviteEntry, now: i64) -> Self {
        InviteView {
            id: id.to_owned(),
            name_pattern: invite.name_pattern.clone(),
            tags: invite.tags.clone(),
            uses: invite.uses,
            uses_left: invite.uses_left,
            expires: invite.expires,
            created_at: invite.created_at,
            created_by: invite.created_by.clone(),
            revoked: invite.revoked,
            usable: !invite.revoked
                && invite.uses_left > 0
                && registry::entry::unexpired(invite.expires, now),
        }
    }
}

/// The reply of `invites.list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitesReply {
    /// The tenant.
    pub tenant: String,
    /// The invites, oldest first.
    pub invites: Vec<InviteView>,
}

/// The reply of `invites.revoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRevoked {
    /// The tenant.
    pub tenant: String,
    /// The invite.
    pub invite: InviteView,
}

/// The reply of `quota`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Quota))]
pub struct QuotaReply {
    /// The tenant.
    pub tenant: String,
    /// Active users (unexpired, not revoked).
    pub used: u64,
    /// `quotas.max_active_users`, if the policy sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_endpoint_names_are_distinct_tokens() {
        let mut seen = std::collections::HashSet::new();
        for op in AdminOp::ALL {
            assert!(seen.insert(op.subject_suffix()));
            assert!(op
                .endpoint_name()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        }
        assert_eq!(AdminOp::UsersRevoke.to_string(), "users.revoke");
    }

    #[test]
    fn requests_refuse_unknown_fields_and_created_invites_redact_the_token() {
        assert!(serde_json::from_str::<AdminRequest>(r#"{"nme":"x"}"#).is_err());
        let r: AdminRequest = serde_json::from_str(r#"{"name":"alice"}"#).unwrap();
        assert_eq!(r.name.as_deref(), Some("alice"));
        let created = InviteCreated {
            tenant: "acme".into(),
            id: "00".into(),
            token: "inv_SECRET".into(),
            name_pattern: "*".into(),
            tags: vec![],
            uses: 1,
            expires: 5,
        };
        assert!(!format!("{created:?}").contains("SECRET"));
    }
}
