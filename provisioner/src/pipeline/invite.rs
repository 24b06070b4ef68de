//! Reading the invite a request's token names, for the reserve step: found from the token
//! alone (it names its tenant, whose prefix the invite is stored under). An unknown,
//! expired, revoked or used-up invite, and a token naming a tenant its invite is not
//! of, get one refusal, so a guesser learns nothing.

use registry::invite::{InviteEntry, InviteState};
use registry::kv::Versioned;
use registry::Registry;

use crate::rejection::Rejection;

/// The refusal of a token that is unknown, expired, revoked or used up (one code for all,
/// so that the reply tells a guesser nothing).
pub fn invite_invalid() -> Rejection {
    Rejection::denied(
        "invite_invalid",
        "the invite is unknown, expired, revoked or used up",
    )
}

/// Reads the invite a token names and checks it can vouch for `request`; returns its
/// bucket key (see `registry::invite`) and the entry.
pub async fn read_invite(
    registry: &Registry,
    token: &str,
    request: &policy::Request,
    now: i64,
) -> Result<(String, Versioned<InviteEntry>), Rejection> {
    let invite = registry.invite_by_token(token).await.map_err(|err| {
        tracing::error!(error = %err, "reading an invite failed");
        Rejection::internal()
    })?;
    match invite {
        Some((key, invite))
            if invite.value.state(&request.public_key, &request.name, now)
                != InviteState::Spent =>
        {
            Ok((key, invite))
        }
        _ => Err(invite_invalid()),
    }
}
