//! Load errors: every problem of a policy, each with its place in the file.
//!
//! Loading never stops at the first problem it can get past: [`PolicyErrors`] lists all
//! of them so `provisioner policy check` can print the whole list. Decisions are not
//! errors; see [`crate::Decision`].

use std::fmt;

use thiserror::Error;

use crate::path::{Location, Path};
use crate::subject::SubjectError;
use crate::template::TemplateError;

/// What is wrong with one place of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not TOML.
    #[error("invalid TOML: {message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// A key the schema does not have.
    #[error("unknown key `{key}`{expected}")]
    UnknownKey {
        /// The key.
        key: String,
        /// What the table accepts, as `, expected …`, or empty.
        expected: String,
    },
    /// A value of the wrong type or a missing required key.
    #[error("{message}")]
    InvalidValue {
        /// The deserializer's message.
        message: String,
    },
    /// A schema version this build does not read.
    #[error("unsupported version `{found}`, this build reads version `{supported}`")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// No tenants at all.
    #[error("no tenants are defined, so every request would be denied")]
    NoTenants,
    /// Two tenants with one name.
    #[error("tenant `{name}` is defined more than once")]
    DuplicateTenant {
        /// The name.
        name: String,
    },
    /// Two tenants with one account.
    #[error("account `{account}` belongs to more than one tenant")]
    DuplicateAccount {
        /// The account public key.
        account: String,
    },
    /// A tenant name that is not a safe token.
    #[error("tenant name `{name}` must be 1 to {max} characters of `A-Za-z0-9_-`")]
    InvalidTenantName {
        /// The name.
        name: String,
        /// The longest name allowed.
        max: usize,
    },
    /// A key that is not an account public key.
    #[error("`{key}` is not an account public key (`A…`)")]
    NotAccountKey {
        /// The key as written.
        key: String,
    },
    /// A required value is empty.
    #[error("must not be empty")]
    Empty,
    /// Signing key with both or neither of `path` and `public_key`.
    #[error("set exactly one of `path` and `public_key`")]
    SigningKeyChoice,
    /// A scoped signing key that is the account's identity key.
    #[error("the account's identity key cannot be a scoped signing key")]
    ScopedIdentityKey,
    /// Explicit permissions for a scoped signing key.
    #[error("a scoped signing key takes permissions from the account's scope, remove this table")]
    ScopedWithPermissions,
    /// An unscoped tenant without a permission template.
    #[error("an unscoped signing key needs a `permissions` table")]
    MissingPermissions,
    /// A conditional grant for a scoped signing key, whose users carry no permissions.
    #[error(
        "a scoped signing key takes permissions from the account's scope, so a grant cannot add to them; remove this grant"
    )]
    ScopedWithGrants,
    /// A conditional grant without a subject to add.
    #[error("a grant adds nothing: give `pub.allow` or `sub.allow` subjects")]
    GrantsNothing,
    /// An empty allow list, which NATS reads as "every subject".
    #[error("an empty allow list grants every subject of the account")]
    EmptyAllowList,
    /// No identity source is enabled.
    #[error("no identity source is enabled, so every request would be denied")]
    NoIdentitySource,
    /// A setting that only matters when another one is on.
    #[error("has no effect unless `{needs}` is true")]
    NeedsEnabled {
        /// The setting that must be on.
        needs: &'static str,
    },
    /// An invalid subject or prefix.
    #[error("invalid subject `{subject}`: {reason}")]
    Subject {
        /// The subject as written.
        subject: String,
        /// What is wrong.
        reason: SubjectError,
    },
    /// An invalid template.
    #[error("invalid template `{template}`: {reason}")]
    Template {
        /// The template as written.
        template: String,
        /// What is wrong.
        reason: TemplateError,
    },
    /// A `$SYS` subject granted or used as a prefix.
    #[error("`{subject}` grants a system account (`$SYS`) subject")]
    SysSubject {
        /// The subject as written.
        subject: String,
    },
    /// Publish rights on every subject.
    #[error("`{subject}` grants publishing to every subject")]
    PublishEverything {
        /// The subject as written.
        subject: String,
    },
    /// A granted subject that could lie outside the tenant's namespace.
    #[error("`{subject}` is outside namespace `{namespace}`, `_INBOX` and the extra prefixes")]
    OutsideNamespace {
        /// The subject template as written.
        subject: String,
        /// The tenant's namespace.
        namespace: String,
    },
    /// A `{tag:…}` placeholder where no caller tags can exist.
    #[error("`{placeholder}` needs caller tags, which only `identity.import` provides")]
    TagPlaceholderWithoutImport {
        /// The placeholder.
        placeholder: String,
    },
    /// An allowed-characters set that cannot be read.
    #[error("invalid character set `{set}`: {reason}")]
    Charset {
        /// The set as written.
        set: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An allowed-characters set that admits characters unsafe in a subject token.
    #[error("character set `{set}` admits `{found}`, which cannot be part of a subject token")]
    UnsafeCharset {
        /// The set as written.
        set: String,
        /// An unsafe character it admits, escaped.
        found: String,
    },
    /// Name length bounds out of order or out of range.
    #[error("name lengths must satisfy 1 <= min_len ({min}) <= max_len ({max}) <= {limit}")]
    NameLengths {
        /// `min_len`.
        min: usize,
        /// `max_len`.
        max: usize,
        /// The largest `max_len` allowed.
        limit: usize,
    },
    /// An invalid tag.
    #[error("invalid tag `{tag}`: {reason}")]
    Tag {
        /// The tag as written.
        tag: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A stamped tag template or requestable glob that can produce a tag granting power
    /// in the tenant.
    #[error(
        "`{written}` can produce `{tag}`, {privilege}: a request would grant it to its own user"
    )]
    PrivilegedTag {
        /// The template or glob as written.
        written: String,
        /// The privileged tag it can produce.
        tag: String,
        /// Which privilege that tag carries.
        privilege: &'static str,
    },
    /// A limit below `-1`.
    #[error("`{value}` is not a limit (use -1 for unlimited, or 0 or more)")]
    Limit {
        /// The value.
        value: i64,
    },
    /// A value out of its range.
    #[error("`{value}` is out of range: {reason}")]
    OutOfRange {
        /// The value.
        value: String,
        /// The allowed range.
        reason: &'static str,
    },
    /// An invalid CIDR.
    #[error("`{cidr}` is not a CIDR such as `10.0.0.0/8` or `2001:db8::/32`")]
    Cidr {
        /// The value as written.
        cidr: String,
    },
    /// An invalid time of day.
    #[error("`{time}` is not a time of day `HH:MM:SS`")]
    TimeOfDay {
        /// The value as written.
        time: String,
    },
    /// An invalid time zone name.
    #[error("`{location}` is not an IANA time zone name such as `Europe/Berlin`")]
    TimeLocation {
        /// The value as written.
        location: String,
    },
    /// An unknown connection type.
    #[error("unknown connection type `{value}`, expected one of {expected}")]
    ConnectionType {
        /// The value as written.
        value: String,
        /// The known types.
        expected: String,
    },
    /// A TTL maximum below the default.
    #[error("`max_secs` ({max}) is below `default_secs` ({default})")]
    TtlMaxBelowDefault {
        /// `default_secs`.
        default: u64,
        /// `max_secs`.
        max: u64,
    },
    /// A zero quota or rate limit, which would deny every request.
    #[error("0 would deny every request; remove the key for no limit")]
    ZeroLimit,
}

