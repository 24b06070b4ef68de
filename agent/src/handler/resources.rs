//! A tenant's resource operations at one site: allocate, update and deallocate, each
//! running the type's handler (see [`crate::exec`]) and keeping the store's record in step.
//!
//! - allocate: take a quota slot for the id (all taken: recount them first, see
//!   [`crate::quota`]), run `allocate`, store the record with its details (the slot goes
//!   back when the handler fails);
//! - update: find the caller's resource, run `update` with the new specification, write
//!   the record with compare-and-set on the revision read;
//! - deallocate: find it, run `deallocate`, remove the record (a failed handler keeps it,
//!   so nothing the handler made is forgotten).
//!
//! Without a `[handlers]` table ([`Resources::handlers`] is `None`) no program runs and
//! only the record changes. Another tenant's id is answered exactly as a missing one.
//! Not here: decoding requests or encoding replies (see [`crate::handler`]).

use crate::caller::Caller;
use crate::contract::{
    Details, ErrorType, ErrorV1, ResourceAllocateV1, ResourceCreatedV1, ResourceDeallocatedV1,
    ResourceUpdateV1, ResourceUpdatedV1, ResourceV1,
};
use crate::exec::{CallerInfo, Handler, HandlerError, HandlerInput, HandlerOperation, Handlers};
use crate::queued::book::Book;
use crate::store::{ResourceStore, StoreError};

/// What the operations need of the agent.
#[derive(Debug, Clone, Copy)]
pub struct Resources<'a> {
    /// This site.
    pub site: &'a str,
    /// Its records.
    pub store: &'a ResourceStore,
    /// The lifecycle records (which tell a quota slot still at work from a dead one).
    pub book: &'a Book,
    /// Its handlers; `None`: records only.
    pub handlers: Option<&'a Handlers>,
}

/// An answer, or the refusal to send instead; store failures are the caller's `Err`.
pub type Outcome<T> = Result<Result<T, ErrorV1>, StoreError>;

