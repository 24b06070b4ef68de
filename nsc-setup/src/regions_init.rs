//! `init --region …`: the estate of [`crate::setup::init_services_with`] plus the
//! multi-region layout ([`crate::regions`]): the leaf nodes' users, one server config per
//! member and leaf node ([`crate::regions_config`]), and a `provisioner.toml` that
//! connects to the home region and places the registry there.
//!
//! `server.conf` is still written: the same estate on one server, as without `--region`.

use std::path::Path;

use crate::error::{EstateError, StoreError};
use crate::estate::Estate;
use crate::keys::{KeySource, RandomKeys};
use crate::layout::Layout;
use crate::regions::{Regions, RegionsSpec};
use crate::server_config::ResolverKind;
use crate::services::ServiceSpec;
use crate::setup::{init_hooked_with, unix_now, InitExtras, InitOptions, Written};
use crate::write::FileSet;
use crate::{leaf, regions_config};

/// The resolved topology of `spec` for `options` (its host, base port and tenants).
///
/// # Errors
/// [`EstateError::Options`] for a bad spec, or a memory resolver (whose accounts could
/// not be updated in every region).
pub fn resolve(options: &InitOptions, spec: &RegionsSpec) -> Result<Regions, EstateError> {
    if options.server.resolver != ResolverKind::Full {
        return Err(EstateError::Options {
            reason: "--region needs the full resolver (account updates reach every region)".into(),
        });
    }
    let host = &options.server.host;
    spec.resolve(host, options.server.port, &options.tenants)
}

/// Builds the estate of `options` with the regions of `spec` and writes it, all or nothing.
/// An empty `spec` writes the single-server estate.
///
/// # Errors
/// As [`init_services_with`](crate::setup::init_services_with), and
/// [`EstateError::Options`] for a bad region, leaf or port (see [`resolve`]).
pub fn init_regions_with<K: KeySource>(
    options: &InitOptions,
    extras: &InitExtras,
    services: &[ServiceSpec],
    spec: &RegionsSpec,
    keys: &mut K,
    now: i64,
) -> Result<Written, StoreError> {
    if spec.is_empty() {
        if !spec.leaves.is_empty() || spec.home.is_some() || !spec.member_ports.is_empty() {
            return Err(EstateError::Options {
                reason: "--leaf, --home-region and --member-ports need --region".into(),
            }
            .into());
        }
        let no_users = |_: &mut Estate, _: &mut K| Ok(());
        return init_hooked_with(options, extras, services, keys, now, no_users, |_, _, _| {});
    }
    let regions = resolve(options, spec)?;
    let jetstream = options.server.jetstream;
    let users = |estate: &mut Estate, keys: &mut K| {
        leaf::add_leaf_users(estate, &regions, keys, now).map_err(StoreError::from)
    };
    let more_files = |estate: &Estate, root: &Path, files: &mut FileSet| {
        files.extend(regions_config::files(estate, &regions, root, jetstream));
        let path = Layout::new("").provisioner_toml();
        if let Some(text) = files.get(&path) {
            let text = String::from_utf8_lossy(text);
            let text = point_at_home(&text, &regions)
                + &regions_config::provisioner_lines(&regions, jetstream);
            files.insert(path, text);
        }
    };
    init_hooked_with(options, extras, services, keys, now, users, more_files)
}

/// [`init_regions_with`] with random keys and the system clock.
///
/// # Errors
/// As [`init_regions_with`].
pub fn init_regions(
    options: &InitOptions,
    extras: &InitExtras,
    services: &[ServiceSpec],
    spec: &RegionsSpec,
) -> Result<Written, StoreError> {
    init_regions_with(options, extras, services, spec, &mut RandomKeys, unix_now())
}

/// `provisioner.toml` with `nats_url` naming every member of the home region (the
/// client fails over among them), so the provisioner starts next to its registry.
fn point_at_home(text: &str, regions: &Regions) -> String {
    let urls = regions.home_urls().join(",");
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.starts_with("nats_url = ") {
            true => out.push_str(&format!(
                "nats_url = {}",
                crate::toml_text::toml_string(&urls)
            )),
            false => out.push_str(line),
        }
        out.push('\n');
    }
    out
}
