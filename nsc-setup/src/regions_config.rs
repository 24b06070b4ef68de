//! The server configs of a multi-region estate: `servers/<member>.conf` per member of
//! every region and `servers/leaf-<name>.conf` per leaf node, plus each server's own full
//! resolver directory `servers/<server>/jwt` holding every account JWT.
//!
//! Every member has its `server_name`, client, monitoring, route, gateway and leaf node
//! listen ports, `server_tags: ["region:<r>"]` (JetStream placement), a `cluster` named
//! after its region with routes to the region's other members, a `gateway` named after
//! its region listing every region's gateway URLs, the full resolver with only SYS
//! preloaded (the resolvers of all regions share updates through the system account,
//! across the gateways) and, with `--jetstream`, JetStream in `servers/<member>/js`.
//!
//! A leaf node runs in operator mode with its own full resolver and two remotes to the
//! home region's leaf ports: one bound to its tenant's account (its clients' traffic) and
//! one bound to SYS (account updates, so a revocation reaches it); see [`crate::leaf`].
//!
//! The first line of each file records its shape (`# nsc-setup member: region=us …`),
//! which `describe` reads back ([`crate::regions_describe`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::estate::{AccountEntry, Estate};
use crate::regions::{Leaf, Member, Regions};
use crate::server_config::{quote, RESOLVER_INTERVAL};
use crate::topology::SYS_ACCOUNT;
use crate::write::FileSet;

/// The directory of the members' configs, relative to the estate.
pub const SERVERS_DIR: &str = "servers";
/// The marker opening a member config's first line.
pub const MEMBER_MARKER: &str = "# nsc-setup member:";
/// The marker opening a leaf node config's first line.
pub const LEAF_MARKER: &str = "# nsc-setup leaf:";

/// `servers/<name>.conf`, relative to the estate.
pub fn config_path(server: &str) -> PathBuf {
    Path::new(SERVERS_DIR).join(format!("{server}.conf"))
}

/// `servers/<name>`, relative to the estate: the server's resolver and JetStream store.
pub fn state_dir(server: &str) -> PathBuf {
    Path::new(SERVERS_DIR).join(server)
}

/// Every config and resolver file of `regions` for the estate in `root` (absolute).
pub fn files(estate: &Estate, regions: &Regions, root: &Path, jetstream: bool) -> FileSet {
    let mut files = FileSet::new();
    let mut servers: Vec<String> = Vec::new();
    for member in &regions.members {
        let text = member_config(estate, regions, member, root, jetstream);
        files.insert(config_path(&member.name), text);
        servers.push(member.name.clone());
    }
    for leaf in &regions.leaves {
        files.insert(
            config_path(&leaf.server_name()),
            leaf_config(estate, regions, leaf, root),
        );
        servers.push(leaf.server_name());
    }
    for server in servers {
        for account in &estate.accounts {
            let path = state_dir(&server)
                .join("jwt")
                .join(format!("{}.jwt", account.public_key()));
            files.insert(path, account.jwt.as_str());
        }
    }
    files
}

/// The JWT file of `account` in the resolver directory of every server of the estate in
/// `root` (`servers/<server>/jwt/<key>.jwt`, relative), for a tenant added later; none
/// for a single-server estate.
pub fn member_resolver_files(root: &Path, account: &AccountEntry) -> FileSet {
    let mut files = FileSet::new();
    let Ok(entries) = std::fs::read_dir(root.join(SERVERS_DIR)) else {
        return files;
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.path().join("jwt").is_dir() {
            let server = entry.file_name().to_string_lossy().into_owned();
            let path = state_dir(&server)
                .join("jwt")
                .join(format!("{}.jwt", account.public_key()));
            files.insert(path, account.jwt.as_str());
        }
    }
    files
}

/// `provisioner.toml`'s registry placement: the home region's tag and its replicas.
pub fn provisioner_lines(regions: &Regions, jetstream: bool) -> String {
    if !jetstream {
        return String::new();
    }
    format!(
        "registry_placement = {}\nregistry_replicas = {}\n",
        crate::toml_text::toml_string(&Regions::tag(&regions.home)),
        regions.registry_replicas()
    )
}

fn address(host: &str, port: u16) -> String {
    match host.contains(':') && !host.starts_with('[') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    }
}

fn url_list(scheme: &str, host: &str, ports: impl Iterator<Item = u16>) -> String {
    let urls: Vec<String> = ports
        .map(|p| quote(&format!("{scheme}://{}", address(host, p))))
        .collect();
    format!("[{}]", urls.join(", "))
}

