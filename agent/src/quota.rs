//! A tenant's quota slots at a site kept exact across agents that die: the slots are
//! held by resource ids ([`crate::store`]), and every allocation has a lifecycle record
//! from before it takes its slot until it ends ([`crate::queued::book`]), so the agent can
//! tell a slot whose allocation is still at work from one whose agent died between
//! taking the slot and recording the resource.
//!
//! [`reconcile`] recounts a tenant's slots with compare-and-set: a slot stays taken while
//! its resource exists, or while its record is in flight and not past its deadline (plus
//! [`SLOT_GRACE_SECS`] for clocks that differ between replicas); every resource that
//! exists holds one. Anything else is given back. The agent reconciles every tenant when
//! it starts, and a tenant whose slots are all taken before refusing an allocation.
//!
//! Why no allocation at work loses its slot: its record is written `pending` before the
//! slot is taken, so an id among the slots always has its record to read; the record's
//! deadline is one the work cannot outlive (a live request is dropped, handler and all,
//! when its time budget runs out, and that budget is the live record's deadline; a queued
//! request that is overdue when taken is not run, work an agent starts is due no sooner
//! than its handler can last (`Queue::work_secs`), and a request delivered again is
//! carried on by the same id, which takes the same slot). Not here: the policy of what a
//! quota is (`crate::site::Quotas`).

use crate::lifecycle::Lifecycle;
use crate::queued::book::Book;
use crate::store::slots::Slots;
use crate::store::{ResourceStore, StoreError, MAX_CAS_ATTEMPTS};

/// How long past its deadline a record in flight still holds its slot: replicas' clocks
/// may differ by this much.
pub const SLOT_GRACE_SECS: i64 = 5;

/// Whether an allocation whose lifecycle is `life` may still be at work on its slot at
/// `now`. Pure.
pub fn may_be_at_work(life: &Lifecycle, now: i64) -> bool {
    life.status.is_in_flight()
        && life
            .deadline
            .is_none_or(|deadline| now <= deadline.saturating_add(SLOT_GRACE_SECS))
}

/// The slots `tenant` should hold: `held`'s ids still at work (`at_work`) and every
/// resource `made`. Pure.
pub fn recounted(held: &Slots, made: &Slots, at_work: impl Fn(&str) -> bool) -> Slots {
    held.iter()
        .filter(|id| made.contains(*id) || at_work(id))
        .chain(made.iter())
        .cloned()
        .collect()
}

/// What a reconciliation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// The slots taken before.
    pub before: usize,
    /// The slots taken after.
    pub after: usize,
}

/// Recounts `tenant`'s slots at `now` (see the module); a write that lost a race with an
/// allocation or a release is done again on what it wrote.
///
/// # Errors
/// [`StoreError`] when the bucket fails, or the slots keep changing.
pub async fn reconcile(
    store: &ResourceStore,
    book: &Book,
    tenant: &str,
    now: i64,
) -> Result<Reconciled, StoreError> {
    for _ in 0..MAX_CAS_ATTEMPTS {
        // The slots first: an id taken after this read finds the write below refused.
        let (held, revision) = match store.slots(tenant).await? {
            Some((held, revision)) => (held, Some(revision)),
            None => (Slots::new(), None),
        };
        let made = store.made(tenant).await?;
        let mut at_work = Slots::new();
        for id in held.iter().filter(|id| !made.contains(*id)) {
            let record = book.get(tenant, id).await.map_err(|e| StoreError::Kv {
                op: "reading a lifecycle record",
                reason: e.to_string(),
            })?;
            if record.is_some_and(|(r, _)| may_be_at_work(&r.lifecycle, now)) {
                at_work.insert(id.clone());
            }
        }
        let want = recounted(&held, &made, |id| at_work.contains(id));
        let found = Reconciled {
            before: held.len(),
            after: want.len(),
        };
        if revision.is_some() && want == held {
            return Ok(found);
        }
        if store.write_slots(tenant, &want, revision).await? {
            if want != held {
                let given_back: Vec<&String> = held.difference(&want).collect();
                tracing::info!(
                    tenant,
                    ?given_back,
                    taken = want.len(),
                    "quota slots recounted"
                );
            }
            return Ok(found);
        }
    }
    Err(StoreError::Contended {
        op: "recounting the quota slots",
        tenant: tenant.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Event;

    fn ids(list: &[&str]) -> Slots {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_slot_stays_while_its_resource_exists_or_its_work_may_go_on() {
        let held = ids(&["made", "working", "dead", "deleted"]);
        let made = ids(&["made", "legacy"]);
        let want = recounted(&held, &made, |id| id == "working");
        assert_eq!(want, ids(&["made", "working", "legacy"]));
    }

    #[test]
    fn work_may_go_on_until_its_deadline_and_the_grace() {
        let pending = Lifecycle::accepted(100, 10);
        assert!(may_be_at_work(&pending, 110));
        assert!(may_be_at_work(&pending, 110 + SLOT_GRACE_SECS));
        assert!(!may_be_at_work(&pending, 111 + SLOT_GRACE_SECS));
        let failed = pending.after(&Event::Failed("x".into()), 101, 10).unwrap();
        assert!(!may_be_at_work(&failed, 101), "it ended");
        let waiting = pending.after(&Event::NeedsApproval, 101, 10).unwrap();
        assert!(!may_be_at_work(&waiting, 101), "no slot before approval");
        let deleting = failed.after(&Event::Delete, 102, 10).unwrap();
        assert!(may_be_at_work(&deleting, 112));
    }
}
