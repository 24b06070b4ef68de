//! A multi-region estate's topology (`init --region us:3 --region eu:1 [--leaf edge:acme]`):
//! the regions and their members, each member's ports, and the leaf nodes bound to tenant
//! accounts. Pure values; the configs are rendered by [`crate::regions_config`].
//!
//! Ports come from a base port in NATS's default spacing (member `k`, counted over every
//! region in order, listens for clients at `base + k`, routes at `base + 2000 + k`,
//! gateways at `base + 3000 + k`, leaf nodes at `base + 3200 + k`, monitoring at
//! `base + 4000 + k`: with base 4222 the first member gets 4222, 6222, 7222, 7422, 8222),
//! or are reserved per member with `--member-ports NAME=CLIENT,ROUTE,GATEWAY,LEAF,MONITOR`
//! (a leaf node takes `CLIENT[,_,_,_,MONITOR]`), so tests can hand in free ports.

use crate::error::EstateError;

/// Offsets from the base port, in NATS's default spacing (4222, 6222, 7222, 7422, 8222).
const ROUTE_OFFSET: u16 = 2000;
const GATEWAY_OFFSET: u16 = 3000;
const LEAF_OFFSET: u16 = 3200;
const MONITOR_OFFSET: u16 = 4000;
/// The most members a region may have (a JetStream cluster beyond 5 adds nothing here).
pub const MAX_REGION_MEMBERS: usize = 9;
/// The registry's replicas in a home region of at least this many members.
pub const REGISTRY_REPLICAS: usize = 3;

/// One member's ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// Client connections.
    pub client: u16,
    /// Routes to the other members of its region.
    pub route: u16,
    /// Gateway connections from the other regions.
    pub gateway: u16,
    /// Leaf node connections.
    pub leaf: u16,
    /// The monitoring endpoint (`/varz`, `/routez`, `/gatewayz`, `/leafz`).
    pub monitor: u16,
}

/// A server of a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The region (also its cluster's and gateway's name).
    pub region: String,
    /// `<region>-<n>`, counted from 1; the server name and config file name.
    pub name: String,
    /// Its ports.
    pub ports: Ports,
}

/// A leaf node whose remote is bound to a tenant account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// Its name; the server is `leaf-<name>`, its user in the tenant `leaf-<name>`.
    pub name: String,
    /// The tenant whose account the leaf connection joins.
    pub tenant: String,
    /// Client port (the route, gateway and leaf ports are unused).
    pub ports: Ports,
}

impl Leaf {
    /// The leaf node's server name, config file stem and user name: `leaf-<name>`.
    pub fn server_name(&self) -> String {
        format!("leaf-{}", self.name)
    }
}

/// The whole topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    /// Every member, region by region in the order given.
    pub members: Vec<Member>,
    /// The leaf nodes.
    pub leaves: Vec<Leaf>,
    /// The region holding the registry (the first region unless named).
    pub home: String,
    /// The client host of every member.
    pub host: String,
}

/// What `init` was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionsSpec {
    /// `NAME:COUNT` per region.
    pub regions: Vec<String>,
    /// `NAME:TENANT` per leaf node.
    pub leaves: Vec<String>,
    /// The home region, if not the first.
    pub home: Option<String>,
    /// `MEMBER=CLIENT,ROUTE,GATEWAY,LEAF,MONITOR` overrides.
    pub member_ports: Vec<String>,
}

fn bad(reason: String) -> EstateError {
    EstateError::Options { reason }
}

/// A region or leaf name: 1–32 of `a-z0-9-` (it becomes a server name, a tag and a file).
fn check_part(what: &str, name: &str) -> Result<(), EstateError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    match ok {
        true => Ok(()),
        false => Err(bad(format!("{what} `{name}`: use 1-32 of a-z, 0-9 and -"))),
    }
}