/// The part every server shares: trust in the operator and the full resolver.
fn trust(out: &mut String, estate: &Estate, root: &Path, server: &str) {
    let _ = writeln!(out, "operator: {}", estate.operator.jwt);
    let _ = writeln!(
        out,
        "system_account: {}\n",
        estate.operator.claims.nats.system_account
    );
    let dir = root.join(state_dir(server)).join("jwt");
    out.push_str("resolver {\n    type: full\n");
    let _ = writeln!(out, "    dir: {}", quote(&dir.to_string_lossy()));
    out.push_str("    allow_delete: true\n");
    let _ = writeln!(out, "    interval: {}\n}}", quote(RESOLVER_INTERVAL));
    out.push_str("resolver_preload: {\n");
    if let Some(sys) = estate.system_account() {
        let _ = writeln!(out, "  {}: {}", sys.public_key(), sys.jwt);
    }
    out.push_str("}\n");
    if let Some(sentinel) = crate::callout::sentinel_jwt(estate) {
        let _ = writeln!(out, "default_sentinel: {}", quote(sentinel));
    }
}

/// The config of one member of a region.
pub fn member_config(
    estate: &Estate,
    regions: &Regions,
    member: &Member,
    root: &Path,
    jetstream: bool,
) -> String {
    let host = regions.host.as_str();
    let p = member.ports;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{MEMBER_MARKER} region={} name={} host={host} client={} route={} gateway={} leaf={} monitor={} jetstream={jetstream}",
        member.region, member.name, p.client, p.route, p.gateway, p.leaf, p.monitor
    );
    out.push_str("# Written by nsc-setup: one member of a multi-region estate.\n");
    let _ = writeln!(out, "server_name: {}", quote(&member.name));
    let _ = writeln!(out, "listen: {}", address(host, p.client));
    let _ = writeln!(out, "http: {}", address(host, p.monitor));
    let tag = quote(&Regions::tag(&member.region));
    let _ = writeln!(out, "server_tags: [{tag}]\n");
    trust(&mut out, estate, root, &member.name);
    if jetstream {
        let store = root.join(state_dir(&member.name)).join("js");
        let _ = writeln!(
            out,
            "\njetstream {{\n    store_dir: {}\n}}",
            quote(&store.to_string_lossy())
        );
    }
    // Every member of the region, itself included (the server skips its own URL): a
    // region of one member still has a configured route, without which JetStream refuses
    // to start clustered ("requires configured routes").
    let peers = regions.members_of(&member.region).map(|m| m.ports.route);
    let _ = writeln!(
        out,
        "\ncluster {{\n    name: {}\n    listen: {}\n    routes: {}\n}}",
        quote(&member.region),
        address(host, p.route),
        url_list("nats-route", host, peers)
    );
    let _ = writeln!(
        out,
        "\ngateway {{\n    name: {}\n    listen: {}\n    gateways: [",
        quote(&member.region),
        address(host, p.gateway)
    );
    for region in regions.region_names() {
        let urls = url_list(
            "nats",
            host,
            regions.members_of(region).map(|m| m.ports.gateway),
        );
        let _ = writeln!(out, "        {{ name: {}, urls: {urls} }}", quote(region));
    }
    out.push_str("    ]\n}\n");
    let _ = writeln!(
        out,
        "\nleafnodes {{\n    listen: {}\n}}",
        address(host, p.leaf)
    );
    out
}

