//! `provisioner svc queue …`, `svc status` and `svc watch`: queued requests, kept by the
//! service's stream whether or not an agent of the site runs, and following a resource
//! through its lifecycle (`pending` → `created`, `error`, …; see `agent::lifecycle`).

use std::time::{Duration, Instant};

use agent::contract::{ResourceAllocateV1, ResourceDeallocateV1, ResourceUpdateV1};
use agent::lifecycle::Status;
use agent::operation::Operation;
use agent::queued::client::{queue, status};
use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::cli::nats_args::parse_duration;
use crate::cli::svc_common::{connect, report, SvcConnection};
use crate::exit::Outcome;

/// `svc queue` subcommands.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Queue an allocation at a site; prints the resource id to follow with `status` or
    /// `watch`.
    Allocate {
        /// The resource type.
        #[arg(long = "type")]
        resource_type: String,
        /// Who or what the resource is for.
        #[arg(long)]
        target_entity: String,
        /// The specification, a JSON object.
        #[arg(long, default_value = "{}")]
        spec: String,
    },
    /// Queue a new specification for a resource.
    Update {
        /// The resource id.
        id: String,
        /// The specification, a JSON object.
        #[arg(long)]
        spec: String,
    },
    /// Queue the release of a resource.
    Deallocate {
        /// The resource id.
        id: String,
    },
}

/// Arguments of `svc queue`.
#[derive(Debug, Args)]
pub struct QueueArgs {
    #[command(flatten)]
    /// Connection.
    pub conn: SvcConnection,
    /// The site.
    #[arg(long)]
    pub site: String,
    /// How long to wait for the queue's acknowledgement.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// What to queue.
    #[command(subcommand)]
    pub command: QueueCommand,
}

/// Arguments of `svc status` and `svc watch`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    /// Connection.
    pub conn: SvcConnection,
    /// The site.
    #[arg(long)]
    pub site: String,
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
    let client = connect(&args.conn).await?;
    let at = (args.conn.service.as_str(), args.site.as_str());
    let accepted = match &args.command {
        QueueCommand::Allocate {
            resource_type,
            target_entity,
            spec: text,
        } => {
            let request = ResourceAllocateV1 {
                resource_type: resource_type.clone(),
                target_entity: target_entity.clone(),
                specification: spec(text)?,
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
        QueueCommand::Update { id, spec: text } => {
            let request = ResourceUpdateV1 {
                id: id.clone(),
                specification: spec(text)?,
            };
            let op = (Operation::Update, Some(id.as_str()));
            queue(&client, at, op, &request, args.timeout).await?
        }
        QueueCommand::Deallocate { id } => {
            let request = ResourceDeallocateV1 { id: id.clone() };
            let op = (Operation::Deallocate, Some(id.as_str()));
            queue(&client, at, op, &request, args.timeout).await?
        }
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
    let at = (args.conn.service.as_str(), args.site.as_str());
    let answer = status(&client, at, &args.id, args.timeout).await?;
    Ok(report(answer, args.conn.json, |state| {
        let error = state
            .lifecycle
            .error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        format!(
            "{} at site {} is {:?}{error}",
            state.id, state.site, state.lifecycle.status
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
    let at = (args.conn.service.as_str(), args.site.as_str());
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
                    println!("{secs:6.2} s  {:?}{error}", now);
                }
                last = Some(now);
            }
            if settled(now) {
                return Ok(if now == Status::Created || now == Status::Deleted {
                    Outcome::Ok
                } else {
                    Outcome::Denied
                });
            }
        }
        anyhow::ensure!(
            started.elapsed() < args.timeout,
            "`{}` did not settle within {:?} (last seen: {last:?})",
            args.id,
            args.timeout
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn settled(status: Status) -> bool {
    matches!(
        status,
        Status::Created | Status::Error | Status::Denied | Status::Deleted
    )
}
