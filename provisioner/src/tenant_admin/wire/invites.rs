//! The replies about invites: `invites.create` (the only time a token is shown),
//! `invites.list` and `invites.revoke`. No reply here carries a stored token.

use std::fmt;

use registry::invite::InviteEntry;
use serde::{Deserialize, Serialize};

/// The reply of `invites.create`: the only time the token is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Invite))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Invites))]
pub struct InvitesReply {
    /// The tenant.
    pub tenant: String,
    /// The invites, oldest first.
    pub invites: Vec<InviteView>,
}

/// The reply of `invites.revoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteRevoked {
    /// The tenant.
    pub tenant: String,
    /// The invite.
    pub invite: InviteView,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_invites_redact_the_token() {
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
