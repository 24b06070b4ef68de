//! The problems validation finds, collected rather than returned at the first.

use crate::error::{PolicyError, PolicyErrors, Problem};
use crate::path::Path;

/// Problems found so far.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<Problem>);

impl Problems {
    pub(crate) fn push(&mut self, path: Path, error: PolicyError) {
        self.0.push(Problem::new(path, error));
    }

    pub(super) fn count(&self) -> usize {
        self.0.len()
    }

    /// `value` when no problem was found, else every problem found.
    pub(super) fn finish<T>(self, value: T) -> Result<T, PolicyErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(PolicyErrors::new(self.0))
        }
    }
}
