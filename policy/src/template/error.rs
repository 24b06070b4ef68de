//! Why a template cannot be read, and why a substitution was refused.

use thiserror::Error;

use crate::subject::{SubjectError, TokenError};

/// Why a template cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// A `{` without its `}`, or a `}` without its `{`.
    #[error("unbalanced `{{` or `}}`")]
    Unbalanced,
    /// A placeholder this crate does not know.
    #[error("unknown placeholder `{placeholder}` (known: {{name}}, {{tenant}}, {{public_key}}, {{account}}, {{tag:KEY}})")]
    UnknownPlaceholder {
        /// The placeholder as written.
        placeholder: String,
    },
    /// `{tag:…}` with an empty or invalid key.
    #[error("`{placeholder}` needs a tag key of `A-Za-z0-9_-`")]
    TagKey {
        /// The placeholder as written.
        placeholder: String,
    },
    /// A placeholder sharing a subject token with other text.
    #[error("placeholder must be a whole subject token, not part of `{token}`")]
    PartialToken {
        /// The token as written.
        token: String,
    },
    /// The subject itself is invalid.
    #[error("{0}")]
    Subject(SubjectError),
}

/// Why a substitution was refused at evaluation time.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubstitutionError {
    /// The caller carries no tag with the placeholder's key.
    #[error("the caller has no `{key}:` tag")]
    MissingTag {
        /// The tag key.
        key: String,
    },
    /// The caller carries several different tags with the placeholder's key.
    #[error("the caller has several `{key}:` tags")]
    AmbiguousTag {
        /// The tag key.
        key: String,
    },
    /// A value that is not one literal subject token (or not a safe tag part).
    #[error("the value of `{placeholder}` {reason}")]
    Unsafe {
        /// The placeholder.
        placeholder: String,
        /// What is wrong with the value.
        reason: TokenError,
    },
}
