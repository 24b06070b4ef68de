//! Which door a request came in by: recorded in the audit event and the metrics, never
//! used to decide.

/// The way a request came in. The pipeline treats every door alike; the door is
/// recorded in the audit event and the metrics so operators can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Door {
    /// A credential request over NATS (`creds.request`, `chat.req.access`).
    Request,
    /// An auth callout CONNECT.
    Callout,
}

impl Door {
    /// The label in audit events and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Door::Request => "request",
            Door::Callout => "callout",
        }
    }
}
