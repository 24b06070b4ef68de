//! The stable deny codes `evaluate` answers with, as callers see them (`error.code`),
//! and the NATS micro status each maps to.

use std::fmt;

/// A stable deny code, sent to callers as `error.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyCode {
    /// The request is malformed (bad public key, bad tag, bad lifetime arithmetic).
    BadRequest,
    /// The tenant is not served by this policy.
    UnknownTenant,
    /// The tenant named disagrees with the caller's account or the invite.
    TenantMismatch,
    /// No enabled identity source vouches for the request.
    IdentityRequired,
    /// The caller lacks a tag the policy requires or a template uses.
    CallerTagMissing,
    /// A proof of key possession is required and was not verified.
    ProofRequired,
    /// The proof is a `nats-provisioner-proof-v1`, which binds neither the token, the ID
    /// token, the TTL nor the tags, and the tenant accepts only v2
    /// (`identity.proof.accept_v1 = false`).
    ProofOutdated,
    /// The tenant requires an invite and the request has none.
    InviteRequired,
    /// The request carries an invite but the tenant does not accept invites.
    InviteNotConfigured,
    /// The invite does not cover this request (another tenant or name).
    InviteMismatch,
    /// A verified credential (callout user or token, ID token) names another user, or
    /// the tenant does not accept it.
    CredentialMismatch,
    /// A plain-text request where legacy mode is off.
    LegacyDisabled,
    /// The name breaks the tenant's name rules.
    NameInvalid,
    /// The name is reserved.
    NameReserved,
    /// The name belongs to another public key.
    NameTaken,
    /// A requested tag is not requestable.
    TagNotAllowed,
    /// The requested lifetime is invalid (zero).
    TtlInvalid,
    /// The tenant has as many active users as it may.
    QuotaExceeded,
    /// Too many issuances in the current window.
    RateLimited,
    /// A value would not be one literal subject token.
    SubjectUnsafe,
}

impl DenyCode {
    /// Every code, for documentation and tests.
    pub const ALL: [DenyCode; 20] = [
        DenyCode::BadRequest,
        DenyCode::UnknownTenant,
        DenyCode::TenantMismatch,
        DenyCode::IdentityRequired,
        DenyCode::CallerTagMissing,
        DenyCode::ProofRequired,
        DenyCode::ProofOutdated,
        DenyCode::InviteRequired,
        DenyCode::InviteNotConfigured,
        DenyCode::InviteMismatch,
        DenyCode::CredentialMismatch,
        DenyCode::LegacyDisabled,
        DenyCode::NameInvalid,
        DenyCode::NameReserved,
        DenyCode::NameTaken,
        DenyCode::TagNotAllowed,
        DenyCode::TtlInvalid,
        DenyCode::QuotaExceeded,
        DenyCode::RateLimited,
        DenyCode::SubjectUnsafe,
    ];

    /// The wire code, such as `name_taken`.
    pub fn as_str(self) -> &'static str {
        match self {
            DenyCode::BadRequest => "bad_request",
            DenyCode::UnknownTenant => "unknown_tenant",
            DenyCode::TenantMismatch => "tenant_mismatch",
            DenyCode::IdentityRequired => "identity_required",
            DenyCode::CallerTagMissing => "caller_tag_missing",
            DenyCode::ProofRequired => "proof_required",
            DenyCode::ProofOutdated => "proof_outdated",
            DenyCode::InviteRequired => "invite_required",
            DenyCode::InviteNotConfigured => "invite_not_configured",
            DenyCode::InviteMismatch => "invite_mismatch",
            DenyCode::CredentialMismatch => "credential_mismatch",
            DenyCode::LegacyDisabled => "legacy_disabled",
            DenyCode::NameInvalid => "name_invalid",
            DenyCode::NameReserved => "name_reserved",
            DenyCode::NameTaken => "name_taken",
            DenyCode::TagNotAllowed => "tag_not_allowed",
            DenyCode::TtlInvalid => "ttl_invalid",
            DenyCode::QuotaExceeded => "quota_exceeded",
            DenyCode::RateLimited => "rate_limited",
            DenyCode::SubjectUnsafe => "subject_unsafe",
        }
    }

    /// The code for `Nats-Service-Error-Code`: 400 bad request, 403 denied, 409 conflict,
    /// 429 rate limited or over quota.
    ///
    /// # Examples
    /// ```
    /// use policy::DenyCode;
    /// assert_eq!(DenyCode::NameTaken.service_error_code(), 409);
    /// assert_eq!(DenyCode::RateLimited.service_error_code(), 429);
    /// ```
    pub fn service_error_code(self) -> u16 {
        match self {
            DenyCode::BadRequest
            | DenyCode::NameInvalid
            | DenyCode::TtlInvalid
            | DenyCode::SubjectUnsafe => 400,
            DenyCode::NameTaken => 409,
            DenyCode::QuotaExceeded | DenyCode::RateLimited => 429,
            DenyCode::UnknownTenant
            | DenyCode::TenantMismatch
            | DenyCode::IdentityRequired
            | DenyCode::CallerTagMissing
            | DenyCode::ProofRequired
            | DenyCode::ProofOutdated
            | DenyCode::InviteRequired
            | DenyCode::InviteNotConfigured
            | DenyCode::InviteMismatch
            | DenyCode::CredentialMismatch
            | DenyCode::LegacyDisabled
            | DenyCode::NameReserved
            | DenyCode::TagNotAllowed => 403,
        }
    }

    /// The code for a wire string, if it is one.
    pub fn from_code(code: &str) -> Option<Self> {
        DenyCode::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for DenyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_mapped() {
        let mut seen = std::collections::HashSet::new();
        for code in DenyCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(DenyCode::from_code(code.as_str()), Some(code));
            assert!([400, 403, 409, 429].contains(&code.service_error_code()));
        }
        assert_eq!(DenyCode::from_code("nope"), None);
        assert_eq!(DenyCode::BadRequest.service_error_code(), 400);
        assert_eq!(DenyCode::UnknownTenant.service_error_code(), 403);
        assert_eq!(DenyCode::QuotaExceeded.service_error_code(), 429);
    }
}
