//! The operator estate: operator, accounts and users in nsc's store layout, the server
//! configuration that trusts them, and pushes of account JWTs to a running resolver.
//!
//! `nsc-setup init` builds the topology of design §2 (an operator with a signing key;
//! SYS; AUTH with the provisioner's user and the credential-service exports; SERVICES
//! with `svc.>` and an agent, or with `--service` one agent per service and site and a
//! service admin per service, and the queued requests `svcq.*.>` whose second token is
//! the importer's account; one account per tenant importing both with `share=true`,
//! with a minted-users signing key, a bootstrap and an admin user) and writes it so that
//! real `nsc` can manage it afterwards, plus `server.conf`, `provisioner.toml`,
//! `policy.toml`, `nsc.env` and, for the HTTP API, `portal.toml`.
//!
//! Layout (each module uses only those listed before it):
//! - [`topology`]: the names, subjects and permissions of the estate, as constants;
//! - [`error`]: [`EstateError`], [`StoreError`], [`PushError`];
//! - [`keys`]: [`RandomKeys`] for real estates, [`SequentialKeys`] for tests;
//! - [`services`]: `--service NAME:SITE,…`, the isolated layout's identities and their
//!   permissions (names and subjects from [`agent::subjects`]);
//! - [`estate`]: the estate as values, built from a [`KeySource`] and a clock value
//!   ([`Estate::build`], [`Estate::add_tenant`], [`Estate::revoke_user`]);
//! - [`describe`](mod@describe): the estate as tables;
//! - [`layout`]: every path (nsc store, key store, product files);
//! - `toml_text`: TOML strings for the product's files;
//! - [`write`](mod@write): 0600/0700, all-or-nothing writes;
//! - [`store`], [`callout`] (`init --callout`, the estate wired for the provisioner's auth
//!   callout), [`server_config`], [`product`], [`portal`] (`init --portal`, the estate
//!   wired for the HTTP API), [`policy_file`]: the files' contents;
//! - [`regions`], [`leaf`], [`regions_config`]: the multi-region layout (a supercluster
//!   of regions joined by gateways, leaf nodes bound to tenant accounts) and its configs;
//! - [`load`]: reading a store back (ours or one made by `nsc`);
//! - [`setup`]: `init`, `tenant add` and account updates on a directory;
//! - [`regions_init`] (`init --region`), [`regions_describe`] (its topology table);
//! - [`push`]: `$SYS.REQ.CLAIMS.UPDATE` as the system user, collecting every answer.
//!
//! The `nsc-setup` binary (`src/main.rs`, `src/cli/`) wires these to the command line.

pub mod callout;
pub mod describe;
pub mod error;
pub mod estate;
pub mod keys;
pub mod layout;
pub mod leaf;
pub mod load;
pub mod policy_file;
pub mod portal;
pub mod product;
pub mod push;
pub mod regions;
pub mod regions_config;
pub mod regions_describe;
pub mod regions_init;
pub mod server_config;
pub mod services;
pub mod setup;
pub mod store;
mod toml_text;
pub mod topology;
pub mod write;

pub use describe::describe;
pub use error::{EstateError, PushError, StoreError};
pub use estate::{
    check_name, AccountEntry, Estate, EstateSpec, OperatorEntry, TenantSpec, UserEntry,
};
pub use keys::{KeySource, RandomKeys, SequentialKeys};
pub use layout::{KeyStore, Layout, NscStore};
pub use load::{load_dir, load_store, read_seed};
pub use push::{push_accounts, push_dir, AccountPush, PushOptions, PushReport, ServerAnswer};
pub use regions::{Regions, RegionsSpec};
pub use regions_init::{init_regions, init_regions_with};
pub use server_config::{ResolverKind, ServerSettings};
pub use services::ServiceSpec;
pub use setup::{
    add_tenant, add_tenant_with, estate_files, init, init_extras, init_extras_with, init_services,
    init_services_with, init_with, revoke_user, unix_now, update_account, InitExtras, InitOptions,
    TenantAdded, Written,
};
