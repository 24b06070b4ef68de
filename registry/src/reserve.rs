//! Steps 4 and 6 of a request with a registry: read the facts `evaluate` needs, and after
//! an Allow reserve everything the decision relied on with compare-and-set writes at the
//! revisions read, recording the minted JWT in the same write as the name.
//!
//! The rate counters come first: they never conflict (`counter`: the server adds and
//! answers with the total), and a request past a limit is refused before anything else
//! is written. Then the invite (one use more, conditional on the revision read), the
//! quota lease (`quota`: the holder's own renewed, or a free one taken with a create),
//! and the user entry (the name, conditional on the revision read; it records the JWT's
//! id and expiry and the lease). If any write finds its key moved on, the earlier ones
//! are rolled back (the counters take their one back, the lease is given back) and the
//! caller reads and decides again; so of two replicas racing for one name, one invite
//! use or the last lease, exactly one wins. A write whose outcome is unknown (a lost acknowledgement) is not
//! rolled back: every record is keyed by name and public key, so the client's retry
//! finds its own reservation and re-issues (a renewal), never a duplicate.

use policy::Tenant;

use crate::entry::{asking_slot, facts, rate_key, rate_window, user_key, Issuance, UserEntry};
use crate::error::RegistryError;
use crate::invite::{InviteEntry, InviteState};
use crate::kv::{Slot, Versioned, WriteError};
use crate::quota::{HeldLease, LeaseError};
use crate::rekey::{covered_login, left_key, login_coverage, next_entry};
use crate::revoked::Refused;
use crate::store::Registry;

/// What the registry held when a request was decided.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The tenant's name.
    pub tenant: String,
    /// The user's slot in the tenant.
    pub slot: String,
    /// The slot's user entry.
    pub user: Slot<UserEntry>,
    /// The quota, when the tenant has one.
    pub max_active: Option<u64>,
    /// The redeemed invite: its bucket key and entry.
    pub invite: Option<(String, Versioned<InviteEntry>)>,
    /// Rate counters to count the issuance in.
    pub rates: Vec<RateCount>,
    /// The facts `evaluate` reads.
    pub facts: policy::RegistryFacts,
    /// A revocation that refuses the request whatever the policy says.
    pub refused: Option<Refused>,
}

impl Snapshot {
    /// The slot's entry, if any.
    pub fn entry(&self) -> Option<&UserEntry> {
        self.user.value()
    }
}

/// One rate limit an issuance counts against.
#[derive(Debug, Clone)]
pub struct RateCount {
    /// The counter's key: tenant, window and (per requester) the requester.
    pub key: String,
    /// The most issuances the window allows.
    pub limit: u64,
    /// Whether this is `per_requester` (else `per_tenant`).
    pub per_requester: bool,
}

/// Who asked, for rate limits and the snapshot.
#[derive(Debug, Clone)]
pub struct Asking<'a> {
    /// The name asked for.
    pub name: &'a str,
    /// The user's public key.
    pub public_key: &'a str,
    /// Who is counted for `rate_limits.per_requester`: the calling user, or the invite,
    /// or the key.
    pub requester: &'a str,
    /// Whether this is a legacy request (legacy rate limits apply).
    pub legacy: bool,
    /// Whether the server made the key for this one connection (auth callout login):
    /// the name's slot is shared by every login of the name.
    pub per_connection: bool,
}

/// Why a reservation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    /// Something changed since the snapshot: read and decide again.
    #[error("the registry changed since it was read")]
    Conflict,
    /// The tenant is at its quota (a re-issue of an expired user found no free slot).
    #[error("the tenant has as many active users as it may")]
    QuotaExceeded,
    /// The window's issuances reached a rate limit.
    #[error("too many credentials issued, try again later")]
    RateLimited {
        /// Whether `per_requester` (else `per_tenant`) was reached.
        per_requester: bool,
    },
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl From<WriteError> for ReserveError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Conflict => ReserveError::Conflict,
            WriteError::Failed(e) => ReserveError::Registry(e),
        }
    }
}

