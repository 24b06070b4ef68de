//! The product's own files next to the nsc store: `provisioner.toml` (paths relative to
//! its directory, read by the provisioner with unknown keys refused) and `nsc.env`
//! (exports `NSC_HOME` and `NKEYS_PATH` so `nsc` manages the estate).
//!
//! Not here: `policy.toml` (see [`crate::policy_file`]) and `server.conf` (see
//! [`crate::server_config`]).

use std::fmt::Write as _;
use std::path::Path;

use crate::estate::Estate;
use crate::layout::{Layout, POLICY_TOML};
use crate::server_config::{ResolverKind, ServerSettings};
use crate::toml_text::toml_string;
use crate::topology::{
    AUDIT_SUBJECT, AUTH_ACCOUNT, PROVISIONER_USER, QUEUE_GROUP, REQUEST_SUBJECT, SYS_ACCOUNT,
    SYS_USER,
};

/// Where the provisioner's admin HTTP endpoints (`/metrics`, `/healthz`, `/readyz`) listen.
pub const ADMIN_ADDR: &str = "127.0.0.1:9090";

/// `provisioner.toml` for an estate of `operator` whose server listens at `nats_url`.
///
/// # Examples
/// ```
/// let text = nsc_setup::product::provisioner_toml("OP", "nats://127.0.0.1:4222");
/// assert!(text.contains("creds = \"nkeys/creds/OP/AUTH/provisioner.creds\"\n"));
/// ```
pub fn provisioner_toml(operator: &str, nats_url: &str) -> String {
    let rel = Layout::new("");
    let creds = rel
        .key_store()
        .creds_path(operator, AUTH_ACCOUNT, PROVISIONER_USER);
    let store = rel.store(operator);
    let entries = [
        ("nats_url", nats_url.to_owned()),
        ("creds", path_string(&creds)),
        ("policy", POLICY_TOML.to_owned()),
        ("nkeys_path", path_string(&rel.nkeys_path())),
        ("nsc_store", path_string(store.dir())),
        ("subject", REQUEST_SUBJECT.to_owned()),
        ("queue_group", QUEUE_GROUP.to_owned()),
        ("audit_subject", AUDIT_SUBJECT.to_owned()),
        ("admin_addr", ADMIN_ADDR.to_owned()),
    ];
    let mut out = String::new();
    for (key, value) in entries {
        let _ = writeln!(out, "{key} = {}", toml_string(&value));
    }
    out
}

/// The `provisioner.toml` lines for its registry: with JetStream, `registry = true`
/// (users, invites, quotas and nonces in KV buckets in AUTH); with a full resolver too,
/// the operator signing key and the system user's creds, so that revoking a user updates
/// the tenant account on the running resolver. A memory resolver cannot take updates,
/// so it gets neither.
pub fn registry_lines(estate: &Estate, server: &ServerSettings) -> String {
    if !server.jetstream {
        return String::new();
    }
    let mut out = String::from("registry = true\n");
    let signing_key = estate
        .operator
        .signing_keys
        .iter()
        .map(|k| k.public_key())
        .find(|k| estate.operator.claims.nats.signing_keys.contains(k));
    if let (ResolverKind::Full, Some(key)) = (server.resolver, signing_key) {
        let keys = Layout::new("").key_store();
        if let Some(path) = keys.key_path(&key) {
            let sys = keys.creds_path(&estate.operator.name, SYS_ACCOUNT, SYS_USER);
            let _ = writeln!(
                out,
                "operator_signing_key = {}",
                toml_string(&path_string(&path))
            );
            let _ = writeln!(out, "sys_creds = {}", toml_string(&path_string(&sys)));
        }
    }
    out
}

/// The `provisioner.toml` line of the issuance history's retention: with JetStream and a
/// non-zero `max_age_secs`, `history_max_age_secs` (the history stream's max age);
/// otherwise nothing, which leaves the provisioner's default.
pub fn history_line(server: &ServerSettings, max_age_secs: Option<u64>) -> String {
    match max_age_secs {
        Some(secs) if server.jetstream && secs > 0 => format!("history_max_age_secs = {secs}\n"),
        _ => String::new(),
    }
}

