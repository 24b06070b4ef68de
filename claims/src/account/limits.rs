//! Account limits set by the operator: NATS, account and JetStream (flat or tiered).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::omit;

/// JetStream limits, flat on the account or per tier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JetStreamLimits {
    /// Bytes in memory across streams; 0 disables, -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub mem_storage: i64,
    /// Bytes on disk across streams; 0 disables, -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub disk_storage: i64,
    /// Number of streams.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub streams: i64,
    /// Number of consumers.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub consumer: i64,
    /// Maximum ack pending of a stream.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub max_ack_pending: i64,
    /// Maximum bytes of one memory stream.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub mem_max_stream_bytes: i64,
    /// Maximum bytes of one disk stream.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub disk_max_stream_bytes: i64,
    /// Streams must declare their maximum bytes.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub max_bytes_required: bool,
}

/// The operator's limits on an account (Go `OperatorLimits`, fields flattened in order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawOperatorLimits")]
pub struct OperatorLimits {
    /// Maximum subscriptions; -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub subs: i64,
    /// Maximum bytes; -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub data: i64,
    /// Maximum payload; -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub payload: i64,
    /// Maximum imports; -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub imports: i64,
    /// Maximum exports; -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub exports: i64,
    /// Whether exports may use wildcards.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub wildcards: bool,
    /// Users of this account may not be bearer tokens.
    #[serde(default, skip_serializing_if = "omit::is_false")]
    pub disallow_bearer: bool,
    /// Maximum connections; -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub conn: i64,
    /// Maximum leaf node connections; -1 unlimited.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub leaf: i64,
    /// Flat JetStream limits; mutually exclusive with `tiered_limits`.
    #[serde(flatten)]
    pub jetstream: JetStreamLimits,
    /// JetStream limits per tier (for example `R1`, `R3`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tiered_limits: BTreeMap<String, JetStreamLimits>,
}

/// Decoding shape; converted so that flat JetStream limits are dropped when tiers exist,
/// as Go's decoder does.
#[derive(Deserialize)]
struct RawOperatorLimits {
    #[serde(default)]
    subs: i64,
    #[serde(default)]
    data: i64,
    #[serde(default)]
    payload: i64,
    #[serde(default)]
    imports: i64,
    #[serde(default)]
    exports: i64,
    #[serde(default)]
    wildcards: bool,
    #[serde(default)]
    disallow_bearer: bool,
    #[serde(default)]
    conn: i64,
    #[serde(default)]
    leaf: i64,
    #[serde(flatten)]
    jetstream: JetStreamLimits,
    #[serde(default)]
    tiered_limits: BTreeMap<String, JetStreamLimits>,
}

impl From<RawOperatorLimits> for OperatorLimits {
    fn from(raw: RawOperatorLimits) -> Self {
        let jetstream = if raw.tiered_limits.is_empty() {
            raw.jetstream
        } else {
            JetStreamLimits::default()
        };
        OperatorLimits {
            subs: raw.subs,
            data: raw.data,
            payload: raw.payload,
            imports: raw.imports,
            exports: raw.exports,
            wildcards: raw.wildcards,
            disallow_bearer: raw.disallow_bearer,
            conn: raw.conn,
            leaf: raw.leaf,
            jetstream,
            tiered_limits: raw.tiered_limits,
        }
    }
}

impl OperatorLimits {
    /// What Go's `NewAccountClaims` starts with: everything unlimited, JetStream disabled.
    pub fn unlimited() -> Self {
        OperatorLimits {
            subs: -1,
            data: -1,
            payload: -1,
            imports: -1,
            exports: -1,
            wildcards: true,
            disallow_bearer: false,
            conn: -1,
            leaf: -1,
            jetstream: JetStreamLimits::default(),
            tiered_limits: BTreeMap::new(),
        }
    }

    /// Whether every limit is zero, false or empty.
    pub fn is_empty(&self) -> bool {
        *self == OperatorLimits::default()
    }

    /// Whether JetStream is enabled, flat or in any tier.
    pub fn is_jetstream_enabled(&self) -> bool {
        let on = |l: &JetStreamLimits| l.mem_storage != 0 || l.disk_storage != 0;
        if self.tiered_limits.is_empty() {
            on(&self.jetstream)
        } else {
            self.tiered_limits.values().any(on)
        }
    }
}
