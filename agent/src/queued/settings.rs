//! How a site takes queued requests: the deadline a request must be finished by, and how
//! long the stream waits for an acknowledgement before it delivers a request again.

use std::time::Duration;

/// How queued requests are taken.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    /// A request not finished this long after it was kept ends as `error`, seconds.
    pub deadline_secs: i64,
    /// How long the stream waits for an acknowledgement before delivering again.
    pub ack_wait: Duration,
}

/// How much longer than the longest handler run the stream waits for an acknowledgement:
/// a request whose agent died is taken again that long after it was delivered.
pub const ACK_MARGIN: Duration = Duration::from_secs(5);
