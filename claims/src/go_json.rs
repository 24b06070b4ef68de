//! JSON output that matches Go's `encoding/json` byte for byte.
//!
//! serde_json and Go agree on everything the claims use except two things: Go escapes
//! `<`, `>`, `&`, U+2028 and U+2029 inside strings, and Go writes every number of an
//! untyped value (`interface{}`) as a float64 with its own formatting rules. This module
//! handles both; it does not order fields (the claim structs do that by declaration order).

use serde::Serialize;
use serde_json::{Number, Value};

use crate::error::ClaimsError;

/// Serializes `value` exactly as Go's `json.Marshal` would for the same struct.
///
/// # Errors
/// Fails only when a value cannot be represented as JSON (for example a map with
/// non-string keys), which the claim types never produce.
pub fn to_go_json<T: Serialize + ?Sized>(value: &T) -> Result<String, ClaimsError> {
    let raw = serde_json::to_string(value).map_err(|err| ClaimsError::Encode {
        reason: err.to_string(),
    })?;
    Ok(escape_html(&raw))
}

/// Applies Go's HTML-safe escaping to serialized JSON.
///
/// INVARIANT: the five characters replaced here can only occur inside JSON strings in
/// serde_json output, so a plain replacement is exact.
pub fn escape_html(json: &str) -> String {
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for ch in json.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

/// Writes an untyped JSON value as Go writes a decoded `interface{}`: object keys sorted,
/// every number as a float64.
pub fn write_untyped(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_go_float(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => {
            let quoted = serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""));
            out.push_str(&escape_html(&quoted));
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_untyped(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let quoted = serde_json::to_string(key).unwrap_or_else(|_| String::from("\"\""));
                out.push_str(&escape_html(&quoted));
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_untyped(v, out);
                }
            }
            out.push('}');
        }
    }
}

/// 2^53: up to here every integer is exact as a float64.
const FLOAT64_EXACT: f64 = 9_007_199_254_740_992.0;

/// The value Go holds after decoding `value` into an `interface{}`: every number becomes a
/// float64. Whole numbers up to 2^53 stay integers, where they print as Go prints them;
/// the rest become floats, equal as numbers to what Go writes (Go rounds larger integers).
pub(crate) fn go_untyped(value: &Value) -> Value {
    match value {
        Value::Number(n) => go_number(n),
        Value::Array(items) => Value::Array(items.iter().map(go_untyped).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), go_untyped(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn go_number(n: &Number) -> Value {
    if n.as_i64().is_some_and(|i| i.unsigned_abs() <= 1 << 53) {
        return Value::Number(n.clone());
    }
    let f = n.as_f64().unwrap_or(0.0);
    let negative_zero = f == 0.0 && f.is_sign_negative();
    if f.fract() == 0.0 && f.abs() <= FLOAT64_EXACT && !negative_zero {
        // Exact: a whole float64 within 2^53 converts without loss.
        return Value::from(f as i64);
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Formats a float64 the way Go's `encoding/json` does: the shortest representation that
/// round-trips, in plain decimal for magnitudes in `[1e-6, 1e21)` and in exponent form
/// (`1e+21`, `1e-7`) outside that range.
pub fn format_go_float(f: f64) -> String {
    if !f.is_finite() {
        // Go refuses to encode these; claims never hold them. Null keeps the output valid.
        return String::from("null");
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    // Rust's `{:e}` gives the shortest round-trip mantissa, e.g. `1e21`, `1.5e-7`.
    let sci = format!("{f:e}");
    match sci.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            // Go pads the exponent to two digits, then trims `e-07` back to `e-7`;
            // the net effect is: positive exponents keep two digits, negative ones none.
            if sign == '+' && digits.len() < 2 {
                format!("{mantissa}e+0{digits}")
            } else {
                format!("{mantissa}e{sign}{digits}")
            }
        }
        None => sci,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_characters_like_go() {
        assert_eq!(
            escape_html(r#"{"a":"<b>&\u2028"}"#),
            r#"{"a":"\u003cb\u003e\u0026\u2028"}"#
        );
        assert_eq!(
            escape_html("\"a\u{2028}b\u{2029}\""),
            "\"a\\u2028b\\u2029\""
        );
    }

    #[test]
    fn formats_floats_like_go() {
        assert_eq!(format_go_float(0.5), "0.5");
        assert_eq!(format_go_float(-0.25), "-0.25");
        assert_eq!(format_go_float(1e21), "1e+21");
        assert_eq!(format_go_float(1e-7), "1e-7");
        assert_eq!(format_go_float(123456.789), "123456.789");
        assert_eq!(format_go_float(-0.0), "-0");
        assert_eq!(format_go_float(42.0), "42");
        assert_eq!(format_go_float(9007199254740992.0), "9007199254740992");
        assert_eq!(format_go_float(1e20), "100000000000000000000");
        assert_eq!(format_go_float(1.5e300), "1.5e+300");
        assert_eq!(format_go_float(2e-10), "2e-10");
    }

    #[test]
    fn untyped_numbers_go_through_float64_like_go() {
        let parsed: Value = serde_json::from_str(
            "[1, -1, 9007199254740992, 9007199254740993, 12345678901234567890, 2.0, 0.5, -0.0]",
        )
        .unwrap();
        let go = go_untyped(&parsed);
        assert_eq!(go[0], Value::from(1));
        assert_eq!(go[1], Value::from(-1));
        assert_eq!(go[2], Value::from(9_007_199_254_740_992_i64));
        assert_eq!(go[3], Value::from(9_007_199_254_740_992_i64));
        assert_eq!(go[4].as_f64(), Some(12_345_678_901_234_567_890.0));
        assert!(go[4].is_f64());
        assert_eq!(go[5], Value::from(2));
        assert_eq!(go[6], Value::from(0.5));
        assert!(go[7]
            .as_f64()
            .is_some_and(|f| f == 0.0 && f.is_sign_negative()));
    }
}
