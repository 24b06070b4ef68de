//! Reading the invite a request's token names, for the reserve step. An unknown,
//! expired, revoked or used-up invite gets one refusal, so a guesser learns nothing.

use registry::invite::{is_token_shaped, token_id, InviteEntry, InviteState};
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

/// Reads the invite a token names and checks it can vouch for `request`.
pub async fn read_invite(
    registry: &Registry,
    token: &str,
    request: &policy::Request,
    now: i64,
) -> Result<(String, Versioned<InviteEntry>), Rejection> {
    if !is_token_shaped(token) {
        return Err(invite_invalid());
    }
    let id = token_id(token);
    let invite = registry.invite(&id).await.map_err(|err| {
        tracing::error!(error = %err, "reading an invite failed");
        Rejection::internal()
    })?;
    match invite {
        Some(invite)
            if invite.value.state(&request.public_key, &request.name, now)
                != InviteState::Spent =>
        {
            Ok((id, invite))
        }
        _ => Err(invite_invalid()),
    }
}