impl Resources<'_> {
    /// Allocates resource `id` of `request`'s type for `caller`'s tenant within `quota`.
    ///
    /// # Errors
    /// [`StoreError`], [`StoreError::QuotaExceeded`] among them.
    pub async fn allocate(
        &self,
        caller: &Caller,
        (quota, id): (u64, String),
        request: ResourceAllocateV1,
        now: i64,
    ) -> Outcome<ResourceCreatedV1> {
        let handler = match self.handler(&request.resource_type) {
            Ok(handler) => handler,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let tenant = caller.tenant.as_str();
        let mut resource = ResourceV1 {
            id,
            resource_type: request.resource_type,
            target_entity: request.target_entity,
            specification: request.specification,
            created: now,
            details: Details::new(),
        };
        self.reserve(tenant, &resource.id, quota, now).await?;
        if let Some(handler) = handler {
            match run(handler, HandlerOperation::Allocate, &resource, None, caller).await {
                Ok(details) => resource.details = details,
                Err(err) => {
                    if let Err(undo) = self.store.release(tenant, &resource.id).await {
                        tracing::warn!(tenant, error = %undo, "a slot stays taken until a recount");
                    }
                    return Ok(Err(self.failed(&resource.resource_type, &err)));
                }
            }
        }
        let (id, details) = (resource.id.clone(), resource.details.clone());
        if let Err(err) = self.store.insert(tenant, resource.clone()).await {
            if let Some(handler) = handler {
                // Unrecorded, the resource could never be deallocated: take it back.
                tracing::warn!(id = %id, "the record failed; deallocating what the handler made");
                let undo = run(
                    handler,
                    HandlerOperation::Deallocate,
                    &resource,
                    None,
                    caller,
                );
                if let Err(undo) = undo.await {
                    tracing::error!(id = %id, error = %undo, "a resource is left without a record");
                }
            }
            return Err(err);
        }
        tracing::info!(id = %id, user = ?caller.user, "allocated");
        Ok(Ok(ResourceCreatedV1 {
            id,
            site: self.site.to_owned(),
            details,
        }))
    }

    /// Takes a quota slot for `id`; when all are taken, recounts them (an agent may have
    /// died holding one) and tries once more.
    async fn reserve(
        &self,
        tenant: &str,
        id: &str,
        quota: u64,
        now: i64,
    ) -> Result<(), StoreError> {
        match self.store.reserve(tenant, id, quota).await {
            Err(StoreError::QuotaExceeded { .. }) => {
                let recount = crate::quota::reconcile(self.store, self.book, tenant, now).await?;
                if recount.after < recount.before {
                    return self.store.reserve(tenant, id, quota).await;
                }
                Err(StoreError::QuotaExceeded { quota })
            }
            other => other,
        }
    }

    /// Gives `caller`'s tenant's resource `request.id` the new specification.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn update(
        &self,
        caller: &Caller,
        request: ResourceUpdateV1,
    ) -> Outcome<ResourceUpdatedV1> {
        let tenant = caller.tenant.as_str();
        let Some((mut resource, revision)) =
            self.store.get_with_revision(tenant, &request.id).await?
        else {
            return Ok(Err(self.not_found(&request.id)));
        };
        let handler = match self.handler(&resource.resource_type) {
            Ok(handler) => handler,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let mut details = Details::new();
        if let Some(handler) = handler {
            let spec = Some(&request.specification);
            match run(handler, HandlerOperation::Update, &resource, spec, caller).await {
                Ok(reported) => details = reported,
                Err(err) => return Ok(Err(self.failed(&resource.resource_type, &err))),
            }
        }
        resource.specification = request.specification;
        // A handler that reports nothing new leaves the details it reported before.
        if !details.is_empty() {
            resource.details = details.clone();
        }
        if !self.store.replace(tenant, resource, revision).await? {
            if self.store.get(tenant, &request.id).await?.is_none() {
                return Ok(Err(self.not_found(&request.id)));
            }
            return Ok(Err(ErrorType::Internal.reply(
                format!(
                    "resource `{}` changed while it was being updated; try again",
                    request.id
                ),
                self.site,
            )));
        }
        tracing::info!(id = %request.id, user = ?caller.user, "updated");
        Ok(Ok(ResourceUpdatedV1 {
            id: request.id,
            site: self.site.to_owned(),
            details,
        }))
    }

    /// Releases `caller`'s tenant's resource `id`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn deallocate(&self, caller: &Caller, id: &str) -> Outcome<ResourceDeallocatedV1> {
        let tenant = caller.tenant.as_str();
        if self.handlers.is_some() {
            let Some(resource) = self.store.get(tenant, id).await? else {
                return Ok(Err(self.not_found(id)));
            };
            // A type whose handler was removed is refused rather than forgotten: what the
            // handler made may still exist.
            if let Some(handler) = match self.handler(&resource.resource_type) {
                Ok(handler) => handler,
                Err(refusal) => return Ok(Err(refusal)),
            } {
                let deallocated = run(
                    handler,
                    HandlerOperation::Deallocate,
                    &resource,
                    None,
                    caller,
                )
                .await;
                if let Err(err) = deallocated {
                    return Ok(Err(self.failed(&resource.resource_type, &err)));
                }
            }
        }
        if !self.store.deallocate(tenant, id).await? {
            return Ok(Err(self.not_found(id)));
        }
        tracing::info!(id = %id, user = ?caller.user, "deallocated");
        Ok(Ok(ResourceDeallocatedV1 {
            id: id.to_owned(),
            site: self.site.to_owned(),
        }))
    }

    /// Whether this site takes resources of `resource_type`.
    ///
    /// # Errors
    /// The `type_not_supported` refusal, naming the types it has.
    pub fn check_type(&self, resource_type: &str) -> Result<(), ErrorV1> {
        self.handler(resource_type).map(drop)
    }

    /// The handler of `resource_type`: `Ok(None)` without a `[handlers]` table, the
    /// `type_not_supported` refusal when the table has none for it.
    fn handler(&self, resource_type: &str) -> Result<Option<&Handler>, ErrorV1> {
        let Some(handlers) = self.handlers else {
            return Ok(None);
        };
        handlers.get(resource_type).map(Some).ok_or_else(|| {
            ErrorType::TypeNotSupported
                .reply(handlers.not_supported(resource_type, self.site), self.site)
        })
    }

    fn failed(&self, resource_type: &str, err: &HandlerError) -> ErrorV1 {
        ErrorType::HandlerFailed.reply(
            format!(
                "the `{resource_type}` handler at site `{}` failed: {err}",
                self.site
            ),
            self.site,
        )
    }

    fn not_found(&self, id: &str) -> ErrorV1 {
        ErrorType::NotFound.reply(
            format!("no resource `{id}` at site `{}`", self.site),
            self.site,
        )
    }
}

/// Runs `handler` for `operation` on `resource` (with `spec` instead of its own, for an
/// update).
async fn run(
    handler: &Handler,
    operation: HandlerOperation,
    resource: &ResourceV1,
    spec: Option<&serde_json::Value>,
    caller: &Caller,
) -> Result<Details, HandlerError> {
    handler
        .run(&HandlerInput {
            operation,
            resource_id: &resource.id,
            resource_type: &resource.resource_type,
            target_entity: &resource.target_entity,
            spec: spec.unwrap_or(&resource.specification),
            tenant: &caller.tenant,
            caller: CallerInfo::from(caller),
        })
        .await
}
