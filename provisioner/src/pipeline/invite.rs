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
/// bucket key (see `registry::invite`) and the entry. Redemptions are recorded under the
/// name as the registry knows it (folded where the invite's tenant ignores case), so a
/// retry of a redemption is recognised by that form.
pub async fn read_invite(
    registry: &Registry,
    token: &str,
    (request, policy): (&policy::Request, &policy::Policy),
    now: i64,
) -> Result<(String, Versioned<InviteEntry>), Rejection> {
    let invite = registry.invite_by_token(token).await.map_err(|err| {
        tracing::error!(error = %err, "reading an invite failed");
        Rejection::registry_unavailable()
    })?;
    let Some((key, invite)) = invite else {
        return Err(invite_invalid());
    };
    let name = policy.tenant(&invite.value.tenant).map_or_else(
        || request.name.clone(),
        |t| t.config().names.unique_form(&request.name),
    );
    if invite.value.state(&request.public_key, &name, now) == InviteState::Spent {
        return Err(invite_invalid());
    }
    Ok((key, invite))
}
