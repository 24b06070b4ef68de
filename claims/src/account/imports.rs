//! Imports: subjects an account takes from another account's exports.

use serde::{Deserialize, Serialize};

use crate::account::ExportType;
use crate::omit;

/// One import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Subject in the exporter's subject space.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// Exporting account's public key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account: String,
    /// Activation token for a private export.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    /// Deprecated rename target; use `local_subject`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// Subject in the importer's subject space.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub local_subject: String,
    /// Stream or service; absent when unknown.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub import_type: Option<ExportType>,
    /// Share the requester's identity (`Nats-Request-Info` detail) with the service.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub share: bool,
    /// Allow message tracing through the import (streams only).
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub allow_trace: bool,
}
