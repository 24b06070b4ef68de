//! The client side of the contract: allocate at a named site or at any site (the queue
//! group chooses), update, deallocate, and list by scatter-gather.
//!
//! `list` publishes one [`ResourceListV1`] with its own reply inbox; every site answers
//! on it. Answers are gathered until every expected site has answered, `expect` answers
//! have arrived, or the deadline passes. The expected sites are those the caller names
//! plus those the answering agents report (each [`ResourcesV1`] lists the sites with a
//! bucket), so a stopped site is named as missing even when the caller named none.
//! Several replicas of one site count once.
//!
//! Every reply comes to an inbox of the given [`Client`] (`Client::new_inbox`), under the
//! inbox prefix it was connected with. A tenant user of an `nsc-setup` estate may only
//! subscribe to its private inboxes, so connect it with
//! `ConnectOptions::custom_inbox_prefix` set to `_INBOX.<its name>`
//! ([`claims::creds_inbox_prefix`] reads it from a creds file), as `provisioner svc` does.
//!
//! Not here: printing (the `provisioner svc` CLI) or serving (see [`crate::service`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_nats::{Client, HeaderMap};
use futures::StreamExt as _;
use thiserror::Error;

use crate::contract::{
    ErrorV1, Message, PongV1, ResourceAllocateV1, ResourceCreatedV1, ResourceDeallocateV1,
    ResourceDeallocatedV1, ResourceListV1, ResourceUpdateV1, ResourceUpdatedV1, ResourcesV1,
    MESSAGE_TYPE_HEADER,
};
use crate::subjects;

/// Why a call got no usable answer.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Nobody listens on the subject (no agent there, or no permission to reach it).
    #[error("no agent answers on `{subject}`")]
    NoResponders {
        /// The subject.
        subject: String,
    },
    /// No answer within the time allowed.
    #[error("no answer on `{subject}` within {timeout:?}")]
    TimedOut {
        /// The subject.
        subject: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// The NATS client failed.
    #[error("{op}: {reason}")]
    Nats {
        /// What was being done.
        op: &'static str,
        /// The client's error.
        reason: String,
    },
    /// An answer that is not the expected message.
    #[error("unexpected answer: {reason}")]
    BadReply {
        /// Why.
        reason: String,
    },
}

/// An agent's answer: the message asked for, or its [`ErrorV1`].
pub type Answer<T> = Result<T, ErrorV1>;

/// Reads an answer of type `T` (or an [`ErrorV1`]) by its [`MESSAGE_TYPE_HEADER`].
///
/// # Errors
/// [`ClientError::BadReply`] for another type or a body that does not decode.
pub fn read_answer<T: Message>(message: &async_nats::Message) -> Result<Answer<T>, ClientError> {
    let kind = message
        .headers
        .as_ref()
        .and_then(|h| h.get(MESSAGE_TYPE_HEADER))
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default();
    let bad = |reason: String| ClientError::BadReply { reason };
    if kind == ErrorV1::TYPE {
        let error = serde_json::from_slice(&message.payload).map_err(|e| bad(e.to_string()))?;
        return Ok(Err(error));
    }
    if kind != T::TYPE {
        return Err(bad(format!("expected `{}`, got `{kind}`", T::TYPE)));
    }
    serde_json::from_slice(&message.payload)
        .map(Ok)
        .map_err(|e| bad(e.to_string()))
}

fn headers_for<T: Message>() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(MESSAGE_TYPE_HEADER, T::TYPE);
    headers
}

pub(crate) async fn call<Q: Message, A: Message>(
    client: &Client,
    subject: String,
    request: &Q,
    timeout: Duration,
) -> Result<Answer<A>, ClientError> {
    let message = send(client, subject, request, timeout).await?;
    read_answer(&message)
}

