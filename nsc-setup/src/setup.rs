//! The operations behind the CLI, on an estate directory: `init` (build everything, write
//! it all or nothing), `tenant add`, and re-signing an account (for revocations).
//!
//! Each comes as `foo_with(…, keys, now)`, deterministic given its key source and clock,
//! and `foo(…)`, which uses [`RandomKeys`] and the system clock.
//!
//! The full resolver's directory (`<dir>/jwt`) is written at `init` and for a new tenant's
//! account ([`TenantAdded::record_in_resolver`], after any push), never for an update of
//! an account a running server knows: such a server keeps serving its cached JWT and would
//! ignore a later push of the same JWT, so updates reach it only by `push`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::StoreError;
use crate::estate::{AccountEntry, Estate, EstateSpec, TenantSpec};
use crate::keys::{KeySource, RandomKeys};
use crate::layout::Layout;
use crate::load::load_dir;
use crate::portal::{self, PortalSettings};
use crate::server_config::{self, ServerSettings};
use crate::services::ServiceSpec;
use crate::write::{write_into, write_new_dir, FileSet};
use crate::{callout, policy_file, product, store};

/// What `init` builds and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitOptions {
    /// The estate directory.
    pub dir: PathBuf,
    /// The operator's name.
    pub operator: String,
    /// The tenants.
    pub tenants: Vec<String>,
    /// Whether tenants' minted-users keys are scoped.
    pub scoped_keys: bool,
    /// Resolver, listen address and JetStream.
    pub server: ServerSettings,
    /// Replace an existing non-empty directory.
    pub force: bool,
    /// Wire the estate for the provisioner's auth callout (see [`crate::callout`]).
    pub callout: bool,
}

/// What `init` may add beyond the estate's accounts and their files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitExtras {
    /// Wire the estate for the portal (`portal.toml`, the policy's portal lines; see
    /// [`crate::portal`]); needs the callout.
    pub portal: Option<PortalSettings>,
    /// The issuance history stream's max age in seconds, for `provisioner.toml` (with
    /// JetStream; `None` or 0: the provisioner's default).
    pub history_max_age_secs: Option<u64>,
}

/// A written estate.
#[derive(Debug)]
pub struct Written {
    /// The estate directory, absolute.
    pub dir: PathBuf,
    /// The estate.
    pub estate: Estate,
    /// The files written, relative to `dir`.
    pub files: Vec<PathBuf>,
}

/// The current unix time.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The absolute form of `dir`.
///
/// # Errors
/// [`StoreError::Io`] when the current directory cannot be read.
pub fn absolute(dir: &Path) -> Result<PathBuf, StoreError> {
    std::path::absolute(dir).map_err(StoreError::io("resolving", dir))
}

/// Every file of an estate in directory `root` (absolute), by relative path: the nsc
/// store and key store, `server.conf` (and the resolver directory in full mode),
/// `provisioner.toml`, `policy.toml`, `nsc.env` and, with a portal, `portal.toml`.
///
/// # Errors
/// [`StoreError::Policy`] when the policy file would not load.
pub fn estate_files(
    estate: &Estate,
    server: &ServerSettings,
    root: &Path,
    now: i64,
    extras: &InitExtras,
) -> Result<FileSet, StoreError> {
    let rel = Layout::new("");
    let mut files = store::store_files(estate, root, now);
    files.extend(server_config::resolver_files(estate, server));
    files.insert(
        rel.server_conf(),
        server_config::render(estate, server, root),
    );
    let provisioner = product::provisioner_toml(&estate.operator.name, &server.client_url());
    files.insert(
        rel.provisioner_toml(),
        provisioner
            + &product::registry_lines(estate, server)
            + &product::history_line(server, extras.history_max_age_secs)
            + &callout::provisioner_lines(estate),
    );
    let portal = extras.portal.as_ref();
    files.insert(
        rel.policy_toml(),
        policy_file::render(estate, callout::is_enabled(estate), portal)?,
    );
    if let Some(portal) = portal {
        let text = portal::portal_toml(&server.client_url(), portal);
        files.insert(rel.portal_toml(), text);
    }
    files.insert(rel.env_file(), product::env_file(root));
    Ok(files)
}

/// Builds the estate of `options` and writes it, all or nothing.
///
/// # Errors
/// [`StoreError::Estate`] for bad names, [`StoreError::Exists`] for an existing
/// non-empty directory without `force`, [`StoreError::Io`] for filesystem errors (the
/// directory is then as it was).
pub fn init_with(
    options: &InitOptions,
    keys: &mut impl KeySource,
    now: i64,
) -> Result<Written, StoreError> {
    init_extras_with(options, &InitExtras::default(), keys, now)
}

/// [`init_with`] plus `extras` (the portal's wiring, the history's retention).
///
/// # Errors
/// As [`init_with`], and [`crate::EstateError::Options`] for a portal without the
/// callout or with scoped keys.
pub fn init_extras_with(
    options: &InitOptions,
    extras: &InitExtras,
    keys: &mut impl KeySource,
    now: i64,
) -> Result<Written, StoreError> {
    init_services_with(options, extras, &[], keys, now)
}

