//! The NATS side of `serve`: a NATS micro service (`$SRV.PING|INFO|STATS`) with one
//! endpoint on the request subject in a queue group, requests handled concurrently up
//! to a bound, each within a time budget, and a drain on shutdown.
//!
//! Error replies are sent as ordinary replies with the micro error headers so that they
//! can carry a JSON body; the Prometheus metrics count them (the micro stats count every
//! request).

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agent::region::serving_region;
use async_nats::service::ServiceExt as _;
use async_nats::Client;
use futures::StreamExt as _;
use tokio::sync::Semaphore;
use tracing::Instrument as _;

use crate::admin::Readiness;
use crate::audit::AuditEvent;
use crate::audit_queue::AuditQueue;
use crate::handler::{handle, Context, Handled};
use crate::metrics::InFlight;
use crate::pipeline::record::record;
use crate::pipeline::{Door, Step};
use crate::rejection::{Rejection, Status};
use crate::reply::{refused, request_id, Reply};
use crate::tenant_admin::{handle_admin, AdminOp};
use crate::wire::{REGION_HEADER, REQUEST_INFO_HEADER, VIA_HEADER, VIA_HTTP};

/// The micro service's version: the crate's.
pub const SERVICE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The endpoint name reported in `$SRV.INFO`.
pub const REQUEST_ENDPOINT: &str = "request";

/// Bound on the last network calls of a shutdown (stop the service, flush).
const FAREWELL_TIMEOUT: Duration = Duration::from_secs(2);

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Micro service name.
    pub name: String,
    /// Request subject.
    pub subject: String,
    /// Queue group.
    pub queue_group: String,
    /// Bound on requests handled at once.
    pub max_in_flight: usize,
    /// Budget of one request.
    pub request_timeout: Duration,
    /// Time to finish in-flight requests on shutdown.
    pub shutdown_grace: Duration,
    /// Audit subject, if any.
    pub audit_subject: Option<String>,
    /// Subject prefix of the tenant admin endpoints; none serves no admin endpoints.
    pub admin_prefix: Option<String>,
}

/// The current unix time in seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Serves requests until `shutdown` completes, then drains.
///
/// # Errors
/// When the service or its endpoint cannot be registered.
pub async fn run(
    client: Client,
    ctx: Arc<Context>,
    settings: ServiceSettings,
    readiness: Arc<Readiness>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let service = client
        .service_builder()
        .description("mints NATS user credentials gated by an account policy")
        .queue_group(&settings.queue_group)
        .start(&settings.name, SERVICE_VERSION)
        .await
        .map_err(|e| anyhow::anyhow!("registering the micro service: {e}"))?;
    let endpoint = service
        .endpoint_builder()
        .name(REQUEST_ENDPOINT)
        .add(&settings.subject)
        .await
        .map_err(|e| anyhow::anyhow!("subscribing to `{}`: {e}", settings.subject))?;
    let mut routes: Vec<RouteStream> = vec![tagged(Route::Request, endpoint)];
    if let Some(prefix) = &settings.admin_prefix {
        for op in AdminOp::ALL {
            let subject = format!("{prefix}.{}", op.subject_suffix());
            let admin = service
                .endpoint_builder()
                .name(op.endpoint_name())
                .add(subject.as_str())
                .await
                .map_err(|e| anyhow::anyhow!("subscribing to `{subject}`: {e}"))?;
            routes.push(tagged(Route::Admin(op), admin));
        }
        tracing::info!(prefix = %prefix, "tenant admin endpoints serving");
    }
    let mut endpoint = futures::stream::select_all(routes);
    client.flush().await?;
    readiness.subscribed.store(true, Ordering::Relaxed);
    tracing::info!(subject = %settings.subject, queue_group = %settings.queue_group, "serving");

    let permits = Arc::new(Semaphore::new(settings.max_in_flight));
    let (audit_queue, audit_drain) = AuditQueue::maybe_start(
        &client,
        settings.audit_subject.as_ref(),
        ctx.history.as_ref(),
    );
    let settings = Arc::new(settings);
    tokio::pin!(shutdown);
    loop {
        let request = tokio::select! {
            () = &mut shutdown => break,
            request = endpoint.next() => request,
        };
        let Some((route, request)) = request else {
            break;
        };
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => permit?,
        };
        let ctx = Arc::clone(&ctx);
        let settings = Arc::clone(&settings);
        let audit_queue = audit_queue.clone();
        let region = serving_region(&client);
        tokio::spawn(async move {
            let served = Served { route, region };
            serve_one(audit_queue.as_ref(), &ctx, &settings, served, request).await;
            drop(permit);
        });
    }

    tracing::info!("draining: no new requests");
    readiness.subscribed.store(false, Ordering::Relaxed);
    // Dropping the endpoints unsubscribes them; the service stop below says so to $SRV.
    drop(endpoint);
    let all = u32::try_from(settings.max_in_flight).unwrap_or(u32::MAX);
    match tokio::time::timeout(settings.shutdown_grace, permits.acquire_many(all)).await {
        Ok(_) => tracing::info!("in-flight requests finished"),
        Err(_) => {
            tracing::warn!(grace = ?settings.shutdown_grace, "in-flight requests still running at the end of the grace period")
        }
    }
    // The queue's last sender goes with the loop's; requests still running after the
    // grace period hold theirs, and the drain's bound covers them.
    drop(audit_queue);
    if let Some(drain) = audit_drain {
        drain.finish(FAREWELL_TIMEOUT).await;
    }
    // INVARIANT: the last network calls are bounded, so a shutdown completes even when
    // the server is gone and they would otherwise wait for a reconnect forever.
    let farewell = async {
        if let Err(err) = service.stop().await {
            tracing::warn!(error = %err, "stopping the micro service failed");
        }
        if let Err(err) = client.flush().await {
            tracing::warn!(error = %err, "final flush failed");
        }
    };
    if tokio::time::timeout(FAREWELL_TIMEOUT, farewell)
        .await
        .is_err()
    {
        tracing::warn!("the server did not confirm the shutdown; exiting anyway");
    }
    Ok(())
}

