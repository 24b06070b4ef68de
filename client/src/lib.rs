//! Credentials that never lapse: a NATS client holds its own user key, obtains a
//! short-lived user JWT from the provisioner with a proof of possession of that key,
//! renews it ahead of expiry and presents the current JWT on every connect and reconnect.
//!
//! ```no_run
//! # async fn run(bootstrap: async_nats::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use nats_creds_client::{Ask, FreshCreds, RenewalOptions};
//!
//! let ask = Ask { name: "alice".into(), ttl: Some(600), ..Ask::default() };
//! let fresh = FreshCreds::new(nkeys::KeyPair::new_user(), ask, RenewalOptions::default());
//! fresh.obtain(&bootstrap).await?;                        // the first creds
//! let (client, _renewal) = fresh.connect("nats://127.0.0.1:4222").await?;
//! let mut events = fresh.subscribe();                    // Renewed / Failed
//! # Ok(()) }
//! ```
//!
//! - `request`: the request body with its v2 proof (the service's canonical string) and
//!   the reply;
//! - `fresh`: the key and current JWT, the auth callback every (re)connect runs, the
//!   first request;
//! - `renewal`: the task renewing at a fraction of the lifetime (`schedule`, `options`)
//!   and reconnecting with the new JWT; `events`: what it reports;
//! - `notices`: the provisioner's renew-now notices, which renew at once.
//!
//! The protocol, for clients in other languages: `docs/renewal.md`.

pub mod events;
pub mod fresh;
pub mod notices;
pub mod options;
pub mod renewal;
pub mod request;
pub mod schedule;

pub use events::{RenewalEvent, EXPIRES_METRIC, FAILURES_METRIC, RENEWALS_METRIC};
pub use fresh::{CredsError, FreshCreds};
pub use notices::{notice_subject, NoticeListener, NOTICES_METRIC};
pub use options::{RenewalOptions, DEFAULT_SUBJECT};
pub use renewal::Renewal;
pub use request::{Ask, Granted, RequestError};
