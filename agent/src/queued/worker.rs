//! Taking queued requests: the site's durable consumer on the service's stream, one
//! request at a time, each moved through its lifecycle record ([`super::book`]) and
//! acknowledged only once its outcome is written.
//!
//! - A request is acknowledged after its record says how it ended, so an agent that dies
//!   mid-handler (kill -9) leaves it unacknowledged: the stream delivers it again after
//!   the ack wait, the next agent finds the record still in flight, and runs the handler
//!   again for the same resource id (handlers are written to be repeatable per id). The
//!   record is keyed by that id, so nothing is made twice.
//! - A request older than the deadline when taken ends as `error` ("no agent took it in
//!   time") without running anything, and can be retried (a retry is a queued request
//!   too, carried out once: see [`super::retry`]).
//! - The record names the queued request carrying its work in flight (`taken_by`, the
//!   stream sequence): a delivery of another request finding the work in flight (a
//!   repeated retry, an allocation whose record was retried) is dropped.
//! - A subject whose account is no configured tenant is dropped and logged: the stream
//!   holds only what tenants' imports put there, so that is a configuration error.
//!
//! Queued requests carry no `Nats-Request-Info` (the stream does not keep it): the
//! handler sees the tenant, from the subject, and no user.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream, AckKind};
use futures::StreamExt as _;

use crate::caller::Caller;
use crate::contract::MESSAGE_TYPE_HEADER;
use crate::contract::{
    decode_request, ResourceAllocateV1, ResourceDeallocateV1, ResourceRetryV1, ResourceUpdateV1,
};
use crate::handler::{Agent, Operation};
use crate::lifecycle::{Event, Lifecycle, Status};
use crate::queued::book::{Book, Record};
use crate::queued::settings::Queue;
use crate::queued::subject::{self as q, Kept};
use crate::store::StoreError;
use crate::subjects::check_id;

/// How long one pull waits for a request before it is renewed.
const PULL_EXPIRES: Duration = Duration::from_secs(2);
/// How often the server shows a waiting pull is alive.
const PULL_HEARTBEAT: Duration = Duration::from_millis(500);

