//! The estate as values: the operator, its accounts and their users, each with its claims,
//! its signed JWT and, where held, its key pairs. Pure: keys come from a
//! [`KeySource`](crate::keys::KeySource) and times are arguments.
//!
//! [`Estate::build`] makes the topology of design §2 (see [`build`] and
//! [`crate::topology`]); [`Estate::add_tenant`], [`Estate::revoke_user`] and
//! [`Estate::resign_account`] change it. Reading and writing it in nsc's layout lives in
//! [`crate::store`].
//!
//! Layout: `entries` holds the values, their lookups and re-signing; `name` the name
//! rules ([`check_name`]); `signing` appends signed accounts and users; `claim_parts`
//! the exports, imports, users and scopes the topology is made of; `services_account`
//! SERVICES in its generic or isolated layout and the tenants' imports of it; [`build`]
//! the topology itself.

pub mod build;
mod claim_parts;
mod entries;
mod name;
mod notices;
mod services_account;
mod signing;

pub use build::{EstateSpec, TenantSpec};
pub use entries::{AccountEntry, Estate, OperatorEntry, UserEntry};
pub use name::{check_name, MAX_NAME_LEN};
