//! `nats-server` config files for operator (JWT) mode, rendered as strings.
//!
//! [`operator_memory_resolver`] renders the memory-resolver setup of nats.rs's
//! `tests/configs/jwt.conf`: accounts are fixed at start-up through `resolver_preload`.
//! [`operator_full_resolver`] renders the full (NATS-based) resolver, which stores account JWTs
//! in a directory and accepts pushes and deletes at runtime; only the system account is
//! preloaded. Every value and map key is a double-quoted config string ([`quote`]), so paths
//! with spaces or quotes are safe. Extra settings can be appended to the returned string.
//!
//! Not here: making or checking JWTs and keys (the `claims` and `nsc-setup` crates do that),
//! writing files or starting servers (see [`crate::server`]).

use std::fmt::Write as _;
use std::path::Path;

/// Quotes a value as a double-quoted `nats-server` config string.
///
/// Backslashes and double quotes are escaped; control characters become `\n`, `\t`, `\r` or are
/// rejected by the server, so callers should not pass them.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// An operator-mode config with the memory resolver:
///
/// ```text
/// operator: "<operator JWT>"
/// system_account: "<SYS public key>"
/// resolver: MEMORY
/// resolver_preload: {
///   "<account public key>": "<account JWT>"
/// }
/// ```
///
/// `preload` lists `(account public key, account JWT)` pairs, and should include the system
/// account's JWT.
pub fn operator_memory_resolver(
    operator_jwt: &str,
    system_account: &str,
    preload: &[(&str, &str)],
) -> String {
    let mut out = operator_header(operator_jwt, system_account);
    out.push_str("resolver: MEMORY\n");
    push_preload(&mut out, preload);
    out
}

/// An operator-mode config with the full resolver storing JWTs in `resolver_dir`:
///
/// ```text
/// operator: "<operator JWT>"
/// system_account: "<SYS public key>"
/// resolver: { type: full, dir: "<dir>", allow_delete: true }
/// resolver_preload: {
///   "<SYS public key>": "<SYS JWT>"
/// }
/// ```
pub fn operator_full_resolver(
    operator_jwt: &str,
    system_account: &str,
    sys_account_jwt: &str,
    resolver_dir: &Path,
) -> String {
    let mut out = operator_header(operator_jwt, system_account);
    let dir = quote(&resolver_dir.to_string_lossy());
    let _ = writeln!(
        out,
        "resolver: {{ type: full, dir: {dir}, allow_delete: true }}"
    );
    push_preload(&mut out, &[(system_account, sys_account_jwt)]);
    out
}

/// The `operator` and `system_account` lines.
fn operator_header(operator_jwt: &str, system_account: &str) -> String {
    format!(
        "operator: {}\nsystem_account: {}\n",
        quote(operator_jwt),
        quote(system_account)
    )
}

/// A `resolver_preload` block, one entry per line.
fn push_preload(out: &mut String, preload: &[(&str, &str)]) {
    out.push_str("resolver_preload: {\n");
    for (key, jwt) in preload {
        let _ = writeln!(out, "  {}: {}", quote(key), quote(jwt));
    }
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_plain_and_special_values() {
        assert_eq!(quote("eyJ0.abc-_"), r#""eyJ0.abc-_""#);
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quote("a\nb\tc"), r#""a\nb\tc""#);
        assert_eq!(quote(""), r#""""#);
    }

    #[test]
    fn renders_a_memory_resolver_config() {
        let config =
            operator_memory_resolver("OPJWT", "ASYS", &[("ASYS", "SYSJWT"), ("AACC", "ACCJWT")]);
        assert_eq!(
            config,
            "operator: \"OPJWT\"\n\
             system_account: \"ASYS\"\n\
             resolver: MEMORY\n\
             resolver_preload: {\n  \
               \"ASYS\": \"SYSJWT\"\n  \
               \"AACC\": \"ACCJWT\"\n\
             }\n"
        );
    }

    #[test]
    fn renders_an_empty_preload() {
        let config = operator_memory_resolver("OPJWT", "ASYS", &[]);
        assert!(
            config.ends_with("resolver: MEMORY\nresolver_preload: {\n}\n"),
            "{config}"
        );
    }

    #[test]
    fn renders_a_full_resolver_config() {
        let config =
            operator_full_resolver("OPJWT", "ASYS", "SYSJWT", Path::new("/tmp/x y/\"jwt\""));
        assert_eq!(
            config,
            "operator: \"OPJWT\"\n\
             system_account: \"ASYS\"\n\
             resolver: { type: full, dir: \"/tmp/x y/\\\"jwt\\\"\", allow_delete: true }\n\
             resolver_preload: {\n  \
               \"ASYS\": \"SYSJWT\"\n\
             }\n"
        );
    }
}
