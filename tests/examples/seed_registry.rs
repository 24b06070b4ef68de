//! Fills a running registry with a tenant's active users, in bulk, for benchmarks: N user
//! entries (names `seeded-0…`, fresh keys, JWTs valid for a day) and, when the tenant
//! has a quota, the N leases they hold, plus the mark that says leases were given (so
//! the provisioner does not list them all again at start-up). Writes go straight to the
//! KV buckets, many at once: 100,000 users take seconds, not the hours issuing them
//! through the service would.
//!
//! `cargo run --release -p integration-tests --example seed_registry -- URL CREDS TENANT N [QUOTA]`
//! (CREDS: a user that may write the registry, such as the estate's provisioner).

use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures::StreamExt as _;
use registry::entry::{key_token, user_key, UserEntry};
use registry::lease::{lease_key, Lease};
use registry::{Registry, RegistrySettings};

/// Writes in flight at once.
const IN_FLIGHT: usize = 256;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: seed_registry URL CREDS TENANT N [QUOTA]";
    let [url, creds, tenant, count, rest @ ..] = args.as_slice() else {
        anyhow::bail!(usage);
    };
    let count: u64 = count.parse().map_err(|_| anyhow::anyhow!(usage))?;
    let quota: Option<u64> = rest.first().map(|q| q.parse()).transpose()?;
    let client = async_nats::ConnectOptions::with_credentials_file(creds)
        .await?
        .connect(url.as_str())
        .await?;
    let js = jetstream::new(client);
    let registry = Registry::open(&js, &RegistrySettings::default(), 3600).await?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    let exp = now + 86_400;
    let started = Instant::now();
    let written = futures::stream::iter(0..count)
        .map(|i| {
            let registry = registry.clone();
            let tenant = tenant.clone();
            async move { seed_one(&registry, &tenant, i, quota.map(|_| i), (now, exp)).await }
        })
        .buffer_unordered(IN_FLIGHT)
        .fold(0u64, |done, result| async move {
            if let Err(err) = result {
                eprintln!("seed_registry: {err}");
            }
            if (done + 1) % 20_000 == 0 {
                eprintln!("seed_registry: {} users written", done + 1);
            }
            done + 1
        })
        .await;
    if quota.is_some() {
        let mark = serde_json::json!({ "at": now });
        registry
            .leases
            .write(&key_token(tenant), &mark, 0)
            .await
            .map_err(|e| anyhow::anyhow!("writing the backfill mark: {e:?}"))?;
    }
    let secs = started
        .elapsed()
        .as_secs_f64()
        .max(Duration::from_millis(1).as_secs_f64());
    println!(
        "seeded {written} active users of `{tenant}` in {secs:.1} s ({:.0} users/s)",
        f64::from(u32::try_from(written).unwrap_or(u32::MAX)) / secs
    );
    Ok(())
}

/// Writes user `seeded-<i>` and, with a quota, the lease it holds.
async fn seed_one(
    registry: &Registry,
    tenant: &str,
    i: u64,
    lease: Option<u64>,
    (now, exp): (i64, i64),
) -> anyhow::Result<()> {
    let name = format!("seeded-{i}");
    let public_key = claims::KeyPair::new_user().public_key();
    let entry = UserEntry {
        tenant: tenant.to_owned(),
        name: name.clone(),
        public_key,
        account: String::from("seeded"),
        jti: format!("seeded{i}"),
        iat: now,
        exp,
        max_exp: exp,
        issuer: String::from("seeded"),
        request_id: format!("seed-{i}"),
        issued: 1,
        revoked: false,
        revoked_at: None,
        lease,
        per_connection: false,
        earlier_keys: Vec::new(),
    };
    let key = user_key(tenant, &key_token(&name));
    registry
        .users
        .write(&key, &entry, 0)
        .await
        .map_err(|e| anyhow::anyhow!("writing {key}: {e:?}"))?;
    if let Some(index) = lease {
        let lease = Lease {
            slot: key_token(&name),
            exp,
        };
        let key = lease_key(tenant, index);
        registry
            .leases
            .write(&key, &lease, 0)
            .await
            .map_err(|e| anyhow::anyhow!("writing {key}: {e:?}"))?;
    }
    Ok(())
}
