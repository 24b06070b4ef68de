//! The NATS side of the callout: a queue subscription on `$SYS.REQ.USER.AUTH` in the
//! callout account (replicas share the load), each request handled concurrently up to a
//! bound, its response published to the server's reply inbox, its audit event logged and
//! published; on shutdown the subscription is dropped and in-flight requests finish
//! within the grace period.
//!
//! Not a micro service endpoint: the server, not a client, is the requester, and the
//! subject lives in the callout account.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::Client;
use futures::StreamExt as _;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use crate::audit_queue::AuditQueue;
use crate::callout::handle::{handle, CalloutHandled};
use crate::callout::keys::CalloutKeys;
use crate::callout::{AUTH_CALLOUT_SUBJECT, SERVER_XKEY_HEADER};
use crate::config::ServeConfig;
use crate::handler::Context;
use crate::metrics::InFlight;
use crate::pipeline::record::record;
use crate::pipeline::Step;
use crate::service::unix_now;

/// The endpoint label of callout metrics and logs.
pub const CALLOUT_ENDPOINT: &str = "callout";

/// How the callout responder runs.
#[derive(Debug, Clone)]
pub struct CalloutSettings {
    /// Queue group shared by replicas.
    pub queue_group: String,
    /// Bound on requests handled at once.
    pub max_in_flight: usize,
    /// Time to finish in-flight requests on shutdown.
    pub shutdown_grace: Duration,
    /// Audit subject, if any.
    pub audit_subject: Option<String>,
}

/// Subscribes (so that a failure stops the start) and answers callout requests in a
/// task until `stop` turns true; `None` when the callout is off.
///
/// # Errors
/// When the subscription cannot be made.
pub async fn start(
    keys: Option<CalloutKeys>,
    client: &Client,
    ctx: &Arc<Context>,
    config: &ServeConfig,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    let Some(keys) = keys else { return Ok(None) };
    let settings = CalloutSettings {
        queue_group: config.queue_group.clone(),
        max_in_flight: config.max_in_flight,
        shutdown_grace: config.shutdown_grace,
        audit_subject: config.audit_subject.clone(),
    };
    let requests = client
        .queue_subscribe(AUTH_CALLOUT_SUBJECT, settings.queue_group.clone())
        .await
        .map_err(|e| anyhow::anyhow!("subscribing to `{AUTH_CALLOUT_SUBJECT}`: {e}"))?;
    client.flush().await?;
    tracing::info!(
        subject = AUTH_CALLOUT_SUBJECT,
        account = %keys.account,
        sealed = keys.xkey.is_some(),
        "answering auth callout"
    );
    let shutdown = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    let (client, ctx) = (client.clone(), Arc::clone(ctx));
    Ok(Some(tokio::spawn(run(
        client,
        requests,
        ctx,
        Arc::new(keys),
        settings,
        shutdown,
    ))))
}

/// Answers callout requests from `requests` until `shutdown` completes, then lets
/// in-flight ones finish within the grace period.
async fn run(
    client: Client,
    mut requests: async_nats::Subscriber,
    ctx: Arc<Context>,
    keys: Arc<CalloutKeys>,
    settings: CalloutSettings,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(settings.max_in_flight));
    let (audit_queue, audit_drain) = AuditQueue::maybe_start(
        &client,
        settings.audit_subject.as_ref(),
        ctx.history.as_ref(),
    );
    let settings = Arc::new(settings);
    tokio::pin!(shutdown);
    loop {
        let message = tokio::select! {
            () = &mut shutdown => break,
            message = requests.next() => message,
        };
        let Some(message) = message else { break };
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (client, ctx, keys, audit_queue) = (
            client.clone(),
            Arc::clone(&ctx),
            Arc::clone(&keys),
            audit_queue.clone(),
        );
        let id = nuid::next().to_string();
        let span = tracing::info_span!("request", request_id = %id, endpoint = CALLOUT_ENDPOINT);
        tokio::spawn(async move {
            answer(&client, &ctx, &keys, audit_queue.as_ref(), message, &id)
                .instrument(span)
                .await;
            drop(permit);
        });
    }
    if let Err(err) = requests.unsubscribe().await {
        tracing::warn!(error = %err, "unsubscribing from the callout subject failed");
    }
    let all = u32::try_from(settings.max_in_flight).unwrap_or(u32::MAX);
    if tokio::time::timeout(settings.shutdown_grace, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("callout requests still running at the end of the grace period");
    }
    drop(audit_queue);
    if let Some(drain) = audit_drain {
        drain.finish(AUDIT_DRAIN_BOUND).await;
    }
}

/// How long queued audit events may take to go out on shutdown.
const AUDIT_DRAIN_BOUND: Duration = Duration::from_secs(5);

async fn answer(
    client: &Client,
    ctx: &Context,
    keys: &CalloutKeys,
    audit_queue: Option<&AuditQueue>,
    message: async_nats::Message,
    id: &str,
) {
    let started = Instant::now();
    let _in_flight = InFlight::start();
    let Some(reply) = message.reply.clone() else {
        tracing::warn!("callout request without a reply subject dropped");
        return;
    };
    let xkey = message
        .headers
        .as_ref()
        .and_then(|h| h.get(SERVER_XKEY_HEADER))
        .map(|v| v.as_str().to_owned());
    let runtime = ctx.runtime();
    let CalloutHandled { payload, mut audit } = handle(
        &runtime,
        ctx.registry.as_ref(),
        keys,
        &message.payload,
        xkey.as_deref(),
        id,
        unix_now(),
    )
    .await;
    if let Some(payload) = payload {
        let sent = client.publish(reply, payload.into());
        if let Err(err) = Step::Reply.time_async(sent).await {
            tracing::warn!(error = %err, "callout response failed to send");
        }
    }
    audit.region = agent::region::serving_region(client);
    let recorded = record(audit_queue, &audit, CALLOUT_ENDPOINT, started.elapsed());
    Step::Record.time_async(recorded).await;
}
