//! Step 6 of a request: one structured audit event per decision, published on the audit
//! subject, and one tracing line.
//!
//! The event names who asked for what and what happened; it never carries the JWT, a
//! seed, a creds file or an invite token (caller input shaped like a seed is redacted).

use serde::Serialize;

use crate::pipeline::door::Door;
use crate::redact::redact_field;

/// One decision, as published on the audit subject.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// Unix seconds.
    pub ts: i64,
    /// The request id.
    pub request_id: String,
    /// The door the request came in by.
    pub door: Door,
    /// `allow`, `deny` or `error`.
    pub outcome: &'static str,
    /// Stable code (`ok` on allow).
    pub code: String,
    /// The NATS micro status code (200 on allow).
    pub status: u16,
    /// The tenant, when resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The tenant account, when resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The name asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user public key credentials were (or would have been) minted for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_public_key: Option<String>,
    /// The minted JWT's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Expiry of the minted JWT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// The calling account, when identified through an import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_account: Option<String>,
    /// The calling user, when identified through an import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_user: Option<String>,
    /// Whether this was a legacy plain-text request.
    pub legacy: bool,
    /// The policy rule that decided, when the policy was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The tenant admin endpoint (`users.revoke`, …); none for credential requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    /// `http` when the caller said the request came through the HTTP API (the
    /// `Provisioner-Via` header): a label for the history, never used to decide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'static str>,
    /// The region that served the request (the cluster of the server the replica was
    /// connected to), when the server is in a cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl AuditEvent {
    /// An event with only the request id and time set.
    pub fn new(door: Door, request_id: &str, ts: i64) -> Self {
        AuditEvent {
            ts,
            request_id: request_id.to_owned(),
            door,
            outcome: "error",
            code: String::new(),
            status: 0,
            tenant: None,
            account: None,
            name: None,
            user_public_key: None,
            jti: None,
            expires: None,
            caller_account: None,
            caller_user: None,
            legacy: false,
            rule: None,
            action: None,
            via: None,
            region: None,
        }
    }

    /// Records how the request ended: `allow`/200 when granted, otherwise the
    /// rejection's code and status (`error` for a 500, `deny` for the rest). Fields that
    /// came from the caller are redacted of anything shaped like a seed first, so
    /// neither the event nor the log line carries one.
    pub fn settle(&mut self, rejection: Option<&crate::rejection::Rejection>) {
        for field in [
            &mut self.tenant,
            &mut self.name,
            &mut self.user_public_key,
            &mut self.caller_user,
        ] {
            redact_field(field);
        }
        match rejection {
            None => {
                self.outcome = "allow";
                self.code = String::from("ok");
                self.status = 200;
            }
            Some(rejection) => {
                self.outcome = if rejection.status == crate::rejection::Status::Internal {
                    "error"
                } else {
                    "deny"
                };
                self.code.clone_from(&rejection.code);
                self.status = rejection.status.code();
            }
        }
    }

    /// Writes the tracing line for this decision.
    pub fn log(&self) {
        let tenant = self.tenant.as_deref().unwrap_or("-");
        let user = self.user_public_key.as_deref().unwrap_or("-");
        let jti = self.jti.as_deref().unwrap_or("-");
        let rule = self.rule.as_deref().unwrap_or("-");
        if let Some(action) = self.action {
            let caller = self.caller_user.as_deref().unwrap_or("-");
            let name = self.name.as_deref().unwrap_or("-");
            tracing::info!(
                request_id = %self.request_id,
                tenant,
                caller,
                action,
                name,
                outcome = self.outcome,
                code = %self.code,
                status = self.status,
                "admin"
            );
            return;
        }
        if self.outcome == "allow" {
            tracing::info!(request_id = %self.request_id, tenant, user, jti, rule, legacy = self.legacy, "minted");
        } else {
            tracing::info!(
                request_id = %self.request_id,
                tenant,
                user,
                outcome = self.outcome,
                code = %self.code,
                status = self.status,
                rule,
                "refused"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_input_shaped_like_a_seed_is_redacted_when_settled() {
        let seed = claims::KeyPair::new_user().seed().unwrap();
        let mut e = AuditEvent::new(Door::Request, "r1", 5);
        e.name = Some(seed.clone());
        e.user_public_key = Some(seed.clone());
        e.tenant = Some(format!("t-{seed}"));
        e.settle(Some(&crate::rejection::Rejection::bad_request(
            "public_key_invalid",
            "no",
        )));
        let text = serde_json::to_string(&e).unwrap();
        assert!(!text.contains(&seed[2..20]), "{text}");
        assert!(text.contains(crate::redact::REDACTED), "{text}");
    }

    #[test]
    fn events_serialize_without_empty_fields() {
        let mut e = AuditEvent::new(Door::Request, "r1", 5);
        e.outcome = "deny";
        e.code = "name_taken".into();
        e.status = 409;
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "name_taken");
        assert!(json.get("jti").is_none());
    }
}