/// Sends `request` on `subject` with its type header and returns the answer as it came.
pub(crate) async fn send<Q: Message>(
    client: &Client,
    subject: String,
    request: &Q,
    timeout: Duration,
) -> Result<async_nats::Message, ClientError> {
    let body = serde_json::to_vec(request).map_err(|e| ClientError::Nats {
        op: "encoding the request",
        reason: e.to_string(),
    })?;
    let sent = client
        .send_request(
            subject.clone(),
            async_nats::Request::new()
                .headers(headers_for::<Q>())
                .payload(body.into())
                .timeout(Some(timeout)),
        )
        .await;
    sent.map_err(|e| match e.kind() {
        async_nats::RequestErrorKind::NoResponders => ClientError::NoResponders { subject },
        async_nats::RequestErrorKind::TimedOut => ClientError::TimedOut { subject, timeout },
        _ => ClientError::Nats {
            op: "sending the request",
            reason: e.to_string(),
        },
    })
}

/// Allocates at `site`, or at whichever site the queue group picks when `None`.
///
/// # Errors
/// [`ClientError`] when no answer is readable.
pub async fn allocate(
    client: &Client,
    service: &str,
    site: Option<&str>,
    request: &ResourceAllocateV1,
    timeout: Duration,
) -> Result<Answer<ResourceCreatedV1>, ClientError> {
    let subject = match site {
        Some(site) => subjects::allocate_at(service, site),
        None => subjects::allocate_any(service),
    };
    call(client, subject, request, timeout).await
}

/// Gives resource `id` at `site` the specification `specification` (its handler's
/// `update` runs with it).
///
/// # Errors
/// [`ClientError`] when no answer is readable.
pub async fn update(
    client: &Client,
    service: &str,
    site: &str,
    id: &str,
    specification: serde_json::Value,
    timeout: Duration,
) -> Result<Answer<ResourceUpdatedV1>, ClientError> {
    let request = ResourceUpdateV1 {
        id: id.to_owned(),
        specification,
    };
    call(
        client,
        subjects::update_at(service, site),
        &request,
        timeout,
    )
    .await
}

/// Deallocates `id` at `site`.
///
/// # Errors
/// [`ClientError`] when no answer is readable.
pub async fn deallocate(
    client: &Client,
    service: &str,
    site: &str,
    id: &str,
    timeout: Duration,
) -> Result<Answer<ResourceDeallocatedV1>, ClientError> {
    let request = ResourceDeallocateV1 { id: id.to_owned() };
    call(
        client,
        subjects::deallocate_at(service, site),
        &request,
        timeout,
    )
    .await
}

/// What a scatter-gather collected.
#[derive(Debug, Clone, PartialEq)]
pub struct Gathered<T> {
    /// One answer per answering site, by site name.
    pub answers: BTreeMap<String, Answer<T>>,
    /// Expected sites that did not answer by the deadline.
    pub missing: Vec<String>,
    /// Whether gathering stopped because everything expected arrived (not the deadline).
    pub complete: bool,
}

/// An answer that names the region of the agent that gave it (`region`, set when the
/// agent's server is in a cluster).
pub trait ServedIn {
    /// The answering agent's region.
    fn region(&self) -> Option<&str>;
}

