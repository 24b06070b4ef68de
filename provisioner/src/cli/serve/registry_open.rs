//! Opening the registry at start-up: its buckets (per-message TTL turned on where an
//! older release made them without it), user names folded where a tenant ignores their
//! case (before serving), quota leases brought in line with the policy, and, in the
//! background, lifetimes for the entries an older release wrote without one; and the
//! issuance history's stream.

use async_nats::jetstream;
use registry::history::{History, HISTORY_STREAM};
use registry::Registry;

use crate::config::runtime::Runtime;
use crate::config::ServeConfig;

/// Opens the registry's buckets and drops the active sets of tenants without a quota.
pub(super) async fn open_registry(
    config: &ServeConfig,
    client: &async_nats::Client,
    runtime: &Runtime,
) -> anyhow::Result<Option<Registry>> {
    let Some(settings) = &config.registry else {
        return Ok(None);
    };
    let js = jetstream::new(client.clone());
    let window = longest_rate_window(runtime);
    let registry = Registry::open(&js, settings, window)
        .await
        .map_err(|e| anyhow::anyhow!("opening the registry: {e}"))?;
    fold_names(&registry, runtime, false).await?;
    sync_quota_leases(&registry, runtime).await;
    tokio::spawn(give_lifetimes(registry.clone(), runtime));
    tracing::info!(
        prefix = %settings.bucket_prefix,
        replicas = settings.replicas,
        "registry open"
    );
    Ok(Some(registry))
}

/// Opens the issuance history's stream when the configuration keeps one.
pub(super) async fn open_history(
    config: &ServeConfig,
    client: &async_nats::Client,
) -> anyhow::Result<Option<History>> {
    let (Some(settings), Some(max_age)) = (&config.registry, config.history_max_age) else {
        return Ok(None);
    };
    let js = jetstream::new(client.clone());
    let name = settings.bucket(HISTORY_STREAM);
    let history = History::open(
        &js,
        &name,
        settings.replicas,
        &settings.placement_tags,
        max_age,
    )
    .await
    .map_err(|e| anyhow::anyhow!("opening the issuance history: {e}"))?;
    tracing::info!(stream = %name, max_age_secs = max_age.as_secs(), "issuance history open");
    Ok(Some(history))
}

/// Gives the entries an older release wrote without a lifetime theirs (`registry::upgrade`),
/// in the background: serving does not wait for it, and a run cut short is done again by
/// the next start.
fn give_lifetimes(
    registry: Registry,
    runtime: &Runtime,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let tenants: Vec<String> = runtime
        .policy
        .tenants()
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    async move {
        let now = crate::service::unix_now();
        match registry.give_users_lifetimes(&tenants, now).await {
            Ok(0) => {}
            Ok(given) => tracing::info!(users = given, "user entries given their lifetimes"),
            Err(err) => tracing::warn!(error = %err, "giving user entries their lifetimes failed"),
        }
        match registry.give_legacy_invites_lifetimes(now).await {
            Ok(0) => {}
            Ok(given) => tracing::info!(invites = given, "legacy invites given their lifetimes"),
            Err(err) => {
                tracing::warn!(error = %err, "giving legacy invites their lifetimes failed")
            }
        }
    }
}

/// Keys every tenant's user names as its `names.case_sensitive` says (`registry::fold`):
/// entries an older release wrote under a spelling with capitals move to their folded
/// slot. At start-up (`force` false) a tenant whose names are marked folded costs one
/// read, and this runs before serving, since a name not yet moved would look free; on
/// SIGHUP (`force` true) every tenant that ignores case is read again, which folds what
/// replicas of an older release wrote during a rolling upgrade.
///
/// # Errors
/// When a tenant's entries cannot be read or moved.
pub(super) async fn fold_names(
    registry: &Registry,
    runtime: &Runtime,
    force: bool,
) -> anyhow::Result<()> {
    let now = crate::service::unix_now();
    for tenant in runtime.policy.tenants() {
        let names = &tenant.config().names;
        let report = registry
            .fold_names(tenant.name(), names, force, now)
            .await
            .map_err(|e| {
                anyhow::anyhow!("folding the case of tenant {}'s names: {e}", tenant.name())
            })?;
        if report.moved > 0 {
            tracing::info!(tenant = %tenant.name(), users = report.moved, "user names folded to lowercase");
        }
        if !report.left.is_empty() {
            tracing::warn!(
                tenant = %tenant.name(),
                names = %report.left.join(", "),
                "names differ only in case from a name another key holds; left under their \
                 own spelling, unreachable by name until they expire (or their entries are \
                 removed from the users bucket; provisioner/REGISTRY.md, Folding names)"
            );
        }
    }
    Ok(())
}

/// The longest rate-limit window of any tenant, legacy included.
fn longest_rate_window(runtime: &Runtime) -> u64 {
    runtime
        .policy
        .tenants()
        .iter()
        .map(|t| t.rate_window_secs().max(t.legacy_rate_window_secs()))
        .max()
        .unwrap_or(policy::schema::DEFAULT_RATE_WINDOW_SECS)
}

/// Quota leases follow the policy: a tenant without a quota keeps none (so a quota set
/// later starts afresh), and a tenant whose quota is new gives its active users leases.
pub(super) async fn sync_quota_leases(registry: &Registry, runtime: &Runtime) {
    let now = crate::service::unix_now();
    for tenant in runtime.policy.tenants() {
        let config = tenant.config();
        let synced = match config.quotas.max_active_users {
            None => registry.forget_leases(tenant.name()).await.map(|()| 0),
            Some(max) => {
                let unique = config.names.unique;
                registry
                    .backfill_leases(tenant.name(), unique, max, now)
                    .await
            }
        };
        match synced {
            Ok(0) => {}
            Ok(given) => {
                tracing::info!(tenant = %tenant.name(), users = given, "quota leases given to active users");
            }
            Err(err) => {
                tracing::warn!(tenant = %tenant.name(), error = %err, "syncing quota leases failed");
            }
        }
    }
}
