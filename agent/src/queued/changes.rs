//! Queued changes to a resource that exists: an update or a deallocation moves its
//! lifecycle record into `updating` or `deleting` (a resource a live allocation made gets
//! its record, as `created`, first), runs the type's handler, and records the outcome. A
//! request delivered again while its change is in flight finishes it.

use crate::contract::ResourceUpdateV1;
use crate::lifecycle::{Event, Lifecycle, Status};
use crate::queued::book::Record;
use crate::queued::worker::Job;

impl Job<'_> {
    pub(crate) async fn update(&self, request: ResourceUpdateV1) -> anyhow::Result<()> {
        let id = request.id.clone();
        if !self.in_flight(&id, Event::Update, Status::Updating).await? {
            return Ok(());
        }
        match self.agent.resources().update(self.caller, request).await {
            Ok(Ok(updated)) => {
                self.move_to(&id, Event::Succeeded, Some(&updated.details))
                    .await
            }
            Ok(Err(refusal)) => {
                self.move_to(&id, Event::Failed(refusal.message), None)
                    .await
            }
            Err(err) => Err(err.into()),
        }
    }

    pub(crate) async fn deallocate(&self, id: &str) -> anyhow::Result<()> {
        if !self.in_flight(id, Event::Delete, Status::Deleting).await? {
            return Ok(());
        }
        // A delivery before this one may have removed it and died before recording so.
        if self.agent.store.get(self.tenant(), id).await?.is_none() {
            return self.move_to(id, Event::Succeeded, None).await;
        }
        match self.agent.resources().deallocate(self.caller, id).await {
            Ok(Ok(_)) => self.move_to(id, Event::Succeeded, None).await,
            Ok(Err(refusal)) => self.move_to(id, Event::Failed(refusal.message), None).await,
            Err(err) => Err(err.into()),
        }
    }

    /// Moves `id`'s record into `state` by `event`, or finds it there already (a delivery
    /// again); `false` when the request does not apply (no such resource of this tenant,
    /// or a state the event does not move). A resource made before it had a record (a live
    /// allocation) gets one, as created.
    async fn in_flight(&self, id: &str, event: Event, state: Status) -> anyhow::Result<bool> {
        if self
            .book
            .get(self.tenant(), id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .is_none()
        {
            let Some(made) = self.agent.store.get(self.tenant(), id).await? else {
                tracing::info!(
                    id,
                    "dropped a queued request for a resource this tenant does not have here"
                );
                return Ok(false);
            };
            let created = Lifecycle::accepted(made.created, 0)
                .after(&Event::Succeeded, made.created, 0)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let fresh = Record {
                id: id.to_owned(),
                tenant: self.tenant().to_owned(),
                site: self.agent.site.clone(),
                resource_type: made.resource_type.clone(),
                accepted_at: made.created,
                lifecycle: created,
                details: made.details.clone(),
                target_entity: made.target_entity.clone(),
                specification: made.specification.clone(),
            };
            self.book
                .begin(fresh)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let Some((record, _)) = self
            .book
            .get(self.tenant(), id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        else {
            return Ok(false);
        };
        if record.lifecycle.status == state {
            return Ok(true); // delivered again while in flight: finish it
        }
        match self
            .book
            .apply(
                (self.tenant(), id),
                &event,
                (self.now, self.queue.deadline_secs),
                None,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(super::book::BookError::NotNow(not_now)) => {
                tracing::info!(id, %not_now, "dropped a queued request that does not apply now");
                Ok(false)
            }
            Err(err) => Err(anyhow::anyhow!("{err}")),
        }
    }
}