impl RegionsSpec {
    /// Whether any region was asked for (else the single-server layout).
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The topology, with ports from `base` unless overridden; `tenants` are the estate's.
    ///
    /// # Errors
    /// [`EstateError::Options`] for a bad region, leaf, home or port override.
    pub fn resolve(
        &self,
        host: &str,
        base: u16,
        tenants: &[String],
    ) -> Result<Regions, EstateError> {
        let mut members = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for text in &self.regions {
            let (name, count) = text
                .split_once(':')
                .ok_or_else(|| bad(format!("--region `{text}`: expected NAME:COUNT")))?;
            check_part("region", name)?;
            let count: usize = count.parse().unwrap_or(0);
            if !(1..=MAX_REGION_MEMBERS).contains(&count) {
                return Err(bad(format!(
                    "--region `{text}`: 1 to {MAX_REGION_MEMBERS} members"
                )));
            }
            if names.contains(&name) {
                return Err(bad(format!("region `{name}` given twice")));
            }
            names.push(name);
            for n in 1..=count {
                members.push((name.to_owned(), format!("{name}-{n}")));
            }
        }
        let total = members.len() + self.leaves.len();
        let at = |k: usize, offset: u16| -> Result<u16, EstateError> {
            u16::try_from(k)
                .ok()
                .and_then(|k| base.checked_add(offset)?.checked_add(k))
                .ok_or_else(|| bad(format!("--port {base}: too high for {total} servers")))
        };
        let default_ports = |k: usize| -> Result<Ports, EstateError> {
            Ok(Ports {
                client: at(k, 0)?,
                route: at(k, ROUTE_OFFSET)?,
                gateway: at(k, GATEWAY_OFFSET)?,
                leaf: at(k, LEAF_OFFSET)?,
                monitor: at(k, MONITOR_OFFSET)?,
            })
        };
        let mut out = Vec::new();
        for (k, (region, name)) in members.into_iter().enumerate() {
            let ports = self.ports_of(&name, default_ports(k)?)?;
            out.push(Member {
                region,
                name,
                ports,
            });
        }
        let mut leaves: Vec<Leaf> = Vec::new();
        for (i, text) in self.leaves.iter().enumerate() {
            let (name, tenant) = text
                .split_once(':')
                .ok_or_else(|| bad(format!("--leaf `{text}`: expected NAME:TENANT")))?;
            check_part("leaf", name)?;
            if !tenants.iter().any(|t| t == tenant) {
                return Err(bad(format!("--leaf `{text}`: no tenant `{tenant}`")));
            }
            if leaves.iter().any(|l| l.name == name) {
                return Err(bad(format!("leaf `{name}` given twice")));
            }
            let mut leaf = Leaf {
                name: name.to_owned(),
                tenant: tenant.to_owned(),
                ports: default_ports(out.len() + i)?,
            };
            leaf.ports = self.ports_of(&leaf.server_name(), leaf.ports)?;
            leaves.push(leaf);
        }
        let home = match &self.home {
            Some(home) if names.contains(&home.as_str()) => home.clone(),
            Some(home) => return Err(bad(format!("--home-region `{home}` is not a region"))),
            None => names.first().map(|n| (*n).to_owned()).unwrap_or_default(),
        };
        if let Some(unknown) = self.member_ports.iter().find_map(|text| {
            let name = text.split_once('=').map_or(text.as_str(), |(n, _)| n);
            let known = out.iter().any(|m| m.name == name)
                || leaves.iter().any(|l| l.server_name() == name);
            (!known).then(|| name.to_owned())
        }) {
            return Err(bad(format!("--member-ports: no member `{unknown}`")));
        }
        Ok(Regions {
            members: out,
            leaves,
            home,
            host: host.to_owned(),
        })
    }

    /// `defaults` with the override given for `member`, if any.
    fn ports_of(&self, member: &str, defaults: Ports) -> Result<Ports, EstateError> {
        let Some(text) = self
            .member_ports
            .iter()
            .find_map(|t| t.strip_prefix(member)?.strip_prefix('='))
        else {
            return Ok(defaults);
        };
        let given: Vec<&str> = text.split(',').collect();
        let pick = |i: usize, default: u16| -> Result<u16, EstateError> {
            match given.get(i).map(|s| s.trim()) {
                None | Some("") | Some("_") => Ok(default),
                Some(port) => port
                    .parse()
                    .map_err(|_| bad(format!("--member-ports {member}: bad port `{port}`"))),
            }
        };
        Ok(Ports {
            client: pick(0, defaults.client)?,
            route: pick(1, defaults.route)?,
            gateway: pick(2, defaults.gateway)?,
            leaf: pick(3, defaults.leaf)?,
            monitor: pick(4, defaults.monitor)?,
        })
    }
}

