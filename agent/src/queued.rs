//! Queued (durable) requests: allocate, update and deallocate sent to a service's stream
//! instead of to a running agent, kept until an agent of the site takes them, and each
//! resource's lifecycle recorded as it moves (`crate::lifecycle`).
//!
//! - `subject`: the queued subjects, the stream and the site's consumer (pure);
//! - `settings`: the deadline and the acknowledgement wait;
//! - `book`: the lifecycle records in the site's KV bucket, moved by compare-and-set;
//! - `worker`: the site's consumer, one request at a time, acknowledged once recorded;
//! - `changes`: updates and deallocations (queued or live) of a resource that exists;
//! - `retry`: retrying a resource in `error`, live then queued, carried out once;
//! - `client`: queueing a request and asking where a resource is;
//! - `waiting`: a queued allocation no agent has taken yet, found in the stream;
//! - `approvals`: a service admin's list, show, approve and deny.
//!
//! Why the tenant of a kept request cannot be forged: see `subject` and the e2e
//! `queued_identity`.

pub mod approvals;
pub mod book;
pub mod changes;
pub mod client;
pub mod retry;
pub mod settings;
pub mod subject;
pub mod waiting;
pub mod worker;

pub use book::{Book, BookError, Record};
pub use settings::Queue;
pub use worker::run;
