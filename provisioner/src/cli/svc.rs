//! `provisioner svc allocate|update|list|deallocate` (and `queue`, `status`, `watch` in
//! `svc_queued`): call a tenant-scoped provisioning service
//! (an `agent`) through the tenant's `svc.>` import, with a minted user's creds.
//!
//! The contract, the scatter-gather and finding a resource's site when `--site` is not
//! given (`agent::locate`) live in the `agent` crate; this file only parses flags and
//! prints. Exit codes: 0 ok; 2 the agent refused (`ErrorV1`, other than
//! `internal`; for `list`, some site refused); 1 other failures, and for `list` when no
//! site or not every expected site answered by the deadline.

use std::time::Duration;

use agent::client::{self, Gathered};
use agent::locate::{by_id, SiteCache};
use agent::{ResourceAllocateV1, ResourcesV1};
use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::cli::nats_args::parse_duration;
use crate::cli::svc_common::{connect, located, refusal, refused_outcome, report, SvcConnection};
use crate::exit::Outcome;

/// Arguments of `provisioner svc`.
#[derive(Debug, Args)]
pub struct SvcArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SvcCommand,
}

/// The `svc` subcommands.
#[derive(Debug, Subcommand)]
pub enum SvcCommand {
    /// Allocate a resource at a named site, or at whichever site answers first. The
    /// site's handler for the type does the work; what it reports (e.g. a folder's
    /// path) is printed as details.
    Allocate(AllocateArgs),
    /// Give one of your tenant's resources a new specification (its site's handler for
    /// its type applies it). Without --site, every site is asked which one holds it.
    Update(UpdateArgs),
    /// List your tenant's resources at every site (scatter-gather).
    List(ListArgs),
    /// Release one of your tenant's resources. Without --site, every site is asked
    /// which one holds it.
    Deallocate(DeallocateArgs),
    /// Queue an allocation, update, release or retry at a site: the service keeps it
    /// until an agent of the site takes it (also while none runs) and answers at once.
    Queue(crate::cli::svc_queued::QueueArgs),
    /// Where a resource is in its lifecycle (pending, created, error, …). Without
    /// --site, every site is asked which one holds it.
    Status(crate::cli::svc_queued::StatusArgs),
    /// Follow a resource until it is created, deleted, denied or in error. Without
    /// --site, every site is asked which one holds it first.
    Watch(crate::cli::svc_queued::StatusArgs),
}

/// Arguments of `svc allocate`.
#[derive(Debug, Args)]
pub struct AllocateArgs {
    #[command(flatten)]
    /// Connection.
    pub conn: SvcConnection,
    /// The site; without it the service's queue group picks one.
    #[arg(long)]
    pub site: Option<String>,
    /// The resource type.
    #[arg(long = "type")]
    pub resource_type: String,
    /// Who or what the resource is for.
    #[arg(long)]
    pub target_entity: String,
    /// The specification, a JSON object.
    #[arg(long, default_value = "{}")]
    pub spec: String,
    /// How long to wait for the answer.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Arguments of `svc update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    /// Connection.
    pub conn: SvcConnection,
    /// The site holding the resource; without it every site of the service is asked
    /// which one holds it (the site found is printed on stderr).
    #[arg(long)]
    pub site: Option<String>,
    /// The resource id (or give it with --id).
    #[arg(
        value_name = "ID",
        required_unless_present = "id_flag",
        conflicts_with = "id_flag"
    )]
    pub id: Option<String>,
    /// The resource id, as `svc deallocate` takes it.
    #[arg(long = "id", id = "id_flag", value_name = "ID")]
    pub id_flag: Option<String>,
    /// The new specification, a JSON object (it replaces the old one).
    #[arg(long)]
    pub spec: String,
    /// How long to wait for the answer (the site's handler runs meanwhile); without
    /// --site, also how long the search for the site may take.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Arguments of `svc list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    /// Connection.
    pub conn: SvcConnection,
    /// A site expected to answer (repeatable); the agents also report the sites they know.
    #[arg(long = "site")]
    pub sites: Vec<String>,
    /// Stop after this many sites answered.
    #[arg(long)]
    pub expect: Option<usize>,
    /// How long to gather answers.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub deadline: Duration,
}

/// Arguments of `svc deallocate`.
#[derive(Debug, Args)]
pub struct DeallocateArgs {
    #[command(flatten)]
    /// Connection.
    pub conn: SvcConnection,
    /// The site holding the resource; without it every site of the service is asked
    /// which one holds it (the site found is printed on stderr).
    #[arg(long)]
    pub site: Option<String>,
    /// The resource id.
    #[arg(long)]
    pub id: String,
    /// How long to wait for the answer; without --site, also how long the search for the
    /// site may take.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Runs `svc`.
///
/// # Errors
/// Connection and usage errors; refusals are reported and mapped to exit codes.
pub fn run(args: &SvcArgs) -> anyhow::Result<Outcome> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match &args.command {
            SvcCommand::Allocate(a) => allocate(a).await,
            SvcCommand::Update(a) => update(a).await,
            SvcCommand::List(a) => list(a).await,
            SvcCommand::Deallocate(a) => deallocate(a).await,
            SvcCommand::Queue(a) => crate::cli::svc_queued::queued(a).await,
            SvcCommand::Status(a) => crate::cli::svc_queued::status_once(a).await,
            SvcCommand::Watch(a) => crate::cli::svc_queued::watch(a).await,
        }
    })
}

