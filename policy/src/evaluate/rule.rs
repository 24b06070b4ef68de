//! Stable rule ids, as they appear in [`Step::rule`](crate::Step::rule).

/// The request is well formed (public key, tags).
pub const REQUEST: &str = "request";
/// The tenant is resolved from the caller's account, the request or the invite.
pub const TENANT: &str = "tenant";
/// Legacy mode vouches for an anonymous plain-text request.
pub const IDENTITY_LEGACY: &str = "identity.legacy";
/// The tenant's import vouches for the caller (with required caller tags).
pub const IDENTITY_IMPORT: &str = "identity.import";
/// A redeemed invite vouches for the request.
pub const IDENTITY_INVITE: &str = "identity.invite";
/// The user itself renews the name its key holds.
pub const IDENTITY_RENEWAL: &str = "identity.renewal";
/// A credential the edge verified (callout user or token, ID token) vouches.
pub const IDENTITY_CREDENTIAL: &str = "identity.credential";
/// Some enabled identity source vouched.
pub const IDENTITY: &str = "identity";
/// Proof of key possession.
pub const PROOF: &str = "identity.proof";
/// Issuances per requester per window.
pub const RATE_REQUESTER: &str = "rate_limits.per_requester";
/// Issuances per tenant per window.
pub const RATE_TENANT: &str = "rate_limits.per_tenant";
/// Name length.
pub const NAME_LENGTH: &str = "names.length";
/// Name characters (and a single subject token).
pub const NAME_CHARS: &str = "names.allowed_chars";
/// Name glob.
pub const NAME_PATTERN: &str = "names.pattern";
/// Reserved names.
pub const NAME_RESERVED: &str = "names.reserved";
/// The invite's name pattern.
pub const NAME_INVITE: &str = "names.invite_pattern";
/// Name uniqueness within the tenant.
pub const NAME_UNIQUE: &str = "names.unique";
/// Requested tags are requestable.
pub const TAGS_REQUESTED: &str = "tags.requestable";
/// Lifetime.
pub const TTL: &str = "ttl";
/// Active users of the tenant.
pub const QUOTA: &str = "quotas.max_active_users";
/// Permission templates expanded.
pub const PERMISSIONS: &str = "permissions";
/// Tag templates expanded.
pub const TAGS_STAMP: &str = "tags.stamp";
/// Conditional grants added for the user's tags.
pub const GRANTS: &str = "grants";
