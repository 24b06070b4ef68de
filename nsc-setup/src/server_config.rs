//! The `nats-server` config that trusts the estate, in the shapes `nsc generate config`
//! writes: `--nats-resolver` (a full, NATS-based resolver with only the system account
//! preloaded) or `--mem-resolver` (every account preloaded), plus the listen address and
//! JetStream's store directory when asked.
//!
//! In full mode every account JWT is also written to the resolver directory as
//! `<dir>/jwt/<public key>.jwt` (see [`resolver_files`]), which is where the full resolver
//! keeps pushed JWTs, so a fresh server starts knowing every account without a push.
//!
//! The first line records the settings (`# nsc-setup: resolver=full listen=… jetstream=…`)
//! so that `nsc-setup tenant add` can render the file again.

use std::fmt::{self, Write as _};
use std::path::Path;
use std::str::FromStr;

use crate::estate::{AccountEntry, Estate};
use crate::layout::Layout;
use crate::write::FileSet;

/// The marker opening the settings line.
const SETTINGS_MARKER: &str = "# nsc-setup:";
/// The full resolver's sync interval, as nsc writes it.
pub const RESOLVER_INTERVAL: &str = "2m";

/// Which account resolver the server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolverKind {
    /// NATS-based, stores JWTs in a directory, accepts pushes.
    Full,
    /// Fixed at start-up from `resolver_preload`.
    Memory,
}

impl fmt::Display for ResolverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResolverKind::Full => "full",
            ResolverKind::Memory => "memory",
        })
    }
}

impl FromStr for ResolverKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(ResolverKind::Full),
            "memory" => Ok(ResolverKind::Memory),
            other => Err(format!("unknown resolver `{other}` (known: full, memory)")),
        }
    }
}

/// What the server config contains besides the estate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// The resolver.
    pub resolver: ResolverKind,
    /// The client listen host.
    pub host: String,
    /// The client listen port.
    pub port: u16,
    /// Whether to enable JetStream (store in `<dir>/js`).
    pub jetstream: bool,
}

impl ServerSettings {
    /// `host:port`, with brackets around an IPv6 host.
    pub fn listen(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The client URL, `nats://host:port`.
    pub fn client_url(&self) -> String {
        format!("nats://{}", self.listen())
    }

    /// The settings recorded on the first line of a config this module rendered.
    pub fn from_config(text: &str) -> Option<ServerSettings> {
        let line = text.lines().next()?.strip_prefix(SETTINGS_MARKER)?;
        let mut resolver = None;
        let mut listen = None;
        let mut jetstream = None;
        for pair in line.split_whitespace() {
            match pair.split_once('=')? {
                ("resolver", v) => resolver = v.parse().ok(),
                ("listen", v) => listen = Some(v),
                ("jetstream", v) => jetstream = v.parse().ok(),
                _ => {}
            }
        }
        let (host, port) = listen?.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Some(ServerSettings {
            resolver: resolver?,
            host: host.to_owned(),
            port: port.parse().ok()?,
            jetstream: jetstream?,
        })
    }
}

/// Renders the server config for `estate` in the estate directory `root` (absolute).
pub fn render(estate: &Estate, settings: &ServerSettings, root: &Path) -> String {
    let layout = Layout::new(root);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{SETTINGS_MARKER} resolver={} listen={} jetstream={}",
        settings.resolver,
        settings.listen(),
        settings.jetstream
    );
    out.push_str(
        "# Written by nsc-setup from the estate in this directory; `nsc-setup tenant add`\n",
    );
    out.push_str("# writes it again. Shaped like `nsc generate config`.\n");
    let _ = writeln!(out, "listen: {}\n", settings.listen());
    let _ = writeln!(out, "// Operator {:?}", estate.operator.name);
    let _ = writeln!(out, "operator: {}", estate.operator.jwt);
    if let Some(sys) = estate.system_account() {
        let _ = writeln!(out, "// System Account {:?}", sys.name);
    }
    let _ = writeln!(
        out,
        "system_account: {}\n",
        estate.operator.claims.nats.system_account
    );
    match settings.resolver {
        ResolverKind::Full => {
            out.push_str("# configuration of the nats based resolver\n");
            out.push_str("resolver {\n    type: full\n");
            let _ = writeln!(
                out,
                "    dir: {}",
                quote(&layout.resolver_dir().to_string_lossy())
            );
            out.push_str("    allow_delete: true\n");
            let _ = writeln!(out, "    interval: {}\n}}\n", quote(RESOLVER_INTERVAL));
            out.push_str(
                "# Only the system account is preloaded; the other account JWTs are in the\n",
            );
            out.push_str(
                "# resolver directory (`nsc-setup push` updates them on a running server).\n",
            );
            push_preload(&mut out, estate.system_account().into_iter());
        }
        ResolverKind::Memory => {
            out.push_str("resolver: MEMORY\n");
            let mut accounts: Vec<&AccountEntry> = estate.accounts.iter().collect();
            accounts.sort_by(|a, b| a.public_key().cmp(b.public_key()));
            push_preload(&mut out, accounts.into_iter());
        }
    }
    if let Some(sentinel) = crate::callout::sentinel_jwt(estate) {
        out.push_str(
            "\n# Clients without a JWT connect as AUTH's bearer sentinel, whose connections\n",
        );
        out.push_str("# the provisioner authorizes through the auth callout.\n");
        let _ = writeln!(out, "default_sentinel: {}", quote(sentinel));
    }
    if settings.jetstream {
        let _ = writeln!(
            out,
            "\njetstream {{\n    store_dir: {}\n}}",
            quote(&layout.jetstream_dir().to_string_lossy())
        );
    }
    out
}

