//! Which resource a path names, and its record: `<service>.<site>.<agent id>` is read at
//! that site; `<service>.<agent id>` (an id whose site the caller does not know) is found
//! with the agent crate's search (`agent::locate`): the site the portal's
//! [`agent::locate::SiteCache`] remembers for the caller's tenant is asked first, and when
//! it answers "not here" every site is asked which one holds it. Either way the answer
//! names the resource by its full id.
//!
//! The cache is keyed per tenant, so one tenant's lookups never steer another's, and
//! every answer still comes from the agents over the caller's own connection: another
//! tenant's id is "not here" at every site, `404 resource_not_found` as one that exists
//! nowhere.

use agent::locate::by_id::at_site_of;
use agent::locate::ResourceKey;
use async_nats::Client;

use super::resources_wire::{bad, not_found, refused, status_failed};
use super::resources_wire::{ResourceRecord, Rid};
use crate::error::ApiError;
use crate::state::AppState;

/// A resource id as a path gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GivenRid {
    /// `<service>.<site>.<id>`: the site is known.
    Placed(Rid),
    /// `<service>.<id>`: the site is to be found.
    Unplaced {
        /// The service.
        service: String,
        /// The agent's id.
        id: String,
    },
}

impl GivenRid {
    /// Reads `<service>.<site>.<id>` or `<service>.<id>`, each part checked as the agents
    /// check it.
    ///
    /// # Errors
    /// `400 bad_request` naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        if text.split('.').count() != 2 {
            return Rid::parse(text).map(GivenRid::Placed);
        }
        let (service, id) = text.split_once('.').unwrap_or_default();
        agent::subjects::check_service(service).map_err(|e| bad("bad_request", &e.to_string()))?;
        agent::subjects::check_id(id).map_err(|e| bad("bad_request", &e.to_string()))?;
        Ok(GivenRid::Unplaced {
            service: service.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// Reads the record of `rid` as `client`.
///
/// # Errors
/// `404 resource_not_found` (no such record for the caller's tenant, or no agent of the
/// site answering), `503` otherwise.
pub async fn record(
    state: &AppState,
    client: &Client,
    rid: &Rid,
) -> Result<ResourceRecord, ApiError> {
    let place = (rid.service.as_str(), rid.site.as_str());
    let answer = agent::queued::client::status(client, place, &rid.id, state.nats_timeout)
        .await
        .map_err(|e| status_failed(&e))?;
    answer
        .map(|s| ResourceRecord::of(rid, s))
        .map_err(|e| refused(&e))
}

/// The resource `text` names, with its site, and its record read there (as `client`,
/// of the caller's `tenant`).
///
/// # Errors
/// `400 bad_request` for an id of neither form; `404 resource_not_found` when no site
/// holds it for the caller (or the site named has no agent answering); `503` otherwise.
pub async fn find(
    state: &AppState,
    client: &Client,
    tenant: &str,
    text: &str,
) -> Result<(Rid, ResourceRecord), ApiError> {
    let (service, id) = match GivenRid::parse(text)? {
        GivenRid::Placed(rid) => {
            let found = record(state, client, &rid).await?;
            return Ok((rid, found));
        }
        GivenRid::Unplaced { service, id } => (service, id),
    };
    let key = ResourceKey::new(&service, &id).of_tenant(tenant);
    let timeout = state.nats_timeout;
    let (service_ref, id_ref) = (service.as_str(), id.as_str());
    let reached = at_site_of(client, &state.sites, &key, timeout, |site| async move {
        let place = (service_ref, site.as_str());
        agent::queued::client::status(client, place, id_ref, timeout).await
    })
    .await
    .map_err(|e| status_failed(&e))?;
    let Some(site) = reached.site else {
        return Err(not_found(
            "resource_not_found",
            "no site of that service holds this resource for you",
        ));
    };
    let rid = Rid { service, site, id };
    let found = reached.answer.map_err(|e| refused(&e))?;
    Ok((rid.clone(), ResourceRecord::of(&rid, found)))
}

/// The resource `text` names, with its site: as given, or found as [`find`] finds it.
///
/// # Errors
/// As [`find`]; an id with its site is not checked further here.
pub async fn place(
    state: &AppState,
    client: &Client,
    tenant: &str,
    text: &str,
) -> Result<Rid, ApiError> {
    match GivenRid::parse(text)? {
        GivenRid::Placed(rid) => Ok(rid),
        GivenRid::Unplaced { .. } => find(state, client, tenant, text).await.map(|(rid, _)| rid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_names_its_site_or_leaves_it_to_be_found() {
        assert_eq!(
            GivenRid::parse("storage.sto_1.q17").unwrap(),
            GivenRid::Placed(Rid {
                service: "storage".into(),
                site: "sto_1".into(),
                id: "q17".into(),
            })
        );
        assert_eq!(
            GivenRid::parse("storage.q17").unwrap(),
            GivenRid::Unplaced {
                service: "storage".into(),
                id: "q17".into(),
            }
        );
        for bad in [
            "",
            "storage",
            "storage.",
            ".q17",
            "sto_rage.q17",
            "storage.q-17",
            "storage.sto1.q1.x",
        ] {
            assert!(GivenRid::parse(bad).is_err(), "{bad}");
        }
    }
}