impl ServedIn for ResourcesV1 {
    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

impl ServedIn for PongV1 {
    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

impl<T: ServedIn> Gathered<T> {
    /// The regions the answers came from, sorted, each once.
    pub fn regions(&self) -> Vec<String> {
        let regions: BTreeSet<&str> = self
            .answers
            .values()
            .filter_map(|answer| answer.as_ref().ok()?.region())
            .collect();
        regions.into_iter().map(str::to_owned).collect()
    }
}

/// Lists the calling tenant's resources at every site of `service`.
///
/// `sites` names sites expected to answer; `expect` stops after that many sites answered.
///
/// # Errors
/// [`ClientError::Nats`] when the request cannot be sent.
pub async fn list(
    client: &Client,
    service: &str,
    sites: &[String],
    expect: Option<usize>,
    deadline: Duration,
) -> Result<Gathered<ResourcesV1>, ClientError> {
    gather(
        client,
        subjects::list(service),
        &ResourceListV1 {},
        sites,
        expect,
        deadline,
    )
    .await
}

/// Pings every site of `service`.
///
/// # Errors
/// [`ClientError::Nats`] when the request cannot be sent.
pub async fn ping(
    client: &Client,
    service: &str,
    sites: &[String],
    expect: Option<usize>,
    deadline: Duration,
) -> Result<Gathered<PongV1>, ClientError> {
    let request = crate::contract::PingV1 {};
    gather(
        client,
        subjects::ping(service),
        &request,
        sites,
        expect,
        deadline,
    )
    .await
}

/// What scatter-gather reads from one site's answer.
pub(crate) trait SiteAnswer {
    /// The answering site, read from the body.
    fn site(&self) -> &str;
    /// The other sites the answering agent knows of, which are expected to answer too.
    fn known_sites(&self) -> Vec<String> {
        Vec::new()
    }
    /// Whether this answer alone settles the question, so gathering stops early.
    fn settles(&self) -> bool {
        false
    }
}

impl SiteAnswer for ResourcesV1 {
    fn site(&self) -> &str {
        &self.site
    }
    fn known_sites(&self) -> Vec<String> {
        self.sites.clone()
    }
}

impl SiteAnswer for PongV1 {
    fn site(&self) -> &str {
        &self.site
    }
}

/// Publishes `request` on `subject` and gathers one answer per site until every
/// expected site answered, `expect` answers arrived, an answer settles it, or the
/// deadline passes.
pub(crate) async fn gather<Q: Message, A: Message + SiteAnswer>(
    client: &Client,
    subject: String,
    request: &Q,
    sites: &[String],
    expect: Option<usize>,
    deadline: Duration,
) -> Result<Gathered<A>, ClientError> {
    let nats = |op| {
        move |e: &dyn std::fmt::Display| ClientError::Nats {
            op,
            reason: e.to_string(),
        }
    };
    let inbox = client.new_inbox();
    let mut sub = client
        .subscribe(inbox.clone())
        .await
        .map_err(|e| nats("subscribing to the reply inbox")(&e))?;
    let body = serde_json::to_vec(request).map_err(|e| nats("encoding the request")(&e))?;
    client
        .publish_with_reply_and_headers(subject, inbox, headers_for::<Q>(), body.into())
        .await
        .map_err(|e| nats("publishing the request")(&e))?;
    client.flush().await.map_err(|e| nats("flushing")(&e))?;

    let mut expected: BTreeSet<String> = sites.iter().cloned().collect();
    let mut answers = BTreeMap::new();
    let until = tokio::time::Instant::now() + deadline;
    let done = |answers: &BTreeMap<String, Answer<A>>, expected: &BTreeSet<String>| match expect {
        Some(n) => answers.len() >= n,
        None => !expected.is_empty() && expected.iter().all(|s| answers.contains_key(s)),
    };
    let mut complete = false;
    while !complete {
        let Ok(Some(message)) = tokio::time::timeout_at(until, sub.next()).await else {
            break;
        };
        if message.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
            // Nobody subscribes to the subject at all: no answer will come.
            break;
        }
        let answer = match read_answer::<A>(&message) {
            Ok(answer) => answer,
            Err(err) => {
                tracing::debug!(error = %err, "unreadable answer ignored");
                continue;
            }
        };
        let (site, settled) = match &answer {
            Ok(a) => {
                expected.extend(a.known_sites());
                (a.site().to_owned(), a.settles())
            }
            Err(e) => (e.site.clone(), false),
        };
        // A second replica of the same site adds nothing.
        answers.entry(site).or_insert(answer);
        complete = settled || done(&answers, &expected);
    }
    let _ = sub.unsubscribe().await;
    let missing = expected
        .into_iter()
        .filter(|s| !answers.contains_key(s))
        .collect();
    Ok(Gathered {
        answers,
        missing,
        complete,
    })
}