/// The account JWT files the full resolver reads, `jwt/<public key>.jwt` (relative paths);
/// none for the memory resolver.
pub fn resolver_files(estate: &Estate, settings: &ServerSettings) -> FileSet {
    let mut files = FileSet::new();
    if settings.resolver == ResolverKind::Full {
        let rel = Layout::new("");
        for account in &estate.accounts {
            files.insert(rel.resolver_jwt(account.public_key()), account.jwt.as_str());
        }
    }
    files
}

fn push_preload<'a>(out: &mut String, accounts: impl Iterator<Item = &'a AccountEntry>) {
    out.push_str("resolver_preload: {\n");
    for account in accounts {
        let _ = writeln!(out, "  // Account {:?}", account.name);
        let _ = writeln!(out, "  {}: {}", account.public_key(), account.jwt);
    }
    out.push_str("}\n");
}

/// A double-quoted config string.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{EstateSpec, TenantSpec};
    use crate::keys::SequentialKeys;

    fn estate() -> Estate {
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![TenantSpec {
                name: "acme".into(),
                scoped: false,
            }],
            jetstream: true,
        };
        Estate::build(&spec, &mut SequentialKeys::new(10), 1_800_000_000).unwrap()
    }

    fn settings(resolver: ResolverKind) -> ServerSettings {
        ServerSettings {
            resolver,
            host: "127.0.0.1".into(),
            port: 4222,
            jetstream: true,
        }
    }

    #[test]
    fn full_resolver_preloads_only_the_system_account() {
        let estate = estate();
        let text = render(&estate, &settings(ResolverKind::Full), Path::new("/e"));
        assert!(text.contains("listen: 127.0.0.1:4222\n"));
        assert!(text.contains(&format!("operator: {}\n", estate.operator.jwt)));
        let sys = estate.system_account().unwrap();
        assert!(text.contains(&format!("system_account: {}\n", sys.public_key())));
        assert!(text.contains("resolver {\n    type: full\n    dir: \"/e/jwt\"\n    allow_delete: true\n    interval: \"2m\"\n}\n"));
        assert!(text.contains(&format!(
            "  // Account \"SYS\"\n  {}: {}\n}}",
            sys.public_key(),
            sys.jwt
        )));
        assert!(!text.contains(&estate.account("acme").unwrap().jwt));
        assert!(text.contains("jetstream {\n    store_dir: \"/e/js\"\n}"));
        let files = resolver_files(&estate, &settings(ResolverKind::Full));
        assert_eq!(files.len(), estate.accounts.len());
        let acme = estate.account("acme").unwrap();
        assert_eq!(
            files.get(format!("jwt/{}.jwt", acme.public_key())).unwrap(),
            acme.jwt.as_bytes()
        );
    }

    #[test]
    fn memory_resolver_preloads_every_account_sorted_by_key() {
        let estate = estate();
        let text = render(&estate, &settings(ResolverKind::Memory), Path::new("/e"));
        assert!(text.contains("resolver: MEMORY\nresolver_preload: {\n"));
        let mut keys: Vec<&str> = estate.accounts.iter().map(|a| a.public_key()).collect();
        keys.sort_unstable();
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("  {k}: ")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        assert!(resolver_files(&estate, &settings(ResolverKind::Memory)).is_empty());
    }

    #[test]
    fn settings_round_trip_through_the_first_line() {
        let estate = estate();
        for resolver in [ResolverKind::Full, ResolverKind::Memory] {
            let mut s = settings(resolver);
            s.jetstream = resolver == ResolverKind::Full;
            let text = render(&estate, &s, Path::new("/e"));
            assert_eq!(ServerSettings::from_config(&text), Some(s));
        }
        let v6 = ServerSettings {
            host: "::1".into(),
            ..settings(ResolverKind::Full)
        };
        assert_eq!(v6.listen(), "[::1]:4222");
        let text = render(&estate, &v6, Path::new("/e"));
        assert_eq!(ServerSettings::from_config(&text), Some(v6));
        assert_eq!(ServerSettings::from_config("listen: x"), None);
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