/// Which endpoint a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// The credential request endpoint.
    Request,
    /// A tenant admin endpoint.
    Admin(AdminOp),
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Request => REQUEST_ENDPOINT,
            Route::Admin(op) => op.endpoint_name(),
        }
    }
}

type RouteStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = (Route, async_nats::service::Request)> + Send>>;

fn tagged(route: Route, endpoint: async_nats::service::endpoint::Endpoint) -> RouteStream {
    Box::pin(endpoint.map(move |request| (route, request)))
}

/// Where a request arrived and which region serves it.
struct Served {
    route: Route,
    region: Option<String>,
}

async fn serve_one(
    audit_queue: Option<&AuditQueue>,
    ctx: &Context,
    settings: &ServiceSettings,
    served: Served,
    request: async_nats::service::Request,
) {
    let Served { route, region } = served;
    let started = Instant::now();
    let _in_flight = InFlight::start();
    let headers = request.message.headers.as_ref();
    let id = request_id(headers);
    let info = headers
        .and_then(|h| h.get(REQUEST_INFO_HEADER))
        .map(|v| v.as_str().to_owned());
    let now = unix_now();
    let span = tracing::info_span!("request", request_id = %id, endpoint = route.name());
    let reply_subject = request
        .message
        .reply
        .as_ref()
        .map(|r| r.as_str().to_owned());
    let payload = &request.message.payload;
    let work = async {
        match route {
            Route::Request => {
                handle(
                    ctx,
                    payload,
                    info.as_deref(),
                    reply_subject.as_deref(),
                    &id,
                    now,
                )
                .await
            }
            Route::Admin(op) => {
                let headers = (info.as_deref(), reply_subject.as_deref());
                handle_admin(ctx, op, payload, headers, &id, now).await
            }
        }
    }
    .instrument(span);
    let handled = match tokio::time::timeout(settings.request_timeout, work).await {
        Ok(handled) => handled,
        Err(_) => {
            let rejection = Rejection::new(
                Status::Unavailable,
                "timeout",
                "the request took too long; retry",
            );
            let mut audit = AuditEvent::new(Door::Request, &id, now);
            audit.code.clone_from(&rejection.code);
            audit.status = rejection.status.code();
            Handled {
                reply: refused(&rejection, &id),
                audit,
            }
        }
    };
    let Handled {
        reply: Reply { body, mut headers },
        mut audit,
    } = handled;
    if let Some(region) = &region {
        headers.insert(REGION_HEADER, region.as_str());
    }
    audit.region = region;
    if request
        .message
        .headers
        .as_ref()
        .and_then(|h| h.get(VIA_HEADER))
        .is_some_and(|v| v.as_str() == VIA_HTTP)
    {
        audit.via = Some(VIA_HTTP);
    }
    let sent = request.respond_with_headers(Ok(body), headers);
    if let Err(err) = Step::Reply.time_async(sent).await {
        tracing::warn!(error = %err, "reply failed");
    }
    let recorded = record(audit_queue, &audit, route.name(), started.elapsed());
    Step::Record.time_async(recorded).await;
}
