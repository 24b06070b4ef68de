//! Who a callout CONNECT is: its credentials mapped to a [`policy::VerifiedCredential`].
//!
//! - a CONNECT token that looks like a JWT (`eyJ…`, three dot-separated parts) is an ID
//!   token, verified against the `identity.oidc` of the tenants that trust its issuer;
//! - any other token is looked up in the tenants' callout credentials;
//! - a password that looks like a JWT is an ID token too (the user name is then ignored:
//!   some clients can send only a user and password);
//! - a token or password shaped like an invite (`inv_…`) is an invite, redeemed through
//!   the registry (the user name, if any, is the name asked for);
//! - any other user and password is looked up in the callout credentials.
//!
//! The outcome says only which tenant, name and tags the credential stands for; the
//! policy then decides. Refusals carry a fixed code and a reason without secrets.

use claims::ConnectOptions;
use oidc::OidcVerifiers;
use policy::{CredentialKind, VerifiedCredential};
use registry::invite::is_token_shaped;

use crate::callout::credentials::{CalloutCredentials, Holder};

/// What the CONNECT carried.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// A user name and password.
    Password {
        /// The user name.
        user: &'a str,
        /// The password.
        password: &'a str,
    },
    /// An opaque token.
    Token(&'a str),
    /// An OpenID Connect ID token.
    IdToken(&'a str),
    /// An invite token, with the name asked for (the CONNECT user) when it came as a
    /// password.
    Invite {
        /// The CONNECT user name, if the invite came as the password.
        name: Option<&'a str>,
        /// The invite token.
        token: &'a str,
    },
    /// No credential the callout understands (for example only an nkey).
    Nothing,
}

impl std::fmt::Debug for Presented<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Presented::Password { user, .. } => write!(f, "Password {{ user: {user:?} }}"),
            Presented::Token(_) => f.write_str("Token"),
            Presented::IdToken(_) => f.write_str("IdToken"),
            Presented::Invite { name, .. } => write!(f, "Invite {{ name: {name:?} }}"),
            Presented::Nothing => f.write_str("Nothing"),
        }
    }
}

/// Whether `text` has the shape of a compact JWS: `eyJ…` and three non-empty parts.
pub fn looks_like_jwt(text: &str) -> bool {
    text.starts_with("eyJ") && text.split('.').count() == 3 && !text.split('.').any(str::is_empty)
}

/// Sorts the CONNECT credentials as the module docs say.
pub fn presented(opts: &ConnectOptions) -> Presented<'_> {
    if !opts.auth_token.is_empty() {
        if looks_like_jwt(&opts.auth_token) {
            return Presented::IdToken(&opts.auth_token);
        }
        if is_token_shaped(&opts.auth_token) {
            return Presented::Invite {
                name: None,
                token: &opts.auth_token,
            };
        }
        return Presented::Token(&opts.auth_token);
    }
    if !opts.pass.is_empty() {
        if looks_like_jwt(&opts.pass) {
            return Presented::IdToken(&opts.pass);
        }
        if is_token_shaped(&opts.pass) {
            return Presented::Invite {
                name: (!opts.user.is_empty()).then_some(opts.user.as_str()),
                token: &opts.pass,
            };
        }
        return Presented::Password {
            user: &opts.user,
            password: &opts.pass,
        };
    }
    Presented::Nothing
}

/// A CONNECT whose credentials identify nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unidentified {
    /// Stable code: `credentials_missing`, `credentials_invalid` or `id_token_invalid`.
    pub code: &'static str,
    /// One line without secrets.
    pub reason: String,
}

impl Unidentified {
    fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Unidentified {
            code,
            reason: reason.into(),
        }
    }
}

