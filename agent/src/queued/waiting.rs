//! A queued allocation no agent has taken yet has no lifecycle record: its only trace is
//! the request the stream keeps. So a site asked about `q<seq>` looks for that request,
//! and when it is the caller's own allocation for this site, answers it as `pending`
//! (with when it was kept), rather than not found.

use async_nats::jetstream;

use crate::operation::Operation;
use crate::queued::subject::{parse_kept, stream_name, QUEUED_ID_PREFIX};

/// When the stream kept `id`, if `id` is a queued allocation of `account` for `site` of
/// `service` that the stream still holds (Unix seconds).
pub async fn kept_allocation(
    js: &jetstream::Context,
    (service, site): (&str, &str),
    account: &str,
    id: &str,
) -> Option<i64> {
    let sequence: u64 = id.strip_prefix(QUEUED_ID_PREFIX)?.parse().ok()?;
    let stream = js.get_stream(stream_name(service)).await.ok()?;
    let message = stream.get_raw_message(sequence).await.ok()?;
    let kept = parse_kept(message.subject.as_str(), service, site)?;
    (kept.account == account && kept.operation == Operation::Allocate)
        .then(|| message.time.unix_timestamp())
}
