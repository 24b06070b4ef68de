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

impl Queue {
    /// How long work an agent starts now may last, seconds: the deadline, or the
    /// acknowledgement wait (the longest handler run and a margin) when that is longer.
    /// A record whose work has started is due no sooner, so that nobody (a status read,
    /// a quota recount) takes it for dead while its handler still runs.
    pub fn work_secs(&self) -> i64 {
        let work = i64::try_from(self.ack_wait.as_secs()).unwrap_or(i64::MAX);
        self.deadline_secs.max(work.saturating_add(1))
    }
}

/// How much longer than the longest handler run the stream waits for an acknowledgement:
/// a request whose agent died is taken again that long after it was delivered.
pub const ACK_MARGIN: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn started_work_is_due_no_sooner_than_a_handler_can_run() {
        let queue = |deadline_secs, ack_secs| Queue {
            deadline_secs,
            ack_wait: Duration::from_secs(ack_secs),
        };
        assert_eq!(queue(3600, 35).work_secs(), 3600);
        assert_eq!(queue(3, 35).work_secs(), 36);
    }
}