impl Registry {
    /// Reads what `evaluate` needs for `asking` in `tenant`; `invite` is the id and entry
    /// of a token the request carried.
    ///
    /// # Errors
    /// [`RegistryError`] when a read fails.
    pub async fn snapshot(
        &self,
        tenant: &Tenant,
        asking: &Asking<'_>,
        invite: Option<(String, Versioned<InviteEntry>)>,
        now: i64,
    ) -> Result<Snapshot, RegistryError> {
        let config = tenant.config();
        let unique = config.names.unique;
        let slot = asking_slot(
            asking.name,
            asking.public_key,
            asking.per_connection,
            unique,
        );
        // The slot's entry says whether a unique name is revoked; a mark says it for a
        // name that is not unique (a new key gets a new slot) and for a revoked key. A
        // key the server made for this request cannot have been revoked.
        let server_made_key = asking.per_connection || asking.legacy;
        let key = user_key(tenant.name(), &slot);
        let (user, refused) = tokio::try_join!(
            self.users.read::<UserEntry>(&key),
            self.refused_by_mark(
                tenant.name(),
                asking.name,
                asking.public_key,
                !unique,
                !server_made_key,
            ),
        )?;
        let max_active = config.quotas.max_active_users;
        let limits = if asking.legacy {
            config
                .identity
                .legacy
                .rate_limits
                .as_ref()
                .unwrap_or(&config.rate_limits)
        } else {
            &config.rate_limits
        };
        let window = rate_window(now, limits.window_secs);
        // Counted, not read: the reservation adds to each counter and learns its rank,
        // so the policy sees no counts and the limit is enforced exactly there.
        let rates = [
            (limits.per_requester, Some(asking.requester)),
            (limits.per_tenant, None),
        ]
        .into_iter()
        .filter_map(|(limit, requester)| {
            limit.map(|limit| RateCount {
                key: rate_key(tenant.name(), window, requester),
                limit,
                per_requester: requester.is_some(),
            })
        })
        .collect();
        let facts = facts(user.value(), asking.public_key, asking.per_connection);
        Ok(Snapshot {
            tenant: tenant.name().to_owned(),
            slot,
            user,
            max_active,
            invite,
            rates,
            facts,
            refused,
        })
    }

    /// Reserves what an Allow for `issued` relied on, at the snapshot's revisions, and
    /// records the minted JWT; see the module docs for the order and the rollbacks.
    ///
    /// # Errors
    /// [`ReserveError::Conflict`] when something moved on (read and decide again),
    /// [`ReserveError::QuotaExceeded`], or [`ReserveError::Registry`].
    pub async fn reserve(
        &self,
        snapshot: &Snapshot,
        issued: &Issuance,
        now: i64,
    ) -> Result<(), ReserveError> {
        let mut done = Done::default();
        let result = self.reserve_steps(snapshot, issued, now, &mut done).await;
        if matches!(
            result,
            Err(ReserveError::Conflict
                | ReserveError::QuotaExceeded
                | ReserveError::RateLimited { .. })
        ) {
            self.roll_back(snapshot, issued, &done, now).await;
        }
        result
    }

    async fn reserve_steps(
        &self,
        snapshot: &Snapshot,
        issued: &Issuance,
        now: i64,
        done: &mut Done,
    ) -> Result<(), ReserveError> {
        // The tenant's and the requester's counters are independent, so they are
        // added at once (one round trip, not two); every add that took effect is
        // remembered for the roll-back before any result is judged.
        let adds = snapshot
            .rates
            .iter()
            .map(|rate| async move { (rate, self.counters.add(&rate.key, 1).await) });
        let mut counted = Vec::with_capacity(snapshot.rates.len());
        let mut failed = None;
        for (rate, added) in futures::future::join_all(adds).await {
            match added {
                Ok(total) => {
                    done.rates.push(rate.key.clone());
                    counted.push((rate, total));
                }
                Err(err) => failed = failed.or(Some(err)),
            }
        }
        if let Some(err) = failed {
            return Err(err.into());
        }
        for (rate, total) in counted {
            if total > i64::try_from(rate.limit).unwrap_or(i64::MAX) {
                return Err(ReserveError::RateLimited {
                    per_requester: rate.per_requester,
                });
            }
        }
        if let Some((id, invite)) = &snapshot.invite {
            match invite.value.state(&issued.public_key, &issued.name, now) {
                InviteState::AlreadyRedeemed => {}
                InviteState::Spent => return Err(ReserveError::Conflict),
                InviteState::Usable => {
                    let next = invite.value.redeemed(&issued.public_key, &issued.name, now);
                    self.write_invite(id, &next, invite.revision, now).await?;
                    done.invite = true;
                }
            }
        }

        if issued.per_connection {
            // Before the entry: a login recorded is revoked with its name even when the
            // entry's write below loses a race (its JWT is then never handed out).
            self.record_login(
                &snapshot.tenant,
                &snapshot.slot,
                &issued.public_key,
                (issued.exp, now),
            )
            .await?;
        }
        if let Some(left) = left_key(snapshot.entry(), issued, now) {
            // Before the entry forgets it (its list of earlier keys is bounded): revoking
            // the name finds the key here however many keys the name holds after it.
            self.record_left_key(
                &snapshot.tenant,
                &snapshot.slot,
                &left.public_key,
                (left.max_exp, now),
            )
            .await?;
        }
        if covered_login(snapshot.entry(), issued, snapshot.max_active.is_some()) {
            return Ok(());
        }
        let mut lease = None;
        if let Some(max) = snapshot.max_active {
            let held = snapshot.entry().and_then(|e| e.lease);
            let exp = if issued.per_connection {
                login_coverage(issued.exp, now)
            } else {
                issued.exp
            };
            let asked = (exp, max, now);
            let taken = self
                .hold_lease(&snapshot.tenant, &snapshot.slot, held, asked)
                .await
                .map_err(|err| match err {
                    LeaseError::QuotaExceeded => ReserveError::QuotaExceeded,
                    LeaseError::Conflict => ReserveError::Conflict,
                    LeaseError::Registry(err) => ReserveError::Registry(err),
                })?;
            lease = Some(taken.index);
            done.lease = Some(taken);
        }

        let key = user_key(&snapshot.tenant, &snapshot.slot);
        let mut next = next_entry(snapshot.entry(), issued, now);
        next.lease = lease;
        let lease_exp = done.lease.as_ref().map(|held| held.exp);
        let revision = self
            .write_user(&key, &next, snapshot.user.revision(), (lease_exp, now))
            .await?;
        done.user = Some(revision);
        Ok(())
    }