/// Makes sure the stream and this site's consumer exist, then takes requests until the
/// message stream ends (the connection closes).
///
/// # Errors
/// When the stream or consumer can be neither found nor created.
pub async fn run(agent: &Agent, book: &Book, queue: Queue) -> anyhow::Result<()> {
    let (service, site) = (agent.service.as_str(), agent.site.as_str());
    let stream = agent
        .js
        .get_or_create_stream(stream::Config {
            name: q::stream_name(service),
            description: Some(format!("queued requests of service `{service}`")),
            subjects: vec![q::stream_subjects(service)],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("the queued requests' stream: {e}"))?;
    let name = q::consumer_name(site);
    let consumer: consumer::PullConsumer = stream
        .get_or_create_consumer(
            &name,
            consumer::pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: q::consumer_filter(service, site),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: queue.ack_wait,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("the site's consumer `{name}`: {e}"))?;
    tracing::info!(consumer = %name, "taking queued requests");
    // One request per pull, and pulls that lapse quickly: a pull left by an agent that
    // died keeps receiving (into nothing) what the stream delivers again until it
    // lapses, and a batch pulled ahead would be work no other replica could take.
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(1)
        .expires(PULL_EXPIRES)
        .heartbeat(PULL_HEARTBEAT)
        .messages()
        .await
        .map_err(|e| anyhow::anyhow!("reading queued requests: {e}"))?;
    while let Some(message) = messages.next().await {
        match message {
            Ok(message) => take(agent, book, queue, &message).await,
            Err(err) => tracing::warn!(error = %err, "reading a queued request failed"),
        }
    }
    Ok(())
}

/// Takes one request; acknowledges it once its outcome is recorded, or asks for it again
/// later when the store failed.
async fn take(agent: &Agent, book: &Book, queue: Queue, message: &jetstream::Message) {
    let done = match handle(agent, book, queue, message).await {
        Ok(()) => message.ack().await,
        Err(err) => {
            tracing::warn!(error = %err, "a queued request is left for a later attempt");
            message
                .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                .await
        }
    };
    if let Err(err) = done {
        tracing::warn!(error = %err, "acknowledging a queued request failed");
    }
}

async fn handle(
    agent: &Agent,
    book: &Book,
    queue: Queue,
    message: &jetstream::Message,
) -> anyhow::Result<()> {
    let Some(Kept { account, operation }) =
        q::parse_kept(message.subject.as_str(), &agent.service, &agent.site)
    else {
        tracing::warn!(subject = %message.subject, "dropped a queued request on a subject this site does not take");
        return Ok(());
    };
    let Some(tenant) = agent.tenants.tenant_of(&account) else {
        tracing::warn!(account = %account, "dropped a queued request of an account that is no tenant");
        return Ok(());
    };
    let info = message.info().map_err(|e| anyhow::anyhow!("{e}"))?;
    let kept_at = info.published.unix_timestamp();
    let caller = Caller {
        tenant: tenant.to_owned(),
        account,
        user: None,
        name: None,
        tags: Vec::new(),
        issuer_key: None,
    };
    let message_type = message
        .headers
        .as_ref()
        .and_then(|h| h.get(MESSAGE_TYPE_HEADER))
        .map(|v| v.as_str().to_owned());
    let job = Job {
        agent,
        book,
        queue,
        caller: &caller,
        now: unix_now(),
        taken_by: Some(info.stream_sequence),
    };
    match operation {
        Operation::Allocate => {
            let id = q::queued_id(info.stream_sequence);
            let request =
                decode_request::<ResourceAllocateV1>(message_type.as_deref(), &message.payload)
                    .and_then(|a| a.validate().map(|()| a));
            job.allocate(id, kept_at, request.map_err(|e| e.to_string()))
                .await
        }
        Operation::Update => {
            let request =
                decode_request::<ResourceUpdateV1>(message_type.as_deref(), &message.payload);
            match request.and_then(|u| u.validate().map(|()| u)) {
                Ok(request) => job.update(request).await.map(drop),
                Err(err) => {
                    tracing::info!(error = %err, "dropped a queued update that is not one");
                    Ok(())
                }
            }
        }
        Operation::Deallocate => {
            match decode_request::<ResourceDeallocateV1>(message_type.as_deref(), &message.payload)
            {
                Ok(request) => job.deallocate(&request.id).await.map(drop),
                Err(err) => {
                    tracing::info!(error = %err, "dropped a queued deallocation that is not one");
                    Ok(())
                }
            }
        }
        Operation::Retry => {
            match decode_request::<ResourceRetryV1>(message_type.as_deref(), &message.payload) {
                Ok(request) => job.retry(&request).await,
                Err(err) => {
                    tracing::info!(error = %err, "dropped a queued retry that is not one");
                    Ok(())
                }
            }
        }
        Operation::List
        | Operation::Ping
        | Operation::Status
        | Operation::Approvals
        | Operation::Locate => Ok(()),
    }
}

/// One request being taken (or approved, or made live).
pub(crate) struct Job<'a> {
    pub(crate) agent: &'a Agent,
    pub(crate) book: &'a Book,
    /// The deadline of work moved in flight.
    pub(crate) queue: Queue,
    pub(crate) caller: &'a Caller,
    pub(crate) now: i64,
    /// The stream sequence of the queued request being taken (`None`: a live request or
    /// an approval): only the request a record names in `taken_by` carries its work on.
    pub(crate) taken_by: Option<u64>,
}

