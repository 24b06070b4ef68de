//! Finding a resource's site when the caller does not know it (an id from elsewhere, a
//! record of its site lost): [`locate`] asks every site of the service at once
//! (`svc.<service>.locate`, [`ResourceLocateV1`]) and gathers their
//! [`ResourceLocationV1`] answers until one says `here`, every site it knows of has said
//! "not here", or the deadline passes. Sites are learnt as `list` learns them: those the
//! caller names plus those every answering agent reports.
//!
//! A site says `here` only for a record of the calling tenant, so another tenant's id is
//! "not here" everywhere, exactly like an id that exists nowhere.
//!
//! [`SiteCache`] remembers where ids were found, and [`by_id`] runs an operation at the
//! remembered site, searching afresh when that site answers "not here" (the resource
//! moved, or the entry was wrong). The portal and `provisioner svc` use these.

use std::time::Duration;

use async_nats::Client;

use crate::client::{gather, ClientError, ServedIn, SiteAnswer};
use crate::contract::{ResourceLocateV1, ResourceLocationV1};
use crate::subjects;

pub mod by_id;
pub mod site_cache;

pub use site_cache::{ResourceKey, SiteCache};

/// Where a search found a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The site that holds it; `None`: no site that answered does.
    pub site: Option<String>,
    /// The sites that answered (refusals included).
    pub answered: Vec<String>,
    /// Sites known to exist that did not answer by the deadline: when the resource was
    /// found nowhere, it may be at one of these.
    pub missing: Vec<String>,
    /// The regions the answers came from, for the sites that run in a cluster.
    pub regions: Vec<String>,
}

impl ServedIn for ResourceLocationV1 {
    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

impl SiteAnswer for ResourceLocationV1 {
    fn site(&self) -> &str {
        &self.site
    }
    fn known_sites(&self) -> Vec<String> {
        self.sites.clone()
    }
    fn settles(&self) -> bool {
        self.here
    }
}

/// Asks every site of `service` whether it holds the caller's resource `id`; stops at
/// the first that does, once every known site said it does not, or after `deadline`.
/// An id no agent could have made (see [`subjects::check_id`]) is found nowhere without
/// asking.
///
/// # Errors
/// [`ClientError::Nats`] when the request cannot be sent.
pub async fn locate(
    client: &Client,
    service: &str,
    id: &str,
    deadline: Duration,
) -> Result<Located, ClientError> {
    if subjects::check_id(id).is_err() {
        // No site can hold it, and every agent would refuse the question.
        return Ok(Located {
            site: None,
            answered: Vec::new(),
            missing: Vec::new(),
            regions: Vec::new(),
        });
    }
    let request = ResourceLocateV1 { id: id.to_owned() };
    let gathered = gather::<_, ResourceLocationV1>(
        client,
        subjects::locate(service),
        &request,
        &[],
        None,
        deadline,
    )
    .await?;
    let found = gathered
        .answers
        .values()
        .filter_map(|answer| answer.as_ref().ok())
        .find(|location| location.here && location.id == id)
        .map(|location| location.site.clone());
    let regions = gathered.regions();
    Ok(Located {
        site: found,
        answered: gathered.answers.keys().cloned().collect(),
        missing: gathered.missing,
        regions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_answer_settles_the_search_only_when_here() {
        let mut answer = ResourceLocationV1 {
            id: "q1".into(),
            site: "sto1".into(),
            here: false,
            sites: vec!["osl1".into(), "sto1".into()],
            region: None,
        };
        assert!(!answer.settles());
        assert_eq!(answer.known_sites(), ["osl1", "sto1"]);
        answer.here = true;
        assert!(answer.settles());
        assert_eq!(SiteAnswer::site(&answer), "sto1");
    }
}