/// [`init_extras_with`] with SERVICES in the isolated layout when `services` is not empty
/// (`--service`; see [`crate::services`]).
///
/// # Errors
/// As [`init_extras_with`], and [`crate::EstateError::Name`] or
/// [`crate::EstateError::Options`] for a bad service list.
pub fn init_services_with(
    options: &InitOptions,
    extras: &InitExtras,
    services: &[ServiceSpec],
    keys: &mut impl KeySource,
    now: i64,
) -> Result<Written, StoreError> {
    let no_users = |_: &mut Estate, _: &mut _| Ok(());
    init_hooked_with(options, extras, services, keys, now, no_users, |_, _, _| {})
}

/// [`init_services_with`] with two additions (the multi-region layout's, see
/// [`crate::regions_init`]): `users` may add users before the files are made, and
/// `more_files` may change or add files before they are written.
///
/// # Errors
/// As [`init_services_with`], and whatever `users` returns.
pub fn init_hooked_with<K: KeySource>(
    options: &InitOptions,
    extras: &InitExtras,
    services: &[ServiceSpec],
    keys: &mut K,
    now: i64,
    users: impl FnOnce(&mut Estate, &mut K) -> Result<(), StoreError>,
    more_files: impl FnOnce(&Estate, &Path, &mut FileSet),
) -> Result<Written, StoreError> {
    if extras.portal.is_some() {
        portal::check(options.callout, options.scoped_keys)?;
    }
    let spec = EstateSpec {
        operator: options.operator.clone(),
        tenants: options
            .tenants
            .iter()
            .map(|name| TenantSpec {
                name: name.clone(),
                scoped: options.scoped_keys,
            })
            .collect(),
        jetstream: options.server.jetstream,
    };
    let mut estate = Estate::build_with_services(&spec, services, keys, now)?;
    let xkey = match options.callout {
        true => Some(callout::enable(&mut estate, keys, now)?),
        false => None,
    };
    users(&mut estate, keys)?;
    let dir = absolute(&options.dir)?;
    let mut files = estate_files(&estate, &options.server, &dir, now, extras)?;
    if let Some(xkey) = &xkey {
        files.extend(callout::files(&estate, xkey));
    }
    more_files(&estate, &dir, &mut files);
    write_new_dir(&files, &dir, options.force)?;
    Ok(Written {
        dir,
        estate,
        files: files.paths().map(Path::to_path_buf).collect(),
    })
}

/// [`init_with`] random keys and the system clock.
///
/// # Errors
/// As [`init_with`].
pub fn init(options: &InitOptions) -> Result<Written, StoreError> {
    init_with(options, &mut RandomKeys, unix_now())
}

/// [`init_extras_with`] random keys and the system clock.
///
/// # Errors
/// As [`init_extras_with`].
pub fn init_extras(options: &InitOptions, extras: &InitExtras) -> Result<Written, StoreError> {
    init_extras_with(options, extras, &mut RandomKeys, unix_now())
}

/// [`init_services_with`] random keys and the system clock.
///
/// # Errors
/// As [`init_services_with`].
pub fn init_services(
    options: &InitOptions,
    extras: &InitExtras,
    services: &[ServiceSpec],
) -> Result<Written, StoreError> {
    init_services_with(options, extras, services, &mut RandomKeys, unix_now())
}

/// A tenant added to an estate directory.
#[derive(Debug)]
pub struct TenantAdded {
    /// The estate directory, absolute.
    pub dir: PathBuf,
    /// The estate, with the new tenant.
    pub estate: Estate,
    /// The tenant's name (its account's name).
    pub name: String,
    /// The files written, relative to `dir`.
    pub files: Vec<PathBuf>,
    resolver_files: FileSet,
}

impl TenantAdded {
    /// The new tenant's account.
    pub fn account(&self) -> Option<&AccountEntry> {
        self.estate.account(&self.name)
    }

    /// Writes the new account's JWT into the full resolver's directory (nothing for a
    /// memory resolver), so that a server started later knows it. Call it after pushing,
    /// if pushing.
    ///
    /// # Errors
    /// [`StoreError::Io`].
    pub fn record_in_resolver(&self) -> Result<(), StoreError> {
        write_into(&self.resolver_files, &self.dir)
    }
}

