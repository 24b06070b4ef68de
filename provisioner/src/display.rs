//! Rendering of decoded claims: a two-column table of the standard fields (times as UTC
//! dates) followed by every field of the `nats` body, flattened; or indented JSON whose
//! numbers are written as Go writes them.
//!
//! Rendering only; what is valid is decided by the caller. Keys and values come from the
//! token, so control characters in them are shown escaped rather than sent to the terminal.

use std::fmt::Write as _;
use std::io;

use claims::{format_go_float, AnyClaims};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};
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

/// The claims as indented JSON with Go's field names. Floats (found only in the body of
/// generic claims, where Go holds every number as a float64) are written as Go writes
/// them, `1e+21` and `0.000001` rather than `1e21` and `1e-6`.
///
/// # Errors
/// Only if serializing a JSON value fails, which it does not.
pub fn claims_json(claims: &AnyClaims) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, GoFloats(PrettyFormatter::new()));
    claims.to_value().serialize(&mut serializer)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// serde_json's pretty layout with Go's float64 text.
struct GoFloats<'a>(PrettyFormatter<'a>);

impl Formatter for GoFloats<'_> {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(format_go_float(value).as_bytes())
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
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
                let key = path_segment(key);
                let path = if prefix.is_empty() {
                    key
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
        Value::String(s) => printable(s),
        // Floats only occur in generic claims, where Go holds every number as a float64.
        Value::Number(n) if n.is_f64() => format_go_float(n.as_f64().unwrap_or_default()),
        other => other.to_string(),
    }
}

/// A key as one step of a row's path: quoted and escaped like a JSON string when it would
/// otherwise be invisible or read as more than one step (empty, spaces, `.`, brackets,
/// quotes, control characters).
fn path_segment(key: &str) -> String {
    let plain = !key.is_empty()
        && !key
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || ".[]\"".contains(c));
    if plain {
        key.to_owned()
    } else {
        let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{}\"", printable(&escaped))
    }
}

/// `text` with control characters (escape sequences, newlines, NUL, DEL…) written as JSON
/// escapes, so a token cannot move the cursor or break the table's lines.
fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
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

    #[test]
    fn generic_tables_escape_control_characters_and_name_the_empty_key() {
        let nats = serde_json::json!({
            "": "empty",
            "k\u{7}": ["a\u{1b}[2J", "b"],
            "q\"\\\u{9b}": "c1",
            "nested": {"x": [[1, 2], []]},
            "a.b": 1e21,
            "type": "widget\nnext"
        });
        let generic = claims::GenericClaims {
            sub: "s".into(),
            nats: nats.as_object().cloned(),
            ..Default::default()
        };
        let table = claims_table(&AnyClaims::Generic(generic), "valid");
        assert!(table.starts_with("Generic JWT (valid)\n"), "{table}");
        assert!(
            !table.chars().any(|c| c.is_control() && c != '\n'),
            "{table}"
        );
        assert_eq!(table.lines().count(), 10, "{table}");
        let row = |key: &str, value: &str| {
            table.lines().any(|line| {
                line.strip_prefix("  ")
                    .and_then(|l| l.strip_prefix(key))
                    .is_some_and(|rest| rest.starts_with(' ') && rest.trim_start() == value)
            })
        };
        assert!(row(r#""""#, "empty"), "{table}");
        assert!(row(r#""a.b""#, "1e+21"), "{table}");
        assert!(row(r#""k\u0007""#, r"a\u001b[2J, b"), "{table}");
        assert!(row(r#""q\"\\\u009b""#, "c1"), "{table}");
        assert!(row("nested.x[0]", "1, 2"), "{table}");
        assert!(row("type", r"widget\nnext"), "{table}");
    }

    #[test]
    fn json_writes_floats_as_go_and_integers_unchanged() {
        let nats = serde_json::json!({"big": 1e21, "micro": 0.000001, "neg0": -0.0, "n": [7, 1.5]});
        let generic = claims::GenericClaims {
            iat: 1_795_344_916,
            nats: nats.as_object().cloned(),
            ..Default::default()
        };
        let json = claims_json(&AnyClaims::Generic(generic)).unwrap();
        for text in [
            "1e+21",
            "0.000001",
            "-0",
            "\"iat\": 1795344916",
            "7,",
            "1.5",
        ] {
            assert!(json.contains(text), "{text} in {json}");
        }
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["nats"]["big"], 1e21);
    }
}
