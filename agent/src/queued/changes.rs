//! Changes to a resource that exists, queued or live: an update or a deallocation moves
//! its lifecycle record into `updating` or `deleting` (a resource made before records
//! were kept gets its record, as `created`, first), runs the type's handler, and records
//! the outcome. A queued request delivered again while its change is in flight finishes
//! it; any other request finding the change in flight is refused `conflict` (live) or
//! dropped (queued).

use crate::client::Answer;
use crate::contract::{
    ErrorType, ErrorV1, ResourceDeallocatedV1, ResourceUpdateV1, ResourceUpdatedV1,
};
use crate::lifecycle::{Event, Lifecycle, Status};
use crate::queued::book::{BookError, Record};
use crate::queued::worker::Job;

impl Job<'_> {
    /// Updates `request.id`: the record moves to `updating` (keeping the specification
    /// asked for, which a retry runs again), the handler runs, the record says how it
    /// went. The answer is the caller's.
    pub(crate) async fn update(
        &self,
        request: ResourceUpdateV1,
    ) -> anyhow::Result<Answer<ResourceUpdatedV1>> {
        let id = request.id.clone();
        let asked = Some(request.specification.clone());
        if let Some(refusal) = self
            .in_flight(&id, Event::Update, Status::Updating, asked)
            .await?
        {
            return Ok(Err(refusal));
        }
        match self.agent.resources().update(self.caller, request).await {
            Ok(Ok(updated)) => {
                self.move_to(&id, Event::Succeeded, Some(&updated.details))
                    .await?;
                Ok(Ok(updated))
            }
            Ok(Err(refusal)) => {
                self.move_to(&id, Event::Failed(refusal.message.clone()), None)
                    .await?;
                Ok(Err(refusal))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Deallocates `id`: the record moves to `deleting`, the handler runs, the resource
    /// and its quota slot go, the record says how it went.
    pub(crate) async fn deallocate(
        &self,
        id: &str,
    ) -> anyhow::Result<Answer<ResourceDeallocatedV1>> {
        if let Some(refusal) = self
            .in_flight(id, Event::Delete, Status::Deleting, None)
            .await?
        {
            return Ok(Err(refusal));
        }
        // Removed by a delivery before this one that died before recording so, or never
        // made (an allocation in error): any slot it holds goes back.
        if self.agent.store.get(self.tenant(), id).await?.is_none() {
            self.agent.store.release(self.tenant(), id).await?;
            self.move_to(id, Event::Succeeded, None).await?;
            return Ok(Ok(ResourceDeallocatedV1 {
                id: id.to_owned(),
                site: self.agent.site.clone(),
            }));
        }
        match self.agent.resources().deallocate(self.caller, id).await {
            Ok(Ok(gone)) => {
                self.move_to(id, Event::Succeeded, None).await?;
                Ok(Ok(gone))
            }
            Ok(Err(refusal)) => {
                self.move_to(id, Event::Failed(refusal.message.clone()), None)
                    .await?;
                Ok(Err(refusal))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Moves `id`'s record into `state` by `event` (with `asked`, an update's new
    /// specification), the work then carried by this request; or finds it there already,
    /// carried by this very queued request (a delivery again). `Some` refusal when the
    /// request does not apply: `not_found` (no such resource of this tenant, or one
    /// deleted), `conflict` (a state the event does not move, or work in flight that
    /// another request carries). A resource made before it had a record gets one, as
    /// created.
    async fn in_flight(
        &self,
        id: &str,
        event: Event,
        state: Status,
        asked: Option<serde_json::Value>,
    ) -> anyhow::Result<Option<ErrorV1>> {
        let site = self.agent.site.as_str();
        let not_found = || {
            tracing::info!(id, "no such resource of this tenant here");
            Ok(Some(ErrorType::NotFound.reply(
                format!("no resource `{id}` at site `{site}`"),
                site,
            )))
        };
        let busy = |now: Status| {
            tracing::info!(
                id,
                status = now.name(),
                op = event.name(),
                "does not apply now"
            );
            Ok(Some(ErrorType::Conflict.reply(
                format!(
                    "resource `{id}` at site `{site}` is {}: it cannot take {} now",
                    now.name(),
                    event.name()
                ),
                site,
            )))
        };
        let fail = |e: BookError| anyhow::anyhow!("{e}");
        if self
            .book
            .get(self.tenant(), id)
            .await
            .map_err(fail)?
            .is_none()
        {
            let Some(made) = self.agent.store.get(self.tenant(), id).await? else {
                return not_found();
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
                taken_by: None,
            };
            self.book.begin(fresh).await.map_err(fail)?;
        }
        let Some((record, _)) = self.book.get(self.tenant(), id).await.map_err(fail)? else {
            return not_found();
        };
        match record.lifecycle.status {
            Status::Deleted => return not_found(),
            // Delivered again while in flight: finish it.
            now if now == state && self.taken_by.is_some() && record.taken_by == self.taken_by => {
                return Ok(None)
            }
            now if now == state => return busy(now),
            _ => {}
        }
        let (at, deadline_secs) = (self.now, self.queue.work_secs());
        let moved = self
            .book
            .change((self.tenant(), id), |record| {
                record.lifecycle = record.lifecycle.after(&event, at, deadline_secs)?;
                record.taken_by = self.taken_by;
                if let Some(asked) = &asked {
                    record.specification = asked.clone();
                }
                Ok(())
            })
            .await;
        match moved {
            Ok(_) => Ok(None),
            Err(BookError::NotNow(not_now)) => busy(not_now.from),
            Err(BookError::Missing) => not_found(),
            Err(err) => Err(fail(err)),
        }
    }
}
