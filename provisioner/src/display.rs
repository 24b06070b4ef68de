//! Human-readable rendering of decoded claims: a two-column table of the standard fields
//! (times as UTC dates) followed by every field of the `nats` body, flattened.
//!
//! Rendering only; what is valid is decided by the caller.

use std::fmt::Write as _;

use claims::AnyClaims;
use serde_json::Value;

/// Fields of an auth callout request that hold client secrets; shown as `<redacted>`.
const SECRET_FIELDS: &[&str] = &[
    "connect_opts.pass",
    "connect_opts.auth_token",
    "connect_opts.jwt",
    "connect_opts.sig",
];

/// Renders `claims` as a table with a title line.
pub fn claims_table(claims: &AnyClaims, verdict: &str) -> String {
    let value = claims.to_value();
    let mut rows: Vec<(String, String)> = Vec::new();
    let standard = claims.standard();
    let mut push = |k: &str, v: String| {
        if !v.is_empty() {
            rows.push((k.to_owned(), v));
        }
    };
    push("name", standard.name.to_owned());
    push("subject", standard.sub.to_owned());
    push("issuer", standard.iss.to_owned());
    push("audience", standard.aud.to_owned());
    push("id (jti)", standard.jti.to_owned());
    push("issued at", format_time(standard.iat));
    push(
        "expires",
        if standard.exp == 0 {
            String::from("never")
        } else {
            format_time(standard.exp)
        },
    );
    push("not before", format_time(standard.nbf));
    if let Some(nats) = value.get("nats") {
        flatten("", nats, &mut rows);
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("{} JWT ({verdict})\n", title(claims.type_name()));
    for (key, val) in rows {
        let _ = writeln!(out, "  {key:<width$}  {val}");
    }
    out
}

fn title(type_name: &str) -> String {
    let mut chars = type_name.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars)
            .collect::<String>()
            .replace('_', " "),
        None => String::new(),
    }
}

fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, v, rows);
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let joined: Vec<String> = items.iter().map(scalar).collect();
            rows.push((prefix.to_owned(), joined.join(", ")));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), item, rows);
            }
        }
        other => {
            let shown = if SECRET_FIELDS.contains(&prefix) {
                String::from("<redacted>")
            } else {
                scalar(other)
            };
            rows.push((prefix.to_owned(), shown));
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Formats unix seconds as `YYYY-MM-DD HH:MM:SS UTC (unix)`; empty for 0.
pub fn format_time(unix: i64) -> String {
    if unix == 0 {
        return String::new();
    }
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC ({unix})",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_times_as_utc_dates() {
        assert_eq!(format_time(0), "");
        assert_eq!(
            format_time(1_795_344_916),
            "2026-11-22 10:55:16 UTC (1795344916)"
        );
        assert_eq!(
            format_time(951_782_400),
            "2000-02-29 00:00:00 UTC (951782400)"
        );
        assert_eq!(
            format_time(4_102_444_800),
            "2100-01-01 00:00:00 UTC (4102444800)"
        );
    }

    #[test]
    fn tables_flatten_the_body_and_redact_client_secrets() {
        let user = claims::KeyPair::new_user();
        let mut c = claims::UserClaims::new_user(user.public_key());
        c.nats.permissions.publish.allow = vec!["a.>".into(), "b".into()];
        let table = claims_table(&AnyClaims::User(c), "valid");
        assert!(table.starts_with("User JWT (valid)\n"), "{table}");
        assert!(table.contains("pub.allow"), "{table}");
        assert!(table.contains("a.>, b"), "{table}");
        let mut req = claims::AuthorizationRequestClaims::default();
        req.nats.connect_opts.pass = "hunter2".into();
        let table = claims_table(&AnyClaims::AuthorizationRequest(req), "valid");
        assert!(!table.contains("hunter2"), "{table}");
    }
}
