//! An auth callout request as it arrives on `$SYS.REQ.USER.AUTH`: opened (when the
//! server sealed it to our xkey), decoded, and checked before anything else looks at it.
//!
//! Checks, in order: size; sealing (with an xkey configured every request must be sealed
//! by the server key in `Nats-Server-Xkey`, without one none may be); the JWT decodes and
//! its signature verifies with an issuer that is a server key (`N…`); `aud` is
//! `nats-authorization-request`; `exp` is set and not past (with a small skew); the
//! server id is the issuer; the subject is the callout account; `user_nkey` is a user
//! key; and a sealed request names the same server xkey inside as outside. A request
//! failing any check gets no reply (the client then times out), as `synadia-io/callout.go`
//! advises: nothing in it can be trusted to address a reply.
//!
//! Pure: the time is an argument; no IO. Not here: the CONNECT credentials (`identify`).

use claims::{AuthorizationRequestClaims, KeyKind, AUTH_REQUEST_AUDIENCE};
use nkeys::XKey;

use crate::callout::sealer::Sealer;

/// The largest request accepted: a JWT at Go's size cap plus the sealing overhead.
pub const MAX_REQUEST_BYTES: usize = claims::MAX_TOKEN_SIZE + 1024;
/// Clock skew accepted on a request's `exp` (the server sets `exp` = now + auth timeout).
pub const REQUEST_CLOCK_SKEW_SECS: i64 = 10;

/// A request that passed every check.
#[derive(Debug)]
pub struct CalloutRequest {
    /// The decoded claims. Holds the CONNECT secrets: never log it whole.
    pub claims: AuthorizationRequestClaims,
    /// The server's xkey when the request was sealed; the reply is sealed to it.
    pub server_xkey: Option<XKey>,
}

impl CalloutRequest {
    /// The user public key the response must be for.
    pub fn user_nkey(&self) -> &str {
        &self.claims.nats.user_nkey
    }

    /// The asking server's id (its `N…` public key), the response's audience.
    pub fn server_id(&self) -> &str {
        &self.claims.nats.server_id.id
    }
}

