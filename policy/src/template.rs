//! Placeholders and their substitution.
//!
//! Placeholders: `{name}` (the requested user name), `{tenant}` (the tenant's name),
//! `{public_key}` (the user's public key), `{account}` (the tenant account's public key)
//! and `{tag:KEY}` (the value of the caller's tag `KEY:value`, from
//! `Nats-Request-Info`). In a subject template a placeholder must be a whole token; every
//! substituted value must be one literal subject token, so a substitution can never add a
//! token, a wildcard or leave the prefix the template starts with. Tag templates (stamped
//! tags) may hold placeholders anywhere. There is no escape syntax: `{` and `}` appear
//! only around placeholders.

mod error;
mod placeholder;
mod subject_template;
mod text_template;

pub use error::{SubstitutionError, TemplateError};
pub use placeholder::{Placeholder, Values};
pub use subject_template::{SubjectTemplate, TemplateToken};
pub use text_template::{SlotValue, TextTemplate};
