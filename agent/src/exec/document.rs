//! What a handler reads and what the agent makes of what it writes.
//!
//! stdin, one JSON document, then end of file:
//!
//! ```json
//! {"operation": "allocate", "resource_id": "y1LsPHnO7EF3d2s0sFLkcB", "type": "folder",
//!  "target_entity": "vo-climate", "spec": {"quota_gb": 50}, "tenant": "acme",
//!  "caller": {"user": "U…", "name": "alice", "tags": ["role:dev"]}}
//! ```
//!
//! `tenant` and `caller` come from the server-written `Nats-Request-Info` (see
//! [`crate::caller`]), never from the request body; the caller's JWT is not passed on.
//!
//! Exit 0: stdout is empty (no details) or a JSON object whose `details`, if present, is
//! an object shown to the user. Any other exit: the failure's message is stdout's
//! `{"error": "…"}` if the handler printed one, else the last lines of its stderr. Pure.

use serde::Serialize;

use crate::caller::Caller;
use crate::contract::Details;

/// The most bytes of a handler's message passed on to the user.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// What a handler is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HandlerOperation {
    /// Make the resource.
    Allocate,
    /// Change it to a new `spec`.
    Update,
    /// Remove it.
    Deallocate,
}

impl HandlerOperation {
    /// Its name in the document and in logs.
    pub fn name(self) -> &'static str {
        match self {
            HandlerOperation::Allocate => "allocate",
            HandlerOperation::Update => "update",
            HandlerOperation::Deallocate => "deallocate",
        }
    }
}

/// The caller as a handler sees it: the trusted user key, name and tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallerInfo<'a> {
    /// The user's public key (`U…`), when the import shares it.
    pub user: Option<&'a str>,
    /// The user JWT's name.
    pub name: Option<&'a str>,
    /// The user JWT's tags.
    pub tags: &'a [String],
}

impl<'a> From<&'a Caller> for CallerInfo<'a> {
    fn from(caller: &'a Caller) -> Self {
        CallerInfo {
            user: caller.user.as_deref(),
            name: caller.name.as_deref(),
            tags: &caller.tags,
        }
    }
}

/// The document on a handler's stdin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandlerInput<'a> {
    /// What to do.
    pub operation: HandlerOperation,
    /// The resource's id (a nuid: letters and digits).
    pub resource_id: &'a str,
    /// The resource type.
    #[serde(rename = "type")]
    pub resource_type: &'a str,
    /// Who or what it is for.
    pub target_entity: &'a str,
    /// Its specification (for `update`, the new one).
    pub spec: &'a serde_json::Value,
    /// The calling tenant.
    pub tenant: &'a str,
    /// The calling user.
    pub caller: CallerInfo<'a>,
}

/// The details of a successful run's stdout.
///
/// # Errors
/// Why the output is not the contract's (without repeating it: it may hold anything).
pub fn success_details(stdout: &[u8]) -> Result<Details, &'static str> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Ok(Details::new());
    }
    let value: serde_json::Value =
        serde_json::from_slice(stdout).map_err(|_| "stdout is not JSON")?;
    let serde_json::Value::Object(mut object) = value else {
        return Err("stdout is not a JSON object");
    };
    match object.remove("details") {
        None => Ok(Details::new()),
        Some(serde_json::Value::Object(details)) => Ok(details),
        Some(_) => Err("`details` is not a JSON object"),
    }
}

/// The message of a failed run: stdout's `error`, else the tail of stderr; `None` when
/// the handler said nothing.
pub fn failure_message(stdout: &[u8], stderr: &[u8]) -> Option<String> {
    let printed = serde_json::from_slice::<serde_json::Value>(stdout)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .map(|e| clean(&e))
        .filter(|e| !e.is_empty());
    if let Some(error) = printed {
        return Some(head(&error, MAX_MESSAGE_BYTES));
    }
    let stderr = clean(&String::from_utf8_lossy(stderr));
    (!stderr.is_empty()).then(|| last_lines(&stderr, MAX_MESSAGE_BYTES))
}

/// `text` without control characters other than newlines and tabs, trimmed.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// At most `max` bytes from the start of `text`, on a character boundary.
fn head(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    format!("{}…", text.get(..end).unwrap_or_default())
}

/// At most `max` bytes from the end of `text`, starting at a line when one fits: a
/// failing program's last lines say why it failed.
fn last_lines(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text
        .len()
        .saturating_sub(max.saturating_sub('…'.len_utf8()));
    while !text.is_char_boundary(start) {
        start = start.saturating_add(1);
    }
    let tail = text.get(start..).unwrap_or_default();
    let tail = match tail.split_once('\n') {
        Some((_, rest)) if !rest.trim().is_empty() => rest,
        _ => tail,
    };
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_document_has_the_contracts_field_names() {
        let caller = Caller {
            tenant: "acme".into(),
            account: "AACME".into(),
            user: Some("UALICE".into()),
            name: Some("alice".into()),
            tags: vec!["role:dev".into()],
            issuer_key: Some("AISSUER".into()),
        };
        let spec = json!({"gb": 5});
        let input = HandlerInput {
            operation: HandlerOperation::Update,
            resource_id: "ID1",
            resource_type: "folder",
            target_entity: "vo-x",
            spec: &spec,
            tenant: &caller.tenant,
            caller: CallerInfo::from(&caller),
        };
        assert_eq!(
            serde_json::to_value(&input).unwrap(),
            json!({"operation": "update", "resource_id": "ID1", "type": "folder",
                   "target_entity": "vo-x", "spec": {"gb": 5}, "tenant": "acme",
                   "caller": {"user": "UALICE", "name": "alice", "tags": ["role:dev"]}})
        );
    }

    #[test]
    fn success_output_is_empty_or_an_object_with_details() {
        assert_eq!(success_details(b" \n"), Ok(Details::new()));
        assert_eq!(success_details(b"{}"), Ok(Details::new()));
        let details = success_details(br#"{"details":{"path":"/x"},"other":1}"#).unwrap();
        assert_eq!(details.get("path"), Some(&json!("/x")));
        assert!(success_details(b"done").is_err());
        assert!(success_details(b"[1]").is_err());
        assert!(success_details(br#"{"details":"x"}"#).is_err());
    }

    #[test]
    fn a_failure_says_what_the_handler_said() {
        assert_eq!(
            failure_message(br#"{"error":"no space left"}"#, b"ignored"),
            Some("no space left".into())
        );
        assert_eq!(
            failure_message(b"not json", b"\x1b[31mline 1\nline 2\n"),
            Some("[31mline 1\nline 2".into())
        );
        assert_eq!(failure_message(b"", b"  \n"), None);
        let long = format!("{}\nthe last line\n", "x".repeat(5000));
        let message = failure_message(b"", long.as_bytes()).unwrap();
        assert_eq!(message, "…the last line");
        let one_line = "é".repeat(3000);
        let message = failure_message(b"", one_line.as_bytes()).unwrap();
        assert!(message.len() <= MAX_MESSAGE_BYTES, "{}", message.len());
        assert!(message.starts_with('…') && message.ends_with('é'));
        let printed = format!(r#"{{"error":"{}"}}"#, "y".repeat(3000));
        let message = failure_message(printed.as_bytes(), b"").unwrap();
        assert!(message.len() <= MAX_MESSAGE_BYTES && message.ends_with('…'));
    }
}
