//! `init`'s multi-region flags: `--region NAME:COUNT` (repeat), `--leaf NAME:TENANT`,
//! `--home-region NAME` and `--member-ports MEMBER=CLIENT,ROUTE,GATEWAY,LEAF,MONITOR`.

use clap::Args;
use nsc_setup::RegionsSpec;

/// The multi-region layout (see `nsc_setup::regions`).
#[derive(Debug, Clone, Default, Args)]
pub struct RegionArgs {
    /// A region and its member count, `NAME:COUNT` (repeat): one server config per member
    /// in `servers/<NAME>-<n>.conf`, routes inside the region, gateways between regions,
    /// `server_tags: ["region:NAME"]`. Needs the full resolver. Region names: a-z, 0-9, -.
    #[arg(
        long = "region",
        env = "NSC_SETUP_REGIONS",
        value_delimiter = ',',
        value_name = "NAME:COUNT"
    )]
    pub regions: Vec<String>,
    /// A leaf node bound to a tenant's account, `NAME:TENANT` (repeat): config
    /// `servers/leaf-NAME.conf` and leaf-only users `leaf-NAME` in the tenant and in SYS.
    #[arg(
        long = "leaf",
        env = "NSC_SETUP_LEAVES",
        value_delimiter = ',',
        value_name = "NAME:TENANT",
        requires = "regions"
    )]
    pub leaves: Vec<String>,
    /// The region holding the registry (placement tag `region:NAME`) [default: the first].
    #[arg(long, env = "NSC_SETUP_HOME_REGION", requires = "regions")]
    pub home_region: Option<String>,
    /// Ports of one server instead of `--port`'s spacing (repeat):
    /// `MEMBER=CLIENT,ROUTE,GATEWAY,LEAF,MONITOR` (`_` keeps one); a leaf node
    /// `leaf-NAME=CLIENT,_,_,_,MONITOR`.
    #[arg(
        long = "member-ports",
        env = "NSC_SETUP_MEMBER_PORTS",
        value_delimiter = ' ',
        value_name = "MEMBER=PORTS",
        requires = "regions"
    )]
    pub member_ports: Vec<String>,
}

impl RegionArgs {
    /// The library's spec.
    pub fn spec(&self) -> RegionsSpec {
        RegionsSpec {
            regions: self.regions.clone(),
            leaves: self.leaves.clone(),
            home: self.home_region.clone(),
            member_ports: self.member_ports.clone(),
        }
    }
}