/// Why a callout request was dropped. Never carries request content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Larger than [`MAX_REQUEST_BYTES`].
    #[error("request of {size} bytes is over the {max}-byte limit")]
    TooLarge {
        /// The size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A plain request while an xkey is configured.
    #[error("request is not sealed, but an xkey is configured")]
    NotSealed,
    /// A sealed request while no xkey is configured.
    #[error("request is sealed, but no xkey is configured (give --callout-xkey)")]
    NoXkey,
    /// `Nats-Server-Xkey` is not a curve public key.
    #[error("`Nats-Server-Xkey` is not a curve public key")]
    BadServerXkey,
    /// The sealed payload does not open (tampered, or sealed to another key).
    #[error("sealed request does not open: tampered or sealed to another xkey")]
    Open,
    /// The JWT does not decode or verify.
    #[error("request JWT: {0}")]
    Jwt(#[source] claims::ClaimsError),
    /// `aud` is not `nats-authorization-request`.
    #[error("request audience is not `nats-authorization-request`")]
    Audience,
    /// `exp` is missing or past.
    #[error("request has no expiry or has expired")]
    Expired,
    /// The server id is not the issuer.
    #[error("request server id is not its issuer")]
    ServerId,
    /// The subject is not the callout account.
    #[error("request is for callout account `{found}`, not `{expected}`")]
    Account {
        /// The account the provisioner serves.
        expected: String,
        /// The request's subject.
        found: String,
    },
    /// `user_nkey` is not a user public key.
    #[error("request `user_nkey` is not a user public key")]
    UserNkey,
    /// The xkey inside the request differs from the header's.
    #[error("request names another server xkey than its header")]
    XkeyMismatch,
}

/// Opens and checks one request for callout account `account` at time `now`.
///
/// # Errors
/// The first [`RequestError`] in the order of the module docs.
pub fn open_request(
    payload: &[u8],
    header_xkey: Option<&str>,
    our_xkey: Option<&Sealer>,
    account: &str,
    now: i64,
) -> Result<CalloutRequest, RequestError> {
    if payload.len() > MAX_REQUEST_BYTES {
        return Err(RequestError::TooLarge {
            size: payload.len(),
            max: MAX_REQUEST_BYTES,
        });
    }
    let (token, server_xkey) = match (header_xkey, our_xkey) {
        (None, None) => (String::from_utf8_lossy(payload).into_owned(), None),
        (None, Some(_)) => return Err(RequestError::NotSealed),
        (Some(_), None) => return Err(RequestError::NoXkey),
        (Some(header), Some(ours)) => {
            let server =
                XKey::from_public_key(header.trim()).map_err(|_| RequestError::BadServerXkey)?;
            let opened = ours
                .open(payload, &server)
                .map_err(|_| RequestError::Open)?;
            let token = String::from_utf8(opened).map_err(|_| RequestError::Open)?;
            (token, Some(server))
        }
    };
    let claims = AuthorizationRequestClaims::decode(token.trim()).map_err(RequestError::Jwt)?;
    if claims.aud != AUTH_REQUEST_AUDIENCE {
        return Err(RequestError::Audience);
    }
    if claims.exp <= 0 || now > claims.exp.saturating_add(REQUEST_CLOCK_SKEW_SECS) {
        return Err(RequestError::Expired);
    }
    if claims.nats.server_id.id != claims.iss {
        return Err(RequestError::ServerId);
    }
    if claims.sub != account {
        return Err(RequestError::Account {
            expected: account.to_owned(),
            found: claims.sub.clone(),
        });
    }
    if !claims::is_public_key(&claims.nats.user_nkey, KeyKind::User) {
        return Err(RequestError::UserNkey);
    }
    if let Some(server) = &server_xkey {
        if claims.nats.server_id.xkey != server.public_key() {
            return Err(RequestError::XkeyMismatch);
        }
    }
    Ok(CalloutRequest {
        claims,
        server_xkey,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use claims::{AuthorizationRequest, KeyPair};

    use super::*;

    pub(crate) const NOW: i64 = 1_800_000_000;

    /// A request as nats-server 2.15 signs it, for `account`, with the CONNECT user and
    /// password given; sealed to `to` by `server_xkey` when both are given.
    pub(crate) fn server_request(
        server: &KeyPair,
        account: &str,
        user_nkey: &str,
        shape: impl FnOnce(&mut AuthorizationRequestClaims),
    ) -> String {
        let mut claims = AuthorizationRequestClaims::with_body(
            account.to_owned(),
            AuthorizationRequest::default(),
        );
        claims.aud = AUTH_REQUEST_AUDIENCE.to_owned();
        claims.exp = NOW + 2;
        claims.nats.server_id.id = server.public_key();
        claims.nats.server_id.name = String::from("test-server");
        claims.nats.user_nkey = user_nkey.to_owned();
        claims.nats.connect_opts.user = String::from("alice");
        claims.nats.connect_opts.pass = String::from("s3cret");
        shape(&mut claims);
        claims.encode(server, NOW).unwrap()
    }

    fn setup() -> (KeyPair, String, String) {
        let server = KeyPair::new_server();
        let account = KeyPair::new_account().public_key();
        let user = KeyPair::new_user().public_key();
        (server, account, user)
    }

    #[test]
    fn a_plain_request_opens_and_passes() {
        let (server, account, user) = setup();
        let token = server_request(&server, &account, &user, |_| {});
        let req = open_request(token.as_bytes(), None, None, &account, NOW).unwrap();
        assert_eq!(req.user_nkey(), user);
        assert_eq!(req.server_id(), server.public_key());
        assert!(req.server_xkey.is_none());
        assert_eq!(req.claims.nats.connect_opts.user, "alice");
        assert!(!format!("{req:?}").contains("s3cret"));
    }

    #[test]
    fn a_sealed_request_opens_and_a_tampered_one_does_not() {
        let (server, account, user) = setup();
        let ours = XKey::new();
        let theirs = XKey::new();
        let token = server_request(&server, &account, &user, |c| {
            c.nats.server_id.xkey = theirs.public_key();
        });
        let sealed = theirs.seal(token.as_bytes(), &ours).unwrap();
        let header = theirs.public_key();
        let req = open_request(
            &sealed,
            Some(&header),
            Some(&Sealer::new(ours.clone()).unwrap()),
            &account,
            NOW,
        )
        .unwrap();
        assert_eq!(req.server_xkey.unwrap().public_key(), header);

        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        let err = open_request(
            &tampered,
            Some(&header),
            Some(&Sealer::new(ours.clone()).unwrap()),
            &account,
            NOW,
        );
        assert_eq!(err.unwrap_err(), RequestError::Open);
        let other = XKey::new();
        let err = open_request(
            &sealed,
            Some(&header),
            Some(&Sealer::new(other.clone()).unwrap()),
            &account,
            NOW,
        );
        assert_eq!(err.unwrap_err(), RequestError::Open);
        // The xkey inside must be the header's.
        let liar = XKey::new();
        let sealed = liar.seal(token.as_bytes(), &ours).unwrap();
        let err = open_request(
            &sealed,
            Some(&liar.public_key()),
            Some(&Sealer::new(ours.clone()).unwrap()),
            &account,
            NOW,
        );
        assert_eq!(err.unwrap_err(), RequestError::XkeyMismatch);
    }

    #[test]
    fn sealing_must_match_the_configuration() {
        let (server, account, user) = setup();
        let token = server_request(&server, &account, &user, |_| {});
        let ours = XKey::new();
        let err = open_request(
            token.as_bytes(),
            None,
            Some(&Sealer::new(ours.clone()).unwrap()),
            &account,
            NOW,
        );
        assert_eq!(err.unwrap_err(), RequestError::NotSealed);
        let header = XKey::new().public_key();
        let err = open_request(token.as_bytes(), Some(&header), None, &account, NOW);
        assert_eq!(err.unwrap_err(), RequestError::NoXkey);
        let err = open_request(
            token.as_bytes(),
            Some("XNOPE"),
            Some(&Sealer::new(ours.clone()).unwrap()),
            &account,
            NOW,
        );
        assert_eq!(err.unwrap_err(), RequestError::BadServerXkey);
    }

    #[test]
    fn every_claim_check_refuses() {
        let (server, account, user) = setup();
        let check = |token: String| open_request(token.as_bytes(), None, None, &account, NOW);
        type Shape = fn(&mut AuthorizationRequestClaims);
        let cases: [(Shape, RequestError); 4] = [
            (|c| c.aud = String::from("other"), RequestError::Audience),
            (|c| c.exp = 0, RequestError::Expired),
            (
                |c| c.exp = NOW - REQUEST_CLOCK_SKEW_SECS - 1,
                RequestError::Expired,
            ),
            (
                |c| c.nats.server_id.id = KeyPair::new_server().public_key(),
                RequestError::ServerId,
            ),
        ];
        for (shape, want) in cases {
            assert_eq!(
                check(server_request(&server, &account, &user, shape)).unwrap_err(),
                want
            );
        }
        let err = check(server_request(&server, &account, "UNOPE", |_| {}));
        assert_eq!(err.unwrap_err(), RequestError::UserNkey);
        let other = KeyPair::new_account().public_key();
        let err = check(server_request(&server, &other, &user, |_| {}));
        assert!(matches!(err.unwrap_err(), RequestError::Account { .. }));
        // Not signed by a server key.
        let mut claims =
            AuthorizationRequestClaims::decode(&server_request(&server, &account, &user, |_| {}))
                .unwrap();
        assert!(claims.encode(&KeyPair::new_account(), NOW).is_err());
        let err = check(String::from("not.a.jwt"));
        assert!(matches!(err.unwrap_err(), RequestError::Jwt(_)));
        let big = vec![b'a'; MAX_REQUEST_BYTES + 1];
        let err = open_request(&big, None, None, &account, NOW);
        assert!(matches!(err.unwrap_err(), RequestError::TooLarge { .. }));
    }
}