async fn allocate(args: &AllocateArgs) -> anyhow::Result<Outcome> {
    let specification: serde_json::Value =
        serde_json::from_str(&args.spec).context("--spec is not JSON")?;
    let request = ResourceAllocateV1 {
        resource_type: args.resource_type.clone(),
        target_entity: args.target_entity.clone(),
        specification,
    };
    let client = connect(&args.conn).await?;
    let answer = client::allocate(
        &client,
        &args.conn.service,
        args.site.as_deref(),
        &request,
        args.timeout,
    )
    .await?;
    Ok(report(answer, args.conn.json, |created| {
        format!(
            "allocated {} at site {}{}",
            created.id,
            created.site,
            details_text(&created.details)
        )
    }))
}

async fn update(args: &UpdateArgs) -> anyhow::Result<Outcome> {
    let specification: serde_json::Value =
        serde_json::from_str(&args.spec).context("--spec is not JSON")?;
    let id = args
        .id
        .as_deref()
        .or(args.id_flag.as_deref())
        .context("give the resource id")?;
    let client = connect(&args.conn).await?;
    let service = args.conn.service.as_str();
    let answer = match &args.site {
        Some(site) => {
            client::update(&client, service, site, id, specification, args.timeout).await?
        }
        None => located(
            by_id::update(
                &client,
                &SiteCache::default(),
                (service, id),
                specification,
                args.timeout,
            )
            .await?,
        ),
    };
    Ok(report(answer, args.conn.json, |updated| {
        format!(
            "updated {} at site {}{}",
            updated.id,
            updated.site,
            details_text(&updated.details)
        )
    }))
}

/// `; details: {…}` when the handler reported any.
fn details_text(details: &agent::Details) -> String {
    if details.is_empty() {
        String::new()
    } else {
        format!("; details: {}", serde_json::Value::Object(details.clone()))
    }
}

async fn deallocate(args: &DeallocateArgs) -> anyhow::Result<Outcome> {
    let client = connect(&args.conn).await?;
    let (service, id) = (args.conn.service.as_str(), args.id.as_str());
    let answer = match &args.site {
        Some(site) => client::deallocate(&client, service, site, id, args.timeout).await?,
        None => located(
            by_id::deallocate(&client, &SiteCache::default(), (service, id), args.timeout).await?,
        ),
    };
    Ok(report(answer, args.conn.json, |gone| {
        format!("deallocated {} at site {}", gone.id, gone.site)
    }))
}

async fn list(args: &ListArgs) -> anyhow::Result<Outcome> {
    let client = connect(&args.conn).await?;
    let gathered = client::list(
        &client,
        &args.conn.service,
        &args.sites,
        args.expect,
        args.deadline,
    )
    .await?;
    if args.conn.json {
        println!("{}", list_json(&gathered));
    } else {
        print!("{}", list_text(&gathered));
    }
    Ok(
        if gathered.answers.is_empty() || !gathered.missing.is_empty() {
            Outcome::Error
        } else if let Some(error) = gathered.answers.values().find_map(|a| a.as_ref().err()) {
            refused_outcome(error)
        } else {
            Outcome::Ok
        },
    )
}

fn list_json(gathered: &Gathered<ResourcesV1>) -> serde_json::Value {
    let answers: serde_json::Map<String, serde_json::Value> = gathered
        .answers
        .iter()
        .map(|(site, answer)| {
            let value = match answer {
                Ok(resources) => serde_json::to_value(resources),
                Err(error) => serde_json::to_value(error).map(|e| serde_json::json!({"error": e})),
            };
            (site.clone(), value.unwrap_or_default())
        })
        .collect();
    serde_json::json!({
        "answered": gathered.answers.keys().collect::<Vec<_>>(),
        "regions": gathered.regions(),
        "missing": gathered.missing,
        "complete": gathered.complete,
        "answers": answers,
    })
}

fn list_text(gathered: &Gathered<ResourcesV1>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (site, answer) in &gathered.answers {
        match answer {
            Ok(r) => {
                let _ = writeln!(out, "site {site}: {} resources", r.resources.len());
                for resource in &r.resources {
                    let _ = writeln!(
                        out,
                        "  {}  {}  {}  {}",
                        resource.id,
                        resource.resource_type,
                        resource.target_entity,
                        resource.specification
                    );
                }
            }
            Err(error) => {
                let _ = writeln!(out, "site {site}: {}", refusal(error));
            }
        }
    }
    let names = |sites: Vec<&String>| {
        if sites.is_empty() {
            String::from("none")
        } else {
            sites
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(
        out,
        "answered: {}",
        names(gathered.answers.keys().collect())
    );
    let _ = writeln!(out, "missing: {}", names(gathered.missing.iter().collect()));
    let regions = gathered.regions();
    if !regions.is_empty() {
        let _ = writeln!(out, "regions answered: {}", names(regions.iter().collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn list_text_names_answered_and_missing_sites() {
        let mut answers = BTreeMap::new();
        answers.insert(
            "sto1".to_owned(),
            Ok(ResourcesV1 {
                site: "sto1".into(),
                resources: vec![],
                sites: vec!["osl1".into(), "sto1".into()],
                records: vec![],
                region: Some("eu".into()),
            }),
        );
        let gathered = Gathered {
            answers,
            missing: vec!["osl1".into()],
            complete: false,
        };
        let text = list_text(&gathered);
        assert!(text.contains("site sto1: 0 resources"), "{text}");
        assert!(text.contains("answered: sto1\n"), "{text}");
        assert!(text.contains("missing: osl1\n"), "{text}");
        assert!(text.contains("regions answered: eu\n"), "{text}");
        let json = list_json(&gathered);
        assert_eq!(json["missing"], serde_json::json!(["osl1"]));
        assert_eq!(json["answered"], serde_json::json!(["sto1"]));
        assert_eq!(json["regions"], serde_json::json!(["eu"]));
    }
}
