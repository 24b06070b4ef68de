//! `describe`'s topology table of a multi-region estate, read back from the first line of
//! each `servers/*.conf` ([`crate::regions_config`]): one row per member and leaf node
//! with its region, name, ports and tags.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::regions_config::{LEAF_MARKER, MEMBER_MARKER, SERVERS_DIR};

/// One row: a member of a region or a leaf node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRow {
    /// The region, or `leaf (<tenant>)` for a leaf node.
    pub region: String,
    /// The server name.
    pub name: String,
    /// `key=value` pairs of the first line (`client`, `route`, `gateway`, `leaf`, …).
    pub fields: BTreeMap<String, String>,
    /// Whether this is a leaf node.
    pub is_leaf: bool,
}

impl ServerRow {
    /// A field, or `-`.
    pub fn field(&self, key: &str) -> &str {
        self.fields.get(key).map_or("-", String::as_str)
    }
}

/// The row recorded on the first line of a config `text`, if nsc-setup wrote it.
pub fn parse_row(text: &str) -> Option<ServerRow> {
    let first = text.lines().next()?;
    let (rest, is_leaf) = match first.strip_prefix(MEMBER_MARKER) {
        Some(rest) => (rest, false),
        None => (first.strip_prefix(LEAF_MARKER)?, true),
    };
    let fields: BTreeMap<String, String> = rest
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let name = fields.get("name")?.clone();
    let region = match is_leaf {
        true => format!("leaf ({})", fields.get("tenant")?),
        false => fields.get("region")?.clone(),
    };
    Some(ServerRow {
        region,
        name,
        fields,
        is_leaf,
    })
}

/// The rows of the estate in `root`, members first in config order, then leaf nodes;
/// empty for a single-server estate.
pub fn rows(root: &Path) -> Vec<ServerRow> {
    let Ok(entries) = std::fs::read_dir(root.join(SERVERS_DIR)) else {
        return Vec::new();
    };
    let mut rows: Vec<ServerRow> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|text| parse_row(&text))
        .collect();
    let port = |r: &ServerRow| r.field("client").parse::<u32>().unwrap_or(u32::MAX);
    rows.sort_by_key(|r| (r.is_leaf, port(r)));
    rows
}

/// The topology table, or nothing for a single-server estate.
pub fn table(root: &Path) -> String {
    let rows = rows(root);
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from("Topology (servers/<name>.conf)\n");
    let _ = writeln!(
        out,
        "  {:<14} {:<14} {:>6} {:>6} {:>7} {:>6} {:>7}  tags",
        "region", "name", "client", "route", "gateway", "leaf", "monitor"
    );
    for row in &rows {
        let tags = match row.is_leaf {
            true => format!("remote bound to {}", row.field("tenant")),
            false => format!("region:{}", row.region),
        };
        let _ = writeln!(
            out,
            "  {:<14} {:<14} {:>6} {:>6} {:>7} {:>6} {:>7}  {tags}",
            row.region,
            row.name,
            row.field("client"),
            row.field("route"),
            row.field("gateway"),
            row.field("leaf"),
            row.field("monitor"),
        );
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_and_leaves_back() {
        let member = parse_row(&format!(
            "{MEMBER_MARKER} region=us name=us-2 host=127.0.0.1 client=4223 route=6223 gateway=7223 leaf=7423 monitor=8223 jetstream=true\n"
        ))
        .unwrap();
        assert_eq!(
            (member.region.as_str(), member.name.as_str()),
            ("us", "us-2")
        );
        assert_eq!(member.field("gateway"), "7223");
        let leaf = parse_row(&format!(
            "{LEAF_MARKER} name=leaf-edge tenant=acme host=127.0.0.1 client=4227 monitor=8227\n"
        ))
        .unwrap();
        assert!(leaf.is_leaf);
        assert_eq!(leaf.region, "leaf (acme)");
        assert_eq!(leaf.field("route"), "-");
        assert_eq!(parse_row("listen: 1"), None);
    }
}
