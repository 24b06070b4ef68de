//! `provisioner svc queue …`, `svc status` and `svc watch`: queued requests, kept by the
//! service's stream whether or not an agent of the site runs (`queue retry` asks the site
//! first, which refuses a resource not in error), and following a resource through its
//! lifecycle (`pending` → `created`, `error`, …; see `agent::lifecycle`).

use std::time::{Duration, Instant};

use agent::contract::{ResourceAllocateV1, ResourceDeallocateV1, ResourceUpdateV1};
use agent::lifecycle::Status;
use agent::locate::{by_id, locate, SiteCache};
use agent::operation::Operation;
use agent::queued::client::{queue, retry, status};
use anyhow::Context as _;
use clap::Args;

use crate::cli::nats_args::parse_duration;
use crate::cli::svc_common::{connect, located, report, SvcConnection};
use crate::exit::Outcome;

/// What `svc queue` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueueOp {
    /// A new resource (`--type`, `--target-entity`, `--spec`); prints its id.
    Allocate,
    /// A new specification for resource ID (`--spec`).
    Update,
    /// The release of resource ID.
    Deallocate,
    /// Another try of resource ID, which is in error: the site moves it back in flight
    /// (refused when it is not in error), then its operation is queued again, same id.
    Retry,
}

/// Arguments of `svc queue`.
#[derive(Debug, Args)]
pub struct QueueArgs {
    #[command(flatten)]
    /// Connection.
    pub conn: SvcConnection,
    /// What to queue.
    #[arg(value_enum)]
    pub operation: QueueOp,
    /// The resource id (update, deallocate, retry).
    pub id: Option<String>,
    /// The site.
    #[arg(long)]
    pub site: String,
    /// The resource type (allocate).
    #[arg(long = "type")]
    pub resource_type: Option<String>,
    /// Who or what the resource is for (allocate).
    #[arg(long)]
    pub target_entity: Option<String>,
    /// The specification, a JSON object (allocate: default `{}`; update: required).
    #[arg(long)]
    pub spec: Option<String>,
    /// How long to wait for the queue's acknowledgement.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Arguments of `svc status` and `svc watch`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    /// Connection.
    pub conn: SvcConnection,
    /// The site; without it every site of the service is asked which one holds the
    /// resource (the site found is printed on stderr).
    #[arg(long)]
    pub site: Option<String>,
    /// The resource id.
    pub id: String,
    /// How long to wait for one answer (`status`), or for the resource to settle
    /// (`watch`).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Runs `svc queue`.
///
/// # Errors
/// Connection and usage errors.
pub async fn queued(args: &QueueArgs) -> anyhow::Result<Outcome> {
    let spec = |text: &str| -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(text).context("--spec is not JSON")
    };
    let id = || args.id.as_deref().context("give the resource id");
    let client = connect(&args.conn).await?;
    let at = (args.conn.service.as_str(), args.site.as_str());
    let accepted = match args.operation {
        QueueOp::Allocate => {
            let request = ResourceAllocateV1 {
                resource_type: args.resource_type.clone().context("give --type")?,
                target_entity: args.target_entity.clone().context("give --target-entity")?,
                specification: spec(args.spec.as_deref().unwrap_or("{}"))?,
            };
            queue(
                &client,
                at,
                (Operation::Allocate, None),
                &request,
                args.timeout,
            )
            .await?
        }
        QueueOp::Update => {
            let request = ResourceUpdateV1 {
                id: id()?.to_owned(),
                specification: spec(args.spec.as_deref().context("give --spec")?)?,
            };
            let op = (Operation::Update, Some(request.id.as_str()));
            queue(&client, at, op, &request, args.timeout).await?
        }
        QueueOp::Deallocate => {
            let request = ResourceDeallocateV1 {
                id: id()?.to_owned(),
            };
            let op = (Operation::Deallocate, Some(request.id.as_str()));
            queue(&client, at, op, &request, args.timeout).await?
        }
        QueueOp::Retry => match retry(&client, at, id()?, args.timeout).await? {
            Ok(accepted) => accepted,
            Err(refusal) => {
                return Ok(report(Err::<(), _>(refusal), args.conn.json, |_| {
                    String::new()
                }))
            }
        },
    };
    if args.conn.json {
        println!("{}", serde_json::to_string(&accepted)?);
    } else {
        println!(
            "queued for {} at site {} (the site takes it when an agent runs): follow it with \
             `provisioner svc watch --service {} --site {} {}`",
            accepted.id, accepted.site, args.conn.service, accepted.site, accepted.id
        );
    }
    Ok(Outcome::Ok)
}

/// Runs `svc status`.
///
/// # Errors
/// Connection errors and no answer.
pub async fn status_once(args: &StatusArgs) -> anyhow::Result<Outcome> {
    let client = connect(&args.conn).await?;
    let service = args.conn.service.as_str();
    let answer = match &args.site {
        Some(site) => status(&client, (service, site), &args.id, args.timeout).await?,
        None => located(
            by_id::status(
                &client,
                &SiteCache::default(),
                (service, &args.id),
                args.timeout,
            )
            .await?,
        ),
    };
    Ok(report(answer, args.conn.json, |state| {
        let error = state
            .lifecycle
            .error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        format!(
            "{} at site {} is {}{error}",
            state.id,
            state.site,
            name(state.lifecycle.status)
        )
    }))
}

/// Runs `svc watch`: prints each state the resource passes through until it settles
/// (created, error, denied or deleted), within `--timeout`.
///
/// # Errors
/// Connection errors, and no settled state in time.
pub async fn watch(args: &StatusArgs) -> anyhow::Result<Outcome> {
    let client = connect(&args.conn).await?;
    let site = match &args.site {
        Some(site) => site.clone(),
        None => {
            let searched = locate(&client, &args.conn.service, &args.id, args.timeout).await?;
            let site = searched.site.with_context(|| {
                format!(
                    "no site of service `{}` holds `{}`",
                    args.conn.service, args.id
                )
            })?;
            eprintln!("located at site {site}");
            site
        }
    };
    let at = (args.conn.service.as_str(), site.as_str());
    let started = Instant::now();
    let mut last = None;
    loop {
        let remaining = args.timeout.saturating_sub(started.elapsed());
        let answer = status(
            &client,
            at,
            &args.id,
            remaining.max(Duration::from_millis(500)),
        )
        .await;
        if let Ok(Ok(state)) = &answer {
            let now = state.lifecycle.status;
            if last != Some(now) {
                let secs = started.elapsed().as_secs_f64();
                if args.conn.json {
                    println!("{}", serde_json::to_string(state)?);
                } else {
                    let error = state
                        .lifecycle
                        .error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default();
                    println!("{secs:6.2} s  {}{error}", name(now));
                }
                last = Some(now);
            }
            if now.is_settled() {
                return Ok(if now == Status::Created || now == Status::Deleted {
                    Outcome::Ok
                } else {
                    Outcome::Denied
                });
            }
        }
        anyhow::ensure!(
            started.elapsed() < args.timeout,
            "`{}` did not settle within {:?} (last seen: {})",
            args.id,
            args.timeout,
            last.map_or_else(|| String::from("nothing"), name)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A status as the JSON names it (`pending_approval`, …).
fn name(status: Status) -> String {
    status.name().to_owned()
}