impl Regions {
    /// The region names, in order.
    pub fn region_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for member in &self.members {
            if !names.contains(&member.region.as_str()) {
                names.push(&member.region);
            }
        }
        names
    }

    /// The members of `region`.
    pub fn members_of<'a>(&'a self, region: &'a str) -> impl Iterator<Item = &'a Member> + 'a {
        self.members.iter().filter(move |m| m.region == region)
    }

    /// The placement tag of `region`: `region:<name>`.
    pub fn tag(region: &str) -> String {
        format!("region:{region}")
    }

    /// The registry's replicas: 3 when the home region has at least 3 members, else 1.
    pub fn registry_replicas(&self) -> usize {
        match self.members_of(&self.home).count() >= REGISTRY_REPLICAS {
            true => REGISTRY_REPLICAS,
            false => 1,
        }
    }

    /// The client URL of every member of the home region, first to last.
    pub fn home_urls(&self) -> Vec<String> {
        self.members_of(&self.home)
            .map(|m| format!("nats://{}:{}", self.host, m.ports.client))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(regions: &[&str]) -> RegionsSpec {
        RegionsSpec {
            regions: regions.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn members_take_ports_in_the_default_spacing() {
        let regions = spec(&["us:3", "eu:1", "ap:1"])
            .resolve("127.0.0.1", 4222, &[])
            .unwrap();
        let names: Vec<&str> = regions.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["us-1", "us-2", "us-3", "eu-1", "ap-1"]);
        let eu = &regions.members[3];
        assert_eq!(
            eu.ports,
            Ports {
                client: 4225,
                route: 6225,
                gateway: 7225,
                leaf: 7425,
                monitor: 8225
            }
        );
        assert_eq!(regions.home, "us");
        assert_eq!(regions.registry_replicas(), 3);
        assert_eq!(regions.region_names(), ["us", "eu", "ap"]);
        assert_eq!(regions.home_urls().len(), 3);
    }

    #[test]
    fn overrides_home_and_leaves() {
        let mut s = spec(&["us:1", "eu:2"]);
        s.home = Some("eu".into());
        s.leaves = vec!["edge:acme".into()];
        s.member_ports = vec!["eu-2=5000,5001,_,5003".into(), "leaf-edge=5100".into()];
        let regions = s.resolve("127.0.0.1", 4222, &["acme".into()]).unwrap();
        let eu2 = &regions.members[2].ports;
        assert_eq!(
            (eu2.client, eu2.route, eu2.gateway, eu2.leaf),
            (5000, 5001, 7224, 5003)
        );
        assert_eq!(regions.leaves[0].ports.client, 5100);
        assert_eq!(regions.leaves[0].server_name(), "leaf-edge");
        assert_eq!(regions.registry_replicas(), 1);
    }

    #[test]
    fn refuses_bad_input() {
        let tenants = ["acme".to_owned()];
        let refused = |s: RegionsSpec| s.resolve("h", 4222, &tenants).is_err();
        assert!(refused(spec(&["us"])));
        assert!(refused(spec(&["us:0"])));
        assert!(refused(spec(&["US:1"])));
        assert!(refused(spec(&["us:1", "us:2"])));
        assert!(refused(RegionsSpec {
            home: Some("eu".into()),
            ..spec(&["us:1"])
        }));
        assert!(refused(RegionsSpec {
            leaves: vec!["e:globex".into()],
            ..spec(&["us:1"])
        }));
        assert!(refused(RegionsSpec {
            member_ports: vec!["eu-1=1".into()],
            ..spec(&["us:1"])
        }));
        assert!(refused(RegionsSpec {
            member_ports: vec!["us-1=x".into()],
            ..spec(&["us:1"])
        }));
        assert!(spec(&["us:1"]).resolve("h", 65_000, &tenants).is_err());
    }
}