    /// Undoes the writes of a reservation that lost a race. Each undo is itself a
    /// compare-and-set; one that fails is logged and leaves the safe side (a name held,
    /// a slot or an issuance counted, an invite use spent) until it expires.
    async fn roll_back(&self, snapshot: &Snapshot, issued: &Issuance, done: &Done, now: i64) {
        for key in &done.rates {
            self.undo_count(key).await;
        }
        if let Some(held) = &done.lease {
            self.undo_lease(&snapshot.tenant, held).await;
        }
        if let Some(revision) = done.user {
            let key = user_key(&snapshot.tenant, &snapshot.slot);
            // The lease the slot held before, restored above, keeps the entry alive.
            let lease_exp = done
                .lease
                .as_ref()
                .and_then(|held| held.previous.as_ref())
                .filter(|lease| lease.slot == snapshot.slot)
                .map(|lease| lease.exp);
            let undo = match &snapshot.user {
                Slot::Present(old) => self
                    .write_user(&key, &old.value, revision, (lease_exp, now))
                    .await
                    .map(drop),
                Slot::Missing { .. } => self.users.remove(&key, revision).await,
            };
            if let Err(err) = undo {
                tracing::warn!(error = %err, "rolling back a user entry failed");
            }
        }
        if done.invite {
            if let Some((id, _)) = &snapshot.invite {
                self.give_back_invite(id, &issued.public_key, &issued.name, now)
                    .await;
            }
        }
    }

    async fn undo_count(&self, key: &str) {
        if let Err(err) = self.counters.add(key, -1).await {
            tracing::warn!(error = %err, "taking back a rate count failed");
        }
    }
}

/// The writes a reservation made so far.
#[derive(Debug, Default)]
struct Done {
    invite: bool,
    user: Option<u64>,
    lease: Option<HeldLease>,
    rates: Vec<String>,
}

/// Who a request with no identity to count is counted as, for `per_requester`.
pub const ANONYMOUS_REQUESTER: &str = "anonymous";

/// The requester counted for `rate_limits.per_requester`: the calling user when the
/// request came through an import, else the invite, else the name a verified credential
/// (an ID token) vouches for; a request with none of these (a legacy plain-text request
/// from inside the provisioner's account) counts as [`ANONYMOUS_REQUESTER`], one
/// requester for all of them. Never the requested key: the server makes a new one for
/// every legacy request, and any other caller can make a new one for every request.
pub fn requester(
    caller_user: Option<&str>,
    invite_id: Option<&str>,
    vouched_name: Option<&str>,
) -> String {
    match (caller_user.or(invite_id), vouched_name) {
        (Some(who), _) => who.to_owned(),
        (None, Some(name)) => format!("vouched-{name}"),
        (None, None) => String::from(ANONYMOUS_REQUESTER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requesters_are_identities_never_the_requested_key() {
        assert_eq!(
            requester(Some("UCALLER"), Some("inv"), Some("dana")),
            "UCALLER"
        );
        assert_eq!(requester(None, Some("inv"), Some("dana")), "inv");
        assert_eq!(requester(None, None, Some("dana")), "vouched-dana");
        assert_eq!(requester(None, None, None), ANONYMOUS_REQUESTER);
    }
}
