//! The account policy: who may get which credentials, for which tenant, with which
//! permissions.
//!
//! Pure: a policy value, a request, an identity and a clock value go in; a decision comes
//! out. No IO, no clock reads, no logging, no async; the provisioner reads the policy
//! file, resolves signing keys, verifies proofs and counts registry entries, then asks
//! [`evaluate`].
//!
//! ```
//! use policy::{evaluate, Identity, Policy, Request, SigningKeyRef};
//! let account = "AB3NTPZB3ZRJIZGBEJSUYRKIGD4AIPKDAAFNQZSK24FUQUYALERHCO3Y";
//! let policy = Policy::seed_legacy(account, SigningKeyRef::Path("sk.nk".into()), "chat.KUBECON")
//!     .unwrap();
//! let mut request = Request::new("alice", "UCV7CR7AQFTIDLTGDYEZPGP66OGVFAWZLRIRZGDNDTTD4UG5MPVTALTI");
//! request.legacy = true;
//! let decision = evaluate(&policy, &request, &Identity::anonymous(), 1_700_000_000);
//! let claims = decision.allow().unwrap().user_claims(); // sign with the tenant's key
//! assert_eq!(claims.nats.issuer_account, account);
//! ```
//!
//! Layout (each module uses only those listed before it, and its own submodules):
//! - `path`: [`Path`] and [`Location`], where a problem is;
//! - [`subject`]: subject and literal-token checks;
//! - [`names`]: character sets and globs for name rules;
//! - [`tags`]: the rules every tag follows, subject-safe tag values, privileged tags;
//! - [`template`]: placeholders (`{name}`, `{tenant}`, `{public_key}`, `{account}`,
//!   `{tag:KEY}`) and safe substitution: `error`, `placeholder`, `text_template`,
//!   `subject_template`;
//! - `error`: [`PolicyErrors`], [`Problem`], [`PolicyError`];
//! - [`schema`]: the TOML file's serde types (`README.md` documents every key): the file
//!   and tenant in `schema`, then `limits`, `identity`, `names`, `permissions`,
//!   `grants`;
//! - `policy`: [`Policy`], [`Tenant`], [`SigningKeyRef`], the checked values;
//! - `validate`: load-time checks (namespaces, `$SYS`, scoped keys, TTLs, duplicates…)
//!   and [`Policy::from_file`]: `problems`, `tag`, `identity`, `limits`, `permissions`,
//!   `grants`;
//! - `load`: TOML text to a checked [`Policy`] ([`Policy::from_toml_str`]), problems
//!   placed by path and line;
//! - `seed`: [`Policy::seed_legacy`], the seed's behaviour as a policy;
//! - `request`: [`Request`], [`Identity`], [`InviteGrant`], [`VerifiedCredential`],
//!   [`RegistryFacts`];
//! - `deny_code`: [`DenyCode`], the stable codes and their NATS micro status;
//! - `decision`: [`Decision`], [`Allow`], [`Deny`], [`Step`];
//! - `evaluate`: [`evaluate`] and its rules ([`rule`]): `echo`, `trail`, `credential`,
//!   `identify`, `grant`, `entitle` (conditional grants by tag);
//! - `explain`: [`explain`], the what-if decision `provisioner policy explain` prints.

#![warn(missing_docs)]

mod decision;
mod deny_code;
mod error;
mod evaluate;
mod explain;
mod load;
pub mod names;
mod path;
mod policy;
mod request;
pub mod schema;
mod seed;
pub mod subject;
pub mod tags;
pub mod template;
mod validate;

pub use decision::{Allow, Decision, Deny, DenyCode, IdentitySource, Step, StepOutcome};
pub use error::{PolicyError, PolicyErrors, Problem};
pub use evaluate::{evaluate, rule, MAX_ECHO_CHARS};
pub use explain::{explain, what_if, EXPLAIN_PUBLIC_KEY};
pub use load::MAX_UNKNOWN_KEYS;
pub use path::{Location, Path, Segment};
pub use policy::{Policy, SigningKeyRef, Tenant};
pub use request::{
    CredentialKind, Identity, InviteGrant, NameHolder, RegistryFacts, Request, VerifiedCredential,
};
pub use seed::{SEED_MAX_PAYLOAD, SEED_TTL_SECS};
pub use tags::MAX_TAG_LEN;
pub use validate::{
    MAX_NAME_LEN, MAX_OIDC_LEEWAY_SECS, MAX_RATE_WINDOW_SECS, MAX_TENANT_NAME_LEN, MAX_TTL_SECS,
};
