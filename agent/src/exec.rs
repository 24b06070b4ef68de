//! Handlers per resource type: the programs that do a site's real work (create a folder,
//! a bucket, a VM) when a tenant allocates, updates or deallocates a resource.
//!
//! - [`config`]: the `[handlers.<type>]` tables of the agent's TOML file, checked at
//!   start-up;
//! - [`document`]: the JSON document on a handler's stdin, and how its stdout, stderr and
//!   exit status become details or a failure message;
//! - [`run`]: running one, with a scrubbed environment, a timeout that kills its process
//!   group, a cap on its output and a per-type concurrency limit.
//!
//! [`Handlers`] is the set the agent was configured with. An agent configured without a
//! `[handlers]` table has none at all and only stores records, as before handlers
//! existed; one with the table refuses every type it has no handler for.

use std::collections::BTreeMap;
use std::time::Duration;

pub mod config;
pub mod document;
pub mod run;

pub use config::{HandlerConfig, HandlerConfigError, HandlerFile};
pub use document::{CallerInfo, HandlerInput, HandlerOperation};
pub use run::{Handler, HandlerError};

/// The handlers of one site, by resource type.
#[derive(Debug, Clone, Default)]
pub struct Handlers {
    by_type: BTreeMap<String, Handler>,
}

impl Handlers {
    /// Checks every `[handlers.<type>]` table of a config file in directory `base`.
    ///
    /// # Errors
    /// [`HandlerConfigError`] naming the first bad setting.
    pub fn from_tables(
        tables: &BTreeMap<String, HandlerFile>,
        base: &std::path::Path,
    ) -> Result<Self, HandlerConfigError> {
        let mut handlers = Handlers::default();
        for (resource_type, file) in tables {
            handlers.insert(HandlerConfig::from_file(resource_type, file, base)?);
        }
        Ok(handlers)
    }

    /// Adds (or replaces) the handler of `config.resource_type`.
    pub fn insert(&mut self, config: HandlerConfig) {
        self.by_type
            .insert(config.resource_type.clone(), Handler::new(config));
    }

    /// The handler of `resource_type`, if this site has one.
    pub fn get(&self, resource_type: &str) -> Option<&Handler> {
        self.by_type.get(resource_type)
    }

    /// The types this site has handlers for, sorted.
    pub fn types(&self) -> Vec<&str> {
        self.by_type.keys().map(String::as_str).collect()
    }

    /// The longest timeout of any handler (zero without handlers): a request must be
    /// allowed to wait that long for its handler.
    pub fn longest_timeout(&self) -> Duration {
        self.by_type
            .values()
            .map(|h| h.config().timeout)
            .max()
            .unwrap_or_default()
    }

    /// The refusal for a type without a handler, naming those there are.
    pub fn not_supported(&self, resource_type: &str, site: &str) -> String {
        let types = self.types();
        if types.is_empty() {
            format!("site `{site}` supports no resource types (`{resource_type}` asked)")
        } else {
            format!(
                "resource type `{resource_type}` is not supported at site `{site}`; \
                 supported: {}",
                types.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests;