/// One problem: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}{}: {error}", location.map(|l| format!(" ({l})")).unwrap_or_default())]
pub struct Problem {
    /// Where in the schema, for example `tenants[1].permissions.pub.allow[0]`.
    pub path: Path,
    /// Where in the text, when loaded from text and the place exists there.
    pub location: Option<Location>,
    /// What is wrong.
    #[source]
    pub error: PolicyError,
}

impl Problem {
    /// A problem at `path` with no text location yet.
    pub fn new(path: Path, error: PolicyError) -> Self {
        Problem {
            path,
            location: None,
            error,
        }
    }
}

/// Every problem found while loading a policy; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyErrors(Vec<Problem>);

impl PolicyErrors {
    /// Wraps a list of problems; `None` when the list is empty.
    pub fn from_problems(problems: Vec<Problem>) -> Option<Self> {
        if problems.is_empty() {
            None
        } else {
            Some(PolicyErrors(problems))
        }
    }

    /// Wraps a list the caller knows is not empty (callers check first).
    pub(crate) fn new(problems: Vec<Problem>) -> Self {
        PolicyErrors(problems)
    }

    /// The problems, in file order as far as known.
    pub fn problems(&self) -> &[Problem] {
        &self.0
    }

    /// The number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: there is at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoIterator for PolicyErrors {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// One problem per line.
impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_problems_display() {
        let path = Path::root()
            .key("tenants")
            .index(1)
            .key("permissions")
            .key("pub")
            .key("allow")
            .index(0);
        assert_eq!(path.to_string(), "tenants[1].permissions.pub.allow[0]");
        assert_eq!(Path::root().to_string(), "(file)");
        let mut problem = Problem::new(
            path,
            PolicyError::SysSubject {
                subject: "$SYS.>".into(),
            },
        );
        problem.location = Some(Location { line: 3, column: 7 });
        assert_eq!(
            problem.to_string(),
            "tenants[1].permissions.pub.allow[0] (line 3, column 7): \
             `$SYS.>` grants a system account (`$SYS`) subject"
        );
        let all = PolicyErrors::from_problems(vec![problem.clone(), problem]).unwrap();
        assert_eq!(all.to_string().lines().count(), 2);
        assert!(PolicyErrors::from_problems(Vec::new()).is_none());
    }
}