/// Maps `presented` to a verified credential at time `now`.
///
/// # Errors
/// [`Unidentified`] when there is no credential, the user, password or token is wrong,
/// or the ID token does not verify for any tenant.
pub fn identify(
    presented: Presented<'_>,
    credentials: &CalloutCredentials,
    oidc: &OidcVerifiers,
    now: i64,
) -> Result<VerifiedCredential, Unidentified> {
    let from_holder = |kind, holder: &Holder| VerifiedCredential {
        kind,
        via_callout: true,
        tenant: holder.tenant.clone(),
        name: holder.name.clone(),
        tags: holder.tags.clone(),
        not_after: None,
    };
    match presented {
        Presented::Nothing => Err(Unidentified::new(
            "credentials_missing",
            "the connection presented no user and password, token or ID token",
        )),
        Presented::Password { user, password } => credentials
            .check_password(user, password)
            .map(|h| from_holder(CredentialKind::Password, h))
            .ok_or_else(|| Unidentified::new("credentials_invalid", "wrong user name or password")),
        Presented::Token(token) => credentials
            .check_token(token)
            .map(|h| from_holder(CredentialKind::Token, h))
            .ok_or_else(|| Unidentified::new("credentials_invalid", "unknown token")),
        Presented::IdToken(token) => {
            let mut credential = oidc
                .verify(token, now)
                .map_err(|err| Unidentified::new("id_token_invalid", err.to_string()))?;
            credential.via_callout = true;
            Ok(credential)
        }
        // Redeemed through the registry by the caller; here only when none runs.
        Presented::Invite { .. } => Err(Unidentified::new(
            "invite_not_configured",
            "invite tokens need the registry, which this provisioner does not run",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(user: &str, pass: &str, token: &str) -> ConnectOptions {
        ConnectOptions {
            user: user.to_owned(),
            pass: pass.to_owned(),
            auth_token: token.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn credentials_are_sorted_by_shape() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
        let o = opts("alice", "pw", "");
        assert_eq!(
            presented(&o),
            Presented::Password {
                user: "alice",
                password: "pw"
            }
        );
        let o = opts("", "", "tok");
        assert_eq!(presented(&o), Presented::Token("tok"));
        let o = opts("", "", jwt);
        assert_eq!(presented(&o), Presented::IdToken(jwt));
        let o = opts("whoever", jwt, "");
        assert_eq!(presented(&o), Presented::IdToken(jwt));
        assert_eq!(presented(&opts("alice", "", "")), Presented::Nothing);
        let invite = "inv_ABCDEFGHIJKLMNOP234567";
        assert_eq!(
            presented(&opts("ivy", invite, "")),
            Presented::Invite {
                name: Some("ivy"),
                token: invite
            }
        );
        assert_eq!(
            presented(&opts("", "", invite)),
            Presented::Invite {
                name: None,
                token: invite
            }
        );
        assert!(!format!("{:?}", presented(&opts("ivy", invite, ""))).contains(invite));
        assert!(!looks_like_jwt("eyJ.."));
        assert!(!looks_like_jwt("abc.def.ghi"));
        assert!(!format!("{:?}", presented(&opts("alice", "pw", ""))).contains("pw"));
    }

    #[test]
    fn nothing_and_wrong_secrets_are_unidentified() {
        let creds = CalloutCredentials::default();
        let oidc = OidcVerifiers::default();
        let err = identify(Presented::Nothing, &creds, &oidc, 0).unwrap_err();
        assert_eq!(err.code, "credentials_missing");
        let p = Presented::Password {
            user: "alice",
            password: "hunter2",
        };
        let err = identify(p, &creds, &oidc, 0).unwrap_err();
        assert_eq!(err.code, "credentials_invalid");
        assert!(!err.reason.contains("hunter2"));
        let err = identify(Presented::Token("t"), &creds, &oidc, 0).unwrap_err();
        assert_eq!(err.code, "credentials_invalid");
        let err = identify(Presented::IdToken("eyJ.a.b"), &creds, &oidc, 0).unwrap_err();
        assert_eq!(err.code, "id_token_invalid");
        let invite = Presented::Invite {
            name: None,
            token: "inv_AAAA",
        };
        let err = identify(invite, &creds, &oidc, 0).unwrap_err();
        assert_eq!(err.code, "invite_not_configured");
    }
}