/// The config of a leaf node bound to its tenant's account.
pub fn leaf_config(estate: &Estate, regions: &Regions, leaf: &Leaf, root: &Path) -> String {
    let host = regions.host.as_str();
    let name = leaf.server_name();
    let p = leaf.ports;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{LEAF_MARKER} name={name} tenant={} host={host} client={} monitor={}",
        leaf.tenant, p.client, p.monitor
    );
    out.push_str(
        "# Written by nsc-setup: a leaf node joining the tenant's account to the home region.\n",
    );
    let _ = writeln!(out, "server_name: {}", quote(&name));
    let _ = writeln!(out, "listen: {}", address(host, p.client));
    let _ = writeln!(out, "http: {}\n", address(host, p.monitor));
    trust(&mut out, estate, root, &name);
    let urls = url_list(
        "nats-leaf",
        host,
        regions.members_of(&regions.home).map(|m| m.ports.leaf),
    );
    out.push_str("\nleafnodes {\n    remotes: [\n");
    let operator = &estate.operator.name;
    for account in [leaf.tenant.as_str(), SYS_ACCOUNT] {
        let Some(entry) = estate.account(account) else {
            continue;
        };
        let creds = root.join(crate::leaf::creds_path(operator, account, leaf));
        let _ = writeln!(
            out,
            "        {{ urls: {urls}, account: {}, credentials: {} }}",
            quote(entry.public_key()),
            quote(&creds.to_string_lossy())
        );
    }
    out.push_str("    ]\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{EstateSpec, TenantSpec};
    use crate::keys::SequentialKeys;
    use crate::regions::RegionsSpec;

    fn setup() -> (Estate, Regions) {
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![TenantSpec {
                name: "acme".into(),
                scoped: false,
            }],
            jetstream: true,
        };
        let mut keys = SequentialKeys::new(50);
        let mut estate = Estate::build(&spec, &mut keys, 1_800_000_000).unwrap();
        let regions = RegionsSpec {
            regions: vec!["us:3".into(), "eu:1".into()],
            leaves: vec!["edge:acme".into()],
            ..Default::default()
        }
        .resolve("127.0.0.1", 4222, &["acme".into()])
        .unwrap();
        crate::leaf::add_leaf_users(&mut estate, &regions, &mut keys, 1_800_000_000).unwrap();
        (estate, regions)
    }

    /// The `key: value` lines at the top level of a config (blocks and comments skipped),
    /// and every line, trimmed: enough to check the shape without a NATS config parser.
    fn top_level(text: &str) -> Vec<(String, String)> {
        let mut depth = 0i32;
        let mut out = Vec::new();
        for line in text.lines().map(str::trim) {
            if depth == 0 && !line.starts_with('#') {
                if let Some((k, v)) = line.split_once(": ") {
                    out.push((k.to_owned(), v.to_owned()));
                }
            }
            depth += line.matches(['{', '[']).count() as i32;
            depth -= line.matches(['}', ']']).count() as i32;
        }
        assert_eq!(depth, 0, "unbalanced config:\n{text}");
        out
    }

    #[test]
    fn a_member_routes_in_its_region_and_gateways_to_every_region() {
        let (estate, regions) = setup();
        let us2 = &regions.members[1];
        let text = member_config(&estate, &regions, us2, Path::new("/e"), true);
        let top = top_level(&text);
        let get = |k: &str| {
            top.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("server_name"), Some("\"us-2\""));
        assert_eq!(get("listen"), Some("127.0.0.1:4223"));
        assert_eq!(get("http"), Some("127.0.0.1:8223"));
        assert_eq!(get("server_tags"), Some("[\"region:us\"]"));
        assert!(text.contains("    dir: \"/e/servers/us-2/jwt\"\n"));
        assert!(text.contains("store_dir: \"/e/servers/us-2/js\""));
        assert!(text.contains("    name: \"us\"\n    listen: 127.0.0.1:6223\n    routes: [\"nats-route://127.0.0.1:6222\", \"nats-route://127.0.0.1:6223\", \"nats-route://127.0.0.1:6224\"]"));
        assert!(text.contains("{ name: \"eu\", urls: [\"nats://127.0.0.1:7225\"] }"));
        assert!(text.contains("leafnodes {\n    listen: 127.0.0.1:7423\n}"));
        let sys = estate.system_account().unwrap();
        assert!(text.contains(&format!("  {}: {}\n}}", sys.public_key(), sys.jwt)));
        assert!(!text.contains(&estate.account("acme").unwrap().jwt));
        let without = member_config(&estate, &regions, us2, Path::new("/e"), false);
        assert!(!without.contains("jetstream {"));
    }

    #[test]
    fn the_leaf_node_binds_the_tenant_and_sys_to_the_home_region() {
        let (estate, regions) = setup();
        let text = leaf_config(&estate, &regions, &regions.leaves[0], Path::new("/e"));
        top_level(&text);
        let acme = estate.account("acme").unwrap().public_key();
        assert!(text.contains(&format!(
            "account: \"{acme}\", credentials: \"/e/nkeys/creds/OP/acme/leaf-edge.creds\""
        )));
        assert!(text.contains("credentials: \"/e/nkeys/creds/OP/SYS/leaf-edge.creds\""));
        assert!(text.contains("[\"nats-leaf://127.0.0.1:7422\", \"nats-leaf://127.0.0.1:7423\", \"nats-leaf://127.0.0.1:7424\"]"));
        assert!(!text.contains("jetstream") && !text.contains("gateway"));
        let row = crate::regions_describe::parse_row(&text).unwrap();
        assert_eq!(row.field("client"), "4226");
    }

    #[test]
    fn every_server_gets_every_account_jwt_and_the_provisioner_its_placement() {
        let (estate, regions) = setup();
        let files = files(&estate, &regions, Path::new("/e"), true);
        let servers = regions.members.len() + regions.leaves.len();
        assert_eq!(files.len(), servers * (1 + estate.accounts.len()));
        let acme = estate.account("acme").unwrap();
        let path = format!("servers/eu-1/jwt/{}.jwt", acme.public_key());
        assert_eq!(files.get(path).unwrap(), acme.jwt.as_bytes());
        assert_eq!(
            provisioner_lines(&regions, true),
            "registry_placement = \"region:us\"\nregistry_replicas = 3\n"
        );
        assert_eq!(provisioner_lines(&regions, false), "");
    }
}