/// Adds tenant `tenant` to the estate in `dir`: its account, keys, users and creds in the
/// store, its policy entry (appended to `policy.toml`; on a portal estate with the portal's
/// lines and the first tenant's issuer) and, for a memory resolver, its
/// preload entry in `server.conf`. See [`TenantAdded::record_in_resolver`] for the full
/// resolver's directory.
///
/// # Errors
/// [`StoreError::Estate`] for a bad or existing name or a missing operator signing key,
/// [`StoreError::Policy`] when the policy would not load, [`StoreError::Io`] (after undoing
/// the files already written).
pub fn add_tenant_with(
    dir: &Path,
    tenant: &TenantSpec,
    keys: &mut impl KeySource,
    now: i64,
) -> Result<TenantAdded, StoreError> {
    let dir = absolute(dir)?;
    let mut estate = load_dir(&dir)?;
    let account = estate.add_tenant(tenant, keys, now)?.clone();
    let layout = Layout::new(&dir);
    let rel = Layout::new("");

    let mut files = store::account_files(&estate.operator.name, &account);
    let callout = callout::is_enabled(&estate);
    if callout {
        callout::allow_account(&mut estate, account.public_key(), now)?;
        if let Some(auth) = estate.account(crate::topology::AUTH_ACCOUNT) {
            let store = rel.store(&estate.operator.name);
            files.insert(store.account_jwt(&auth.name), auth.jwt.as_str());
        }
        files.insert(
            callout::credentials_path(&tenant.name),
            callout::credentials_template(&tenant.name),
        );
    }
    let policy_path = layout.policy_toml();
    let mut policy = match std::fs::read_to_string(&policy_path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => policy_file::header(),
        Err(err) => return Err(StoreError::io("reading", policy_path)(err)),
    };
    let reserved = policy_file::reserved_names(&estate);
    let portal = layout.portal_toml().is_file();
    let oidc = portal::oidc_line_of(&policy);
    if let Some(block) = policy_file::tenant_block(&account, &reserved, portal) {
        policy.push_str(&block);
        if callout {
            policy.push_str(&callout::policy_line(&tenant.name));
        }
        if portal {
            policy.push_str(&oidc);
        }
    }
    policy_file::check(&policy)?;
    files.insert(rel.policy_toml(), policy);

    let mut resolver_files = FileSet::new();
    if let Some(settings) = read_settings(&layout)? {
        files.insert(
            rel.server_conf(),
            server_config::render(&estate, &settings, &dir),
        );
        if settings.resolver == server_config::ResolverKind::Full {
            resolver_files.insert(rel.resolver_jwt(account.public_key()), account.jwt.as_str());
            resolver_files.extend(crate::regions_config::member_resolver_files(&dir, &account));
        }
    }
    write_into(&files, &dir)?;
    Ok(TenantAdded {
        dir,
        estate,
        name: tenant.name.clone(),
        files: files.paths().map(Path::to_path_buf).collect(),
        resolver_files,
    })
}

/// [`add_tenant_with`] random keys and the system clock.
///
/// # Errors
/// As [`add_tenant_with`].
pub fn add_tenant(dir: &Path, tenant: &TenantSpec) -> Result<TenantAdded, StoreError> {
    add_tenant_with(dir, tenant, &mut RandomKeys, unix_now())
}

/// Re-signs account `name` of the estate in `dir` after `change` ran on its claims, and
/// writes its store JWT (and `server.conf` for a memory resolver). A running full
/// resolver learns of it only through `push`.
///
/// # Errors
/// [`StoreError::Estate`] for an unknown account or a missing operator signing key;
/// [`StoreError::Io`].
pub fn update_account(
    dir: &Path,
    name: &str,
    now: i64,
    change: impl FnOnce(&mut claims::AccountClaims),
) -> Result<Estate, StoreError> {
    let dir = absolute(dir)?;
    let mut estate = load_dir(&dir)?;
    estate.resign_account(name, now, change)?;
    let layout = Layout::new(&dir);
    let rel = Layout::new("");
    let mut files = FileSet::new();
    if let Some(account) = estate.account(name) {
        let store = rel.store(&estate.operator.name);
        files.insert(store.account_jwt(name), account.jwt.as_str());
    }
    if let Some(settings) = read_settings(&layout)? {
        files.insert(
            rel.server_conf(),
            server_config::render(&estate, &settings, &dir),
        );
    }
    write_into(&files, &dir)?;
    Ok(estate)
}

/// Revokes user `user` of account `account` (every JWT it holds now) in the estate in
/// `dir`; see [`update_account`].
///
/// # Errors
/// As [`update_account`], and [`crate::EstateError::NoUser`].
pub fn revoke_user(dir: &Path, account: &str, user: &str, now: i64) -> Result<Estate, StoreError> {
    let estate = load_dir(&absolute(dir)?)?;
    let key = estate
        .account(account)
        .and_then(|a| a.user(user))
        .map(|u| u.public_key().to_owned())
        .ok_or_else(|| crate::EstateError::NoUser {
            account: account.to_owned(),
            user: user.to_owned(),
        })?;
    update_account(dir, account, now, |claims| claims.revoke_user_at(key, now))
}

/// The settings recorded in `server.conf`, if it was written by nsc-setup.
fn read_settings(layout: &Layout) -> Result<Option<ServerSettings>, StoreError> {
    let path = layout.server_conf();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(ServerSettings::from_config(&text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(StoreError::io("reading", path)(err)),
    }
}
