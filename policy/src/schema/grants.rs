//! Conditional grants of a tenant (`[[tenants.grants]]`): subjects added to the
//! permissions of the users that carry a tag.
//!
//! A grant is how a tenant entitles some of its users to a service: a user tagged
//! `svc:storage` (by an invite, an ID token's tags claim, a callout credentials entry or
//! a stamp) gets publish on `svc.storage.>`, a user without the tag does not, and NATS
//! itself refuses the latter's requests. A user lacking a grant's tag is not denied; it
//! simply gets the tenant's base permissions.

use serde::{Deserialize, Serialize};

/// One conditional grant: allow templates added for users carrying `tag`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantConfig {
    /// The tag a user must carry (ASCII case ignored) for the grant to apply.
    pub tag: String,
    /// Publish subject templates added to the user's `pub.allow`.
    #[serde(rename = "pub", default)]
    pub publish: GrantRules,
    /// Subscribe subject templates added to the user's `sub.allow`.
    #[serde(rename = "sub", default)]
    pub subscribe: GrantRules,
}

/// The subjects a grant adds; a grant only ever allows more, so there is no `deny` (the
/// tenant's `permissions.*.deny` still applies on top).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRules {
    /// Subject templates appended to the user's allow list; same rules as the tenant's
    /// `permissions.*.allow` templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
}