/// `nsc.env` for the estate in `root` (absolute): `export NSC_HOME=…` and
/// `export NKEYS_PATH=…`, shell-quoted where needed.
pub fn env_file(root: &Path) -> String {
    let layout = Layout::new(root);
    format!(
        "export NSC_HOME={}\nexport NKEYS_PATH={}\n",
        shell_word(&layout.nsc_home().to_string_lossy()),
        shell_word(&layout.nkeys_path().to_string_lossy())
    )
}

/// A relative path with `/` separators.
fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A shell word: bare when it has only safe characters, else single-quoted.
fn shell_word(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c));
    if safe {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioner_toml_is_the_agreed_format() {
        assert_eq!(
            provisioner_toml("OP", "nats://127.0.0.1:4222"),
            "nats_url = \"nats://127.0.0.1:4222\"\n\
             creds = \"nkeys/creds/OP/AUTH/provisioner.creds\"\n\
             policy = \"policy.toml\"\n\
             nkeys_path = \"nkeys\"\n\
             nsc_store = \"nsc/stores/OP\"\n\
             subject = \"creds.request\"\n\
             queue_group = \"provisioner\"\n\
             audit_subject = \"creds.audit.events\"\n\
             admin_addr = \"127.0.0.1:9090\"\n"
        );
    }

    #[test]
    fn registry_lines_follow_jetstream_and_the_resolver() {
        use crate::estate::{EstateSpec, TenantSpec};
        use crate::keys::SequentialKeys;
        let spec = EstateSpec {
            operator: "OP".into(),
            tenants: vec![TenantSpec {
                name: "acme".into(),
                scoped: false,
            }],
            jetstream: true,
        };
        let estate = Estate::build(&spec, &mut SequentialKeys::new(7), 1_800_000_000).unwrap();
        let settings = |resolver, jetstream| ServerSettings {
            resolver,
            host: "127.0.0.1".into(),
            port: 4222,
            jetstream,
        };
        assert_eq!(
            registry_lines(&estate, &settings(ResolverKind::Full, false)),
            ""
        );
        assert_eq!(
            registry_lines(&estate, &settings(ResolverKind::Memory, true)),
            "registry = true\n"
        );
        let key = estate.operator.signing_keys[0].public_key();
        let full = registry_lines(&estate, &settings(ResolverKind::Full, true));
        assert_eq!(
            full,
            format!(
                "registry = true\n\
                 operator_signing_key = \"nkeys/keys/O/{}/{key}.nk\"\n\
                 sys_creds = \"nkeys/creds/OP/SYS/sys.creds\"\n",
                &key[1..3]
            )
        );
    }

    #[test]
    fn the_history_line_needs_jetstream_and_a_max_age() {
        let mut server = ServerSettings {
            resolver: ResolverKind::Full,
            host: "127.0.0.1".into(),
            port: 4222,
            jetstream: true,
        };
        assert_eq!(
            history_line(&server, Some(90 * 86_400)),
            "history_max_age_secs = 7776000\n"
        );
        assert_eq!(history_line(&server, Some(0)), "");
        assert_eq!(history_line(&server, None), "");
        server.jetstream = false;
        assert_eq!(history_line(&server, Some(86_400)), "");
    }

    #[test]
    fn env_file_exports_both_paths() {
        assert_eq!(
            env_file(Path::new("/srv/estate")),
            "export NSC_HOME=/srv/estate/nsc\nexport NKEYS_PATH=/srv/estate/nkeys\n"
        );
        assert_eq!(
            env_file(Path::new("/a b/it's")),
            "export NSC_HOME='/a b/it'\\''s/nsc'\nexport NKEYS_PATH='/a b/it'\\''s/nkeys'\n"
        );
    }
}
