//! The callout's answer: an `AuthorizationResponseClaims` JWT for the server that asked
//! (`aud` = its id) about the user it made up (`sub` = `user_nkey`), carrying the user
//! JWT or an error, signed by the callout account's key (with `issuer_account` when that
//! is a signing key), and sealed to the server's xkey when the request was sealed.
//!
//! The server logs an error response's text but does not pass it to the client, which
//! sees only an authorization violation.

use claims::{AuthorizationResponse, AuthorizationResponseClaims, ClaimsError};

use crate::callout::keys::CalloutKeys;
use crate::callout::request::CalloutRequest;

/// What to tell the server.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    /// Let the client in as this user JWT.
    Granted(&'a str),
    /// Refuse, for this reason (no secrets).
    Refused(&'a str),
}

impl std::fmt::Debug for Answer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Granted(_) => f.write_str("Granted"),
            Answer::Refused(reason) => write!(f, "Refused({reason:?})"),
        }
    }
}

/// Why no response could be made.
#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    /// Signing failed.
    #[error("signing the callout response: {0}")]
    Sign(#[from] ClaimsError),
    /// Sealing failed.
    #[error("sealing the callout response to the server's xkey")]
    Seal,
}

/// The response payload for `request` at time `now`.
///
/// # Errors
/// [`RespondError`] when signing or sealing fails.
pub fn response(
    request: &CalloutRequest,
    answer: Answer<'_>,
    keys: &CalloutKeys,
    now: i64,
) -> Result<Vec<u8>, RespondError> {
    let (jwt, error) = match answer {
        Answer::Granted(jwt) => (jwt.to_owned(), String::new()),
        Answer::Refused(reason) => (String::new(), reason.to_owned()),
    };
    let body = AuthorizationResponse {
        jwt,
        error,
        issuer_account: keys.issuer_account.clone().unwrap_or_default(),
        ..Default::default()
    };
    let mut claims = AuthorizationResponseClaims::with_body(request.user_nkey(), body);
    claims.aud = request.server_id().to_owned();
    let token = claims.encode(&keys.issuer, now)?;
    match (&request.server_xkey, &keys.xkey) {
        (Some(server), Some(ours)) => ours
            .seal(token.as_bytes(), server)
            .map_err(|_| RespondError::Seal),
        _ => Ok(token.into_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use claims::KeyPair;
    use nkeys::XKey;

    use super::*;
    use crate::callout::request::open_request;
    use crate::callout::request::tests::{server_request, NOW};
    use crate::callout::sealer::Sealer;

    #[test]
    fn responses_are_for_the_user_and_server_signed_and_sealed() {
        let server = KeyPair::new_server();
        let auth = KeyPair::new_account();
        let user = KeyPair::new_user().public_key();
        let ours = XKey::new();
        let theirs = XKey::new();
        let token = server_request(&server, &auth.public_key(), &user, |c| {
            c.nats.server_id.xkey = theirs.public_key();
        });
        let sealed = theirs.seal(token.as_bytes(), &ours).unwrap();
        let request = open_request(
            &sealed,
            Some(&theirs.public_key()),
            Some(&Sealer::new(ours.clone()).unwrap()),
            &auth.public_key(),
            NOW,
        )
        .unwrap();
        let keys = CalloutKeys {
            account: auth.public_key(),
            issuer: auth,
            issuer_account: None,
            mode: crate::config::CalloutMode::Operator,
            xkey: Some(Sealer::new(ours.clone()).unwrap()),
        };
        let payload = response(&request, Answer::Refused("no"), &keys, NOW).unwrap();
        // The server opens it with its key, from ours.
        let opened = theirs.open(&payload, &ours).unwrap();
        let back =
            AuthorizationResponseClaims::decode(std::str::from_utf8(&opened).unwrap()).unwrap();
        assert_eq!(back.sub, user);
        assert_eq!(back.aud, server.public_key());
        assert_eq!(back.iss, keys.account);
        assert_eq!(back.nats.error, "no");
        assert!(back.nats.jwt.is_empty());

        let plain = open_request(token.as_bytes(), None, None, &keys.account, NOW).unwrap();
        let keys = CalloutKeys { xkey: None, ..keys };
        let payload = response(&plain, Answer::Granted("eyJ.x.y"), &keys, NOW).unwrap();
        let back =
            AuthorizationResponseClaims::decode(std::str::from_utf8(&payload).unwrap()).unwrap();
        assert_eq!(back.nats.jwt, "eyJ.x.y");
        assert!(back.nats.error.is_empty());
        assert_eq!(format!("{:?}", Answer::Granted("eyJ.x.y")), "Granted");
    }
}
