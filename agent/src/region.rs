//! Which region served a request, as every reply of the provisioner and of the agents
//! says it in the [`REGION_HEADER`] header.
//!
//! In a supercluster each region is one NATS cluster (the `nsc-setup init --region`
//! estates name the cluster, and its gateway, after the region), and a replica serves
//! from the server it is connected to at that moment. So the region is read from that
//! server's `INFO` (`cluster`) at reply time, not configured: a replica that reconnects
//! to another region after a failover says so in its next reply, and a replica needs no
//! setting that could disagree with where it really runs. A server outside any cluster
//! has no region, and the header is then left out.

use async_nats::Client;

/// The reply header naming the region (the NATS cluster) that served the request.
pub const REGION_HEADER: &str = "Served-Region";

/// The region of the server `client` is connected to now, when that server is in a
/// named cluster.
pub fn serving_region(client: &Client) -> Option<String> {
    region_of(&client.server_info())
}

/// The region an `INFO` names: its cluster, when set and not empty.
pub fn region_of(info: &async_nats::ServerInfo) -> Option<String> {
    info.cluster.clone().filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_is_the_servers_cluster() {
        let mut info = async_nats::ServerInfo::default();
        assert_eq!(region_of(&info), None);
        info.cluster = Some(String::new());
        assert_eq!(region_of(&info), None);
        info.cluster = Some(String::from("eu"));
        assert_eq!(region_of(&info).as_deref(), Some("eu"));
    }
}
