//! Operations on a resource known only by its id: [`at_site_of`] runs an operation at
//! the site a [`SiteCache`] remembers for it; when there is none, or that site answers
//! "not here" (`not_found` for this id, or no agent of the site is left to answer), it
//! forgets the entry, searches every site afresh ([`locate`]), remembers the site found
//! and runs the operation once more there. [`deallocate`], [`update`] and [`status`] are
//! the contract's calls built on it.
//!
//! An id found nowhere is answered as the agents answer an unknown id: `not_found`
//! (with no site), whose message names the sites that did not answer the search.

use std::future::Future;
use std::time::Duration;

use async_nats::Client;

use super::site_cache::{ResourceKey, SiteCache};
use super::{locate, Located};
use crate::client::{self, Answer, ClientError};
use crate::contract::{
    ErrorType, ErrorV1, ResourceDeallocatedV1, ResourceStateV1, ResourceUpdatedV1,
};
use crate::queued::client as queued_client;

/// What an operation at a resource's site came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Reached<T> {
    /// The site the operation ran at; `None` when no site that answered holds the
    /// resource (the answer is then `not_found`).
    pub site: Option<String>,
    /// The site's answer.
    pub answer: Answer<T>,
    /// The search, when one ran (no remembered site, or it answered "not here").
    pub searched: Option<Located>,
}

/// Whether the site asked answered that it does not hold the resource, or has no agent
/// left to answer at all: either way, the resource is looked for elsewhere.
fn not_here<T>(result: &Result<Answer<T>, ClientError>) -> bool {
    match result {
        Ok(Err(refusal)) => refusal.error_type == ErrorType::NotFound.code(),
        Err(ClientError::NoResponders { .. }) => true,
        _ => false,
    }
}

/// The answer for an id no site that answered holds.
fn nowhere(key: &ResourceKey, searched: &Located) -> ErrorV1 {
    let mut message = format!(
        "no site of service `{}` holds resource `{}`",
        key.service, key.id
    );
    if !searched.missing.is_empty() {
        message.push_str(&format!(
            " (sites that did not answer: {})",
            searched.missing.join(", ")
        ));
    }
    ErrorType::NotFound.reply(message, "")
}

/// Runs `operation` (given the site) at the site of resource `key`: the remembered
/// one, else or when it answers "not here" the one a fresh search finds (remembered
/// then). `deadline` bounds the search.
///
/// # Errors
/// What `operation` fails with; [`ClientError::Nats`] when the search cannot be sent.
pub async fn at_site_of<T, F, Fut>(
    client: &Client,
    cache: &SiteCache,
    key: &ResourceKey,
    deadline: Duration,
    mut operation: F,
) -> Result<Reached<T>, ClientError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Answer<T>, ClientError>>,
{
    if let Some(site) = cache.get(key) {
        let result = operation(site.clone()).await;
        if !not_here(&result) {
            return result.map(|answer| Reached {
                site: Some(site),
                answer,
                searched: None,
            });
        }
        tracing::debug!(
            service = %key.service,
            id = %key.id,
            %site,
            "the remembered site does not hold the resource; searching"
        );
        cache.forget(key);
    }
    let searched = locate(client, &key.service, &key.id, deadline).await?;
    let Some(site) = searched.site.clone() else {
        return Ok(Reached {
            site: None,
            answer: Err(nowhere(key, &searched)),
            searched: Some(searched),
        });
    };
    cache.put(key.clone(), &site);
    let result = operation(site.clone()).await;
    if not_here(&result) {
        // Gone between the search and the operation: nothing worth remembering.
        cache.forget(key);
    }
    Ok(Reached {
        site: Some(site),
        answer: result?,
        searched: Some(searched),
    })
}

/// Deallocates the caller's resource `id` of `service` wherever it is.
///
/// # Errors
/// As [`at_site_of`].
pub async fn deallocate(
    client: &Client,
    cache: &SiteCache,
    (service, id): (&str, &str),
    timeout: Duration,
) -> Result<Reached<ResourceDeallocatedV1>, ClientError> {
    let key = ResourceKey::new(service, id);
    at_site_of(client, cache, &key, timeout, move |site| async move {
        client::deallocate(client, service, &site, id, timeout).await
    })
    .await
}

/// Gives the caller's resource `id` of `service` the new `specification`, wherever it
/// is.
///
/// # Errors
/// As [`at_site_of`].
pub async fn update(
    client: &Client,
    cache: &SiteCache,
    (service, id): (&str, &str),
    specification: serde_json::Value,
    timeout: Duration,
) -> Result<Reached<ResourceUpdatedV1>, ClientError> {
    let key = ResourceKey::new(service, id);
    at_site_of(client, cache, &key, timeout, move |site| {
        let specification = specification.clone();
        async move { client::update(client, service, &site, id, specification, timeout).await }
    })
    .await
}

/// The lifecycle record of the caller's resource `id` of `service`, wherever it is.
///
/// # Errors
/// As [`at_site_of`].
pub async fn status(
    client: &Client,
    cache: &SiteCache,
    (service, id): (&str, &str),
    timeout: Duration,
) -> Result<Reached<ResourceStateV1>, ClientError> {
    let key = ResourceKey::new(service, id);
    at_site_of(client, cache, &key, timeout, move |site| async move {
        queued_client::status(client, (service, &site), id, timeout).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_and_no_agent_send_the_search_elsewhere() {
        let refused = |kind: ErrorType| -> Result<Answer<()>, ClientError> {
            Ok(Err(kind.reply("no", "sto1")))
        };
        assert!(not_here(&refused(ErrorType::NotFound)));
        assert!(!not_here(&refused(ErrorType::Conflict)));
        assert!(!not_here(&Ok(Ok(()))));
        let gone: Result<Answer<()>, ClientError> = Err(ClientError::NoResponders {
            subject: "svc.storage.sto1.status".into(),
        });
        assert!(not_here(&gone));
        let slow: Result<Answer<()>, ClientError> = Err(ClientError::TimedOut {
            subject: "svc.storage.sto1.status".into(),
            timeout: Duration::from_secs(1),
        });
        assert!(!not_here(&slow), "a slow site may still hold it");
    }

    #[test]
    fn an_id_found_nowhere_is_not_found_naming_the_silent_sites() {
        let key = ResourceKey::new("storage", "q1");
        let searched = Located {
            site: None,
            answered: vec!["sto1".into()],
            missing: vec!["osl1".into()],
            regions: Vec::new(),
        };
        let refusal = nowhere(&key, &searched);
        assert_eq!(refusal.error_type, "not_found");
        assert_eq!(refusal.site, "");
        assert_eq!(
            refusal.message,
            "no site of service `storage` holds resource `q1` (sites that did not answer: osl1)"
        );
    }
}
