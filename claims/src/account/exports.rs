//! Exports: subjects an account offers to others, and the export/import type enum.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::omit;

/// Whether an export or import is a stream or a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportType {
    /// Messages flow from the exporter to importers.
    Stream,
    /// Requests flow to the exporter, replies back.
    Service,
}

impl ExportType {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportType::Stream => "stream",
            ExportType::Service => "service",
        }
    }
}

impl Serialize for ExportType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExportType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        match name.as_str() {
            "stream" => Ok(ExportType::Stream),
            "service" => Ok(ExportType::Service),
            _ => Err(serde::de::Error::custom("unknown export type")),
        }
    }
}

/// Latency sampling: a percentage 1..=100, or 0 written as `"headers"` (sample when the
/// request carries tracing headers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SamplingRate(pub i64);

impl Serialize for SamplingRate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == 0 {
            s.serialize_str("headers")
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for SamplingRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(i64),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Number(n) => Ok(SamplingRate(n)),
            Repr::Text(t) if t == "headers" => Ok(SamplingRate(0)),
            Repr::Text(_) => Err(serde::de::Error::custom("invalid sampling rate")),
        }
    }
}

/// Service latency tracking.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLatency {
    /// Sampling rate.
    #[serde(default)]
    pub sampling: SamplingRate,
    /// Subject latency results are published to.
    #[serde(default)]
    pub results: String,
}

/// One export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Exported subject.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// Stream or service; absent when unknown.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub export_type: Option<ExportType>,
    /// Importers need an activation token.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub token_req: bool,
    /// Revoked activations: account public key (or `*`) to unix time.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub revocations: BTreeMap<String, i64>,
    /// `Singleton`, `Stream` or `Chunked` (services only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub response_type: String,
    /// Response threshold in nanoseconds (services only).
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub response_threshold: i64,
    /// Latency tracking (services only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_latency: Option<ServiceLatency>,
    /// 1-based token of `subject` that must equal the importing account's public key.
    #[serde(default, skip_serializing_if = "omit::zero_u64")]
    pub account_token_position: u64,
    /// Advertise the export.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub advertise: bool,
    /// Allow message tracing through the export (services only).
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub allow_trace: bool,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Info URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub info_url: String,
}
