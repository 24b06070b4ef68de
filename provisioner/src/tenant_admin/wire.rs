//! The tenant admin endpoints' JSON, shared by the service and `provisioner tenant`.
//!
//! Requests are one shape for every endpoint (unknown fields refused); each endpoint
//! reads the fields it needs and refuses a missing one. Replies are per endpoint; errors
//! use the credential service's error reply (`{"error":{code, reason, request_id}}` with
//! the micro error headers).
//!
//! Here: the endpoints, the request, and the small replies (quota, issuances); the
//! replies about users are `users`, about invites `invites`.

use std::fmt;

use serde::{Deserialize, Serialize};

mod invites;
mod users;

pub use invites::{InviteCreated, InviteRevoked, InviteView, InvitesReply};
pub use users::{RevokeReply, UserStatus, UserView, UsersReply};

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
    fn requests_refuse_unknown_fields() {
        assert!(serde_json::from_str::<AdminRequest>(r#"{"nme":"x"}"#).is_err());
        let r: AdminRequest = serde_json::from_str(r#"{"name":"alice"}"#).unwrap();
        assert_eq!(r.name.as_deref(), Some("alice"));
        let filtered: AdminRequest =
            serde_json::from_str(r#"{"prefix":"al","status":"revoked"}"#).unwrap();
        assert_eq!(filtered.status, Some(UserStatus::Revoked));
        assert!(serde_json::from_str::<AdminRequest>(r#"{"status":"asleep"}"#).is_err());
    }
}
