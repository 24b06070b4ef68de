//! The messages of finding a resource's site when the caller does not know it:
//! [`ResourceLocateV1`] goes to `svc.<service>.locate`, which every site answers with a
//! [`ResourceLocationV1`] saying whether it holds the resource for the calling tenant.
//! A site answers `here` only for the caller's own tenant's record, so another tenant's
//! id is "not here" at every site, exactly as an id that exists nowhere. Their
//! `Message-Type` names are given with the others in `crate::contract`. Pure.

use serde::{Deserialize, Serialize};

/// Which site holds resource `id` of the calling tenant? Every site answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceLocateV1 {
    /// The resource id.
    pub id: String,
}

/// One site's answer to [`ResourceLocateV1`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLocationV1 {
    /// The resource id asked about.
    pub id: String,
    /// The answering site.
    pub site: String,
    /// Whether this site holds a record of that id for the calling tenant (whatever
    /// `status` at this site would answer, in any state, also `deleted`).
    pub here: bool,
    /// Every site of this service the answering agent knows of (those with a bucket), so
    /// that a client knows when every site has answered "not here".
    #[serde(default)]
    pub sites: Vec<String>,
    /// The cluster (region) of the server the answering agent is connected to, when it
    /// runs in a cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::decode_request;

    #[test]
    fn a_locate_request_names_only_an_id() {
        let asked: ResourceLocateV1 =
            decode_request(Some("ResourceLocateV1"), br#"{"id":"q17"}"#).unwrap();
        assert_eq!(asked.id, "q17");
        let extra = decode_request::<ResourceLocateV1>(None, br#"{"id":"q17","tenant":"x"}"#);
        assert!(extra.is_err(), "a request cannot name a tenant");
        let other = decode_request::<ResourceLocateV1>(Some("ResourceStatusV1"), b"{}");
        assert!(other.is_err());
    }

    #[test]
    fn a_location_reads_tolerantly_and_leaves_out_an_unknown_region() {
        let answer = ResourceLocationV1 {
            id: "q17".into(),
            site: "sto1".into(),
            here: true,
            sites: vec!["osl1".into(), "sto1".into()],
            region: None,
        };
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": "q17", "site": "sto1", "here": true,
                               "sites": ["osl1", "sto1"]})
        );
        let newer: ResourceLocationV1 = serde_json::from_value(serde_json::json!({
            "id": "q17", "site": "osl1", "here": false, "later": 1
        }))
        .unwrap();
        assert!(!newer.here && newer.sites.is_empty());
    }
}