impl Job<'_> {
    pub(crate) fn tenant(&self) -> &str {
        &self.caller.tenant
    }

    /// Moves `id`'s record by `event`; a record another delivery or replica moved first is
    /// left as it is.
    pub(crate) async fn move_to(
        &self,
        id: &str,
        event: Event,
        details: Option<&crate::contract::Details>,
    ) -> anyhow::Result<()> {
        let at = (self.now, self.queue.deadline_secs);
        match self
            .book
            .apply((self.tenant(), id), &event, at, details)
            .await
        {
            Ok(record) => {
                tracing::info!(id, status = ?record.lifecycle.status, "recorded");
                Ok(())
            }
            // Another delivery or replica moved it first: nothing left to do.
            Err(super::book::BookError::NotNow(not_now)) => {
                tracing::info!(id, %not_now, "already moved on");
                Ok(())
            }
            Err(err) => Err(anyhow::anyhow!("{err}")),
        }
    }

    async fn allocate(
        &self,
        id: String,
        kept_at: i64,
        request: Result<ResourceAllocateV1, String>,
    ) -> anyhow::Result<()> {
        let asked = request.as_ref().ok();
        let fresh = Record {
            id: id.clone(),
            tenant: self.tenant().to_owned(),
            site: self.agent.site.clone(),
            resource_type: asked.map(|r| r.resource_type.clone()).unwrap_or_default(),
            accepted_at: kept_at,
            lifecycle: Lifecycle::accepted(kept_at, self.queue.deadline_secs),
            details: Default::default(),
            target_entity: asked.map(|r| r.target_entity.clone()).unwrap_or_default(),
            specification: asked.map(|r| r.specification.clone()).unwrap_or_default(),
            taken_by: self.taken_by,
        };
        let record = self
            .book
            .begin(fresh)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // Taken before: delivered again after it ended or while it waits for approval,
        // or retried (the retry's own request carries it now).
        if record.lifecycle.status != Status::Pending || record.taken_by != self.taken_by {
            return Ok(());
        }
        let request = match request {
            Ok(request) => request,
            Err(why) => return self.move_to(&id, Event::Failed(why), None).await,
        };
        self.carry_out(&record, request).await
    }

    /// Carries out the pending allocation `record` as `request` asks: overdue, it ends
    /// in error; of a type that needs approval (and has none yet), it waits for one; else
    /// the resource is made.
    async fn carry_out(&self, record: &Record, request: ResourceAllocateV1) -> anyhow::Result<()> {
        let id = record.id.as_str();
        if record.lifecycle.overdue(self.now) {
            return self.move_to(id, Event::DeadlinePassed, None).await;
        }
        // The work starts now (a queued request's own: its record names it): due no
        // sooner than it can last.
        if let Some(sequence) = self.taken_by {
            let until = self.now.saturating_add(self.queue.work_secs());
            let who = (self.tenant(), id);
            let claimed = self.book.claim(who, (None, sequence), until).await;
            if !claimed.map_err(|e| anyhow::anyhow!("{e}"))? {
                return Ok(());
            }
        }
        let needs_approval = self
            .agent
            .handlers
            .as_ref()
            .and_then(|h| h.get(&request.resource_type))
            .is_some_and(|h| h.config().requires_approval);
        if needs_approval && !record.lifecycle.was_approved() {
            return self.move_to(id, Event::NeedsApproval, None).await;
        }
        self.make(id, request).await
    }

    /// Carries out retry `request.attempt` of `request.id` (see [`super::retry`]): the
    /// first request to claim it does; a stale, repeated or forged one is dropped.
    async fn retry(&self, request: &ResourceRetryV1) -> anyhow::Result<()> {
        let (Some(attempt), Some(sequence)) = (request.attempt, self.taken_by) else {
            tracing::info!(id = %request.id, "dropped a queued retry without its attempt");
            return Ok(());
        };
        let id = request.id.as_str();
        let who = (self.tenant(), id);
        let fail = |e: super::book::BookError| anyhow::anyhow!("{e}");
        let until = self.now.saturating_add(self.queue.work_secs());
        if check_id(id).is_err()
            || !self
                .book
                .claim(who, (Some(attempt), sequence), until)
                .await
                .map_err(fail)?
        {
            tracing::info!(
                id,
                attempt,
                "dropped a queued retry that is not this one's to do"
            );
            return Ok(());
        }
        let Some((record, _)) = self.book.get(who.0, id).await.map_err(fail)? else {
            return Ok(());
        };
        match record.lifecycle.status {
            Status::Pending => {
                let request = ResourceAllocateV1 {
                    resource_type: record.resource_type.clone(),
                    target_entity: record.target_entity.clone(),
                    specification: record.specification.clone(),
                };
                self.carry_out(&record, request).await
            }
            Status::Updating if record.lifecycle.overdue(self.now) => {
                self.move_to(id, Event::DeadlinePassed, None).await
            }
            Status::Updating => {
                let request = ResourceUpdateV1 {
                    id: id.to_owned(),
                    specification: record.specification.clone(),
                };
                self.update(request).await.map(drop)
            }
            Status::Deleting if record.lifecycle.overdue(self.now) => {
                self.move_to(id, Event::DeadlinePassed, None).await
            }
            Status::Deleting => self.deallocate(id).await.map(drop),
            _ => Ok(()),
        }
    }

    /// Makes pending resource `id` as `request` asks and records how it went.
    pub(crate) async fn make(&self, id: &str, request: ResourceAllocateV1) -> anyhow::Result<()> {
        let id = id.to_owned();
        // A delivery before this one may have made it and died before recording so.
        if let Some(made) = self.agent.store.get(self.tenant(), &id).await? {
            return self
                .move_to(&id, Event::Succeeded, Some(&made.details))
                .await;
        }
        let quota = self.agent.quotas.of(self.tenant());
        let outcome = self
            .agent
            .resources()
            .allocate(self.caller, (quota, id.clone()), request, self.now)
            .await;
        match outcome {
            Ok(Ok(created)) => {
                self.move_to(&id, Event::Succeeded, Some(&created.details))
                    .await
            }
            Ok(Err(refusal)) => {
                self.move_to(&id, Event::Failed(refusal.message), None)
                    .await
            }
            Err(StoreError::QuotaExceeded { quota }) => {
                self.move_to(
                    &id,
                    Event::Failed(quota_message(self.tenant(), quota)),
                    None,
                )
                .await
            }
            Err(err) => Err(err.into()),
        }
    }
}

/// Why an allocation of `tenant` beyond its `quota` failed.
pub(crate) fn quota_message(tenant: &str, quota: u64) -> String {
    format!("tenant `{tenant}` has reached its quota of {quota} resources")
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
