//! `portal serve`'s options: defaults, precedence, and refusals naming their field.

use super::*;

fn args(policy: &str) -> ServeArgs {
    ServeArgs {
        policy: Some(PathBuf::from(policy)),
        ..ServeArgs::default()
    }
}

#[test]
fn defaults_fill_what_is_not_given() {
    let config = args("policy.toml").resolve().unwrap();
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(config.nats_url, DEFAULT_NATS_URL);
    assert_eq!(config.request_subject, "creds.request");
    assert_eq!(config.admin_subject_prefix, "creds.admin");
    assert_eq!(config.nats_timeout, Duration::from_secs(5));
    assert_eq!(config.admin_addr, None);
    assert_eq!(config.rate_per_identity, 600);
    assert_eq!(config.tls, None);
    assert!(config.cors_origins.is_empty());
}

#[test]
fn flags_win_over_the_file_and_file_paths_are_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portal.toml");
    std::fs::write(
        &file,
        "policy = \"policy.toml\"\nlisten = \"127.0.0.1:9000\"\nnats_timeout_ms = 700\n\
         tls_cert = \"tls/cert.pem\"\ntls_key = \"/etc/portal/key.pem\"\n\
         cors_origins = [\"https://App.example:443\", \"http://localhost:5173\"]\n",
    )
    .unwrap();
    let mut a = ServeArgs {
        config: Some(file),
        ..ServeArgs::default()
    };
    let config = a.resolve().unwrap();
    assert_eq!(config.policy, dir.path().join("policy.toml"));
    assert_eq!(config.listen.port(), 9000);
    assert_eq!(config.nats_timeout, Duration::from_millis(700));
    let tls = config.tls.unwrap();
    assert_eq!(tls.cert, dir.path().join("tls/cert.pem"));
    assert_eq!(tls.key, PathBuf::from("/etc/portal/key.pem"));
    assert_eq!(
        config.cors_origins,
        ["https://app.example", "http://localhost:5173"]
    );
    a.listen = Some(String::from("127.0.0.1:9001"));
    assert_eq!(a.resolve().unwrap().listen.port(), 9001);
}

#[test]
fn bad_values_name_their_field() {
    let field = |a: ServeArgs| match a.resolve().unwrap_err() {
        ConfigError::Invalid { field, .. } => field,
        other => panic!("{other}"),
    };
    assert_eq!(field(ServeArgs::default()), "policy");
    let mut a = args("p");
    a.listen = Some(String::from("nowhere"));
    assert_eq!(field(a), "listen");
    let mut a = args("p");
    a.nats_url = Some(String::from("http://x"));
    assert_eq!(field(a), "nats_url");
    let mut a = args("p");
    a.nats_timeout_ms = Some(String::from("0"));
    assert_eq!(field(a), "nats_timeout_ms");
    let mut a = args("p");
    a.max_connections = Some(String::from("many"));
    assert_eq!(field(a), "max_connections");
    let mut a = args("p");
    a.rate_per_identity = Some(String::from("-1"));
    assert_eq!(field(a), "rate_per_identity");
    let mut a = args("p");
    a.tls_cert = Some(PathBuf::from("cert.pem"));
    assert_eq!(field(a), "tls_key");
    let mut a = args("p");
    a.tls_key = Some(PathBuf::from("key.pem"));
    assert_eq!(field(a), "tls_cert");
    let mut a = args("p");
    a.cors_origins = vec![String::from("https://*.example")];
    assert_eq!(field(a), "cors_origins");
    let mut a = args("p");
    a.request_subject = Some(String::from("creds.*"));
    assert_eq!(field(a), "request_subject");
    let err = args("p");
    let mut err = err;
    err.max_body_bytes = Some(String::from("10"));
    assert_eq!(
        err.resolve().unwrap_err().to_string(),
        "`max_body_bytes`: 10 is not between 1024 and 1048576"
    );
}

#[test]
fn unknown_keys_in_the_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portal.toml");
    std::fs::write(&file, "polcy = \"p\"\n").unwrap();
    let a = ServeArgs {
        config: Some(file),
        ..ServeArgs::default()
    };
    let err = a.resolve().unwrap_err();
    assert!(matches!(err, ConfigError::File { .. }), "{err}");
    assert!(err.to_string().contains("polcy"), "{err}");
}
