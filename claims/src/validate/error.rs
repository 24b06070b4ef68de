//! The blocking problems validation reports, one variant per rule of Go's `Validate`.
//!
//! The texts are ours (lowercase, values in backticks), not Go's; the rules are Go's.
//! Variants that never echo a signed token: an activation token problem names the import
//! subject and the decoding error only. Where each variant is produced and tested: the
//! submodule of [`crate::validate`] for its concept.

use std::fmt;

use crate::error::ClaimsError;

/// Which end of a connect-time window a time-range error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    /// The `start` of the window.
    Start,
    /// The `end` of the window.
    End,
}

impl fmt::Display for TimeBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeBound::Start => "start",
            TimeBound::End => "end",
        })
    }
}

/// A rule of Go's `Validate` that the claims break. Any error makes the claims invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    // Subjects (`validate/subject.rs`).
    /// A subject is empty.
    #[error("subject cannot be empty")]
    EmptySubject,
    /// A subject contains a space.
    #[error("subject `{0}` cannot contain spaces")]
    SubjectSpaces(String),
    /// A subject starts or ends with a `.`.
    #[error("subject `{0}` cannot start or end with `.`")]
    SubjectEdgeDot(String),
    /// A subject contains `..`.
    #[error("subject `{0}` cannot contain consecutive `.`")]
    SubjectConsecutiveDots(String),
    /// A publish permission carries a queue name (only subscriptions may).
    #[error("permission subject `{0}` may not carry a queue name")]
    QueueNotAllowed(String),
    /// A permission has more than one space (subject, queue and more).
    #[error("permission subject `{0}` contains too many spaces")]
    PermissionSpaces(String),
    /// A renaming subject and its source disagree on ending in `>`.
    #[error(
        "local subject `{local_subject}` and subject `{subject}` must both end in `>` or neither"
    )]
    RenamingSuffix {
        /// The import subject.
        subject: String,
        /// The renaming (local) subject.
        local_subject: String,
    },
    /// A `$n` reference points past the wildcards of the source subject.
    #[error("reference `${reference}` in `{local_subject}` has no matching `*` in `{subject}`")]
    RenamingReference {
        /// The import subject.
        subject: String,
        /// The renaming (local) subject.
        local_subject: String,
        /// The reference number.
        reference: i64,
    },
    /// The renaming subject does not use every `*` of the source subject.
    #[error(
        "local subject `{local_subject}` does not use every `*` of `{subject}` (as `*` or `$n`)"
    )]
    RenamingWildcards {
        /// The import subject.
        subject: String,
        /// The renaming (local) subject.
        local_subject: String,
    },

    // User permissions and limits (`validate/permissions.rs`).
    /// A source CIDR does not parse.
    #[error("invalid cidr `{0}` in src limits")]
    InvalidCidr(String),
    /// A connect-time window lacks a start or an end.
    #[error("time range has no {0}")]
    MissingTime(TimeBound),
    /// A connect-time window's start or end is not `HH:MM:SS` (Go `time.Parse("15:04:05")`).
    #[error("time range {bound} `{value}` is not a valid time")]
    InvalidTime {
        /// Which end.
        bound: TimeBound,
        /// The text given.
        value: String,
    },
    /// `times_location` is not an IANA time zone.
    #[error("unknown time zone `{0}`")]
    InvalidTimeZone(String),
    /// `issuer_account` is set but is not an account public key.
    #[error("issuer account `{0}` is not an account public key")]
    IssuerAccountNotAccount(String),

    // Exports (`validate/exports.rs`).
    /// An export is neither a stream nor a service.
    #[error("export `{0}` must be a stream or a service")]
    InvalidExportType(String),
    /// A response type that is not allowed for the export's type.
    #[error("invalid response type `{response_type}` for {kind} export `{subject}`")]
    InvalidResponseType {
        /// The export subject.
        subject: String,
        /// The response type given.
        response_type: String,
        /// `stream` or `service`.
        kind: &'static str,
    },
    /// `allow_trace` on an export that is not a service.
    #[error("allow_trace is only valid on service exports (export `{0}`)")]
    ExportTraceNotService(String),
    /// Latency tracking on an export that is not a service.
    #[error("latency tracking is only valid on service exports (export `{0}`)")]
    LatencyNotService(String),
    /// Latency sampling outside 1..=100 (0 means "headers").
    #[error("latency sampling `{sampling}` of export `{subject}` must be between 1 and 100")]
    LatencySampling {
        /// The export subject.
        subject: String,
        /// The sampling given.
        sampling: i64,
    },
    /// The latency results subject has wildcards.
    #[error("latency results subject `{0}` cannot contain wildcards")]
    LatencyResultsWildcard(String),
    /// A negative response threshold.
    #[error("response threshold of export `{0}` cannot be negative")]
    NegativeResponseThreshold(String),
    /// A response threshold on an export that is not a service.
    #[error("response threshold is only valid on service exports (export `{0}`)")]
    ThresholdNotService(String),
    /// `account_token_position` on a subject without wildcards.
    #[error("account token position needs a wildcard subject (export `{0}`)")]
    TokenPositionNoWildcard(String),
    /// `account_token_position` past the last token of the subject.
    #[error("account token position {position} exceeds the length of subject `{subject}`")]
    TokenPositionOutOfRange {
        /// The export subject.
        subject: String,
        /// The position given.
        position: u64,
    },
    /// `account_token_position` points at a token that is not `*`.
    #[error("account token position {position} of `{subject}` is `{token}`, not `*`")]
    TokenPositionNotWildcard {
        /// The export subject.
        subject: String,
        /// The position given.
        position: u64,
        /// The token found there.
        token: String,
    },
    /// Two exports of the same type where one contains the other.
    #[error("{kind} export subject `{subject}` already exports `{contained}`")]
    OverlappingExports {
        /// `stream` or `service`.
        kind: &'static str,
        /// The wider subject.
        subject: String,
        /// The subject it contains.
        contained: String,
    },
    /// A description longer than Go's `MaxInfoLength`.
    #[error("description is too long ({0} bytes)")]
    DescriptionTooLong(usize),
    /// An info URL longer than Go's `MaxInfoLength`.
    #[error("info url is too long ({0} bytes)")]
    InfoUrlTooLong(usize),
    /// An info URL that does not parse or lacks a scheme or host.
    #[error("invalid info url `{url}`: {reason}")]
    InvalidInfoUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },

    // Imports (`validate/imports.rs`).
    /// An import (or activation) is neither a stream nor a service.
    #[error("import `{0}` must be a stream or a service")]
    InvalidImportType(String),
    /// `allow_trace` on an import that is not a stream.
    #[error("allow_trace is only valid on stream imports (import `{0}`)")]
    ImportTraceNotStream(String),
    /// An import without the exporting account.
    #[error("import `{0}` does not name the account to import from")]
    ImportAccountMissing(String),
    /// Both `local_subject` and the deprecated `to` are set.
    #[error("import `{0}` sets both local_subject and to (local_subject replaces to)")]
    LocalSubjectReplacesTo(String),
    /// `share` on an import that is not a service.
    #[error("share is only valid on service imports (import `{0}`)")]
    ShareNotService(String),
    /// The activation token does not decode as an activation.
    #[error("import `{subject}` carries an invalid activation token: {reason}")]
    InvalidActivationToken {
        /// The import subject.
        subject: String,
        /// Why decoding failed.
        #[source]
        reason: ClaimsError,
    },
    /// The activation token was issued by another account than the import names.
    #[error("activation token of import `{0}` was not issued by the exporting account")]
    ActivationIssuerMismatch(String),
    /// The activation token was issued to another account than this one.
    #[error("activation token of import `{0}` was issued to another account")]
    ActivationSubjectMismatch(String),
    /// The activation token's type differs from the import's.
    #[error("activation token type `{token_type}` differs from import type `{import_type}`")]
    ActivationTypeMismatch {
        /// The token's type (`unknown` when absent).
        token_type: &'static str,
        /// The import's type (`unknown` when absent).
        import_type: &'static str,
    },
    /// The import subject is not within the activation token's subject.
    #[error("activation token subject `{token_subject}` does not cover import `{subject}`")]
    ActivationSubjectNotCovered {
        /// The import subject.
        subject: String,
        /// The subject the token grants.
        token_subject: String,
    },
    /// Two service imports from the same account whose local subjects overlap.
    #[error("service imports `{subject}` and `{other}` from account `{account}` overlap")]
    OverlappingImports {
        /// The later import's local subject.
        subject: String,
        /// The earlier import's local subject.
        other: String,
        /// The exporting account.
        account: String,
    },

    // Account (`validate/account.rs`).
    /// Flat JetStream limits next to tiered ones.
    #[error("flat and tiered JetStream limits are mutually exclusive")]
    TieredAndFlatJetStream,
    /// A JetStream tier named `""`.
    #[error("tiered JetStream limits cannot contain a blank tier name")]
    BlankTierName,
    /// More imports than the operator's limit.
    #[error("the account has {count} imports, more than the operator allows ({max})")]
    TooManyImports {
        /// Imports present.
        count: usize,
        /// The limit.
        max: i64,
    },
    /// More exports than the operator's limit.
    #[error("the account has {count} exports, more than the operator allows ({max})")]
    TooManyExports {
        /// Exports present.
        count: usize,
        /// The limit.
        max: i64,
    },
    /// A wildcard export while the operator forbids them.
    #[error("wildcard export `{0}` is not allowed by the operator")]
    WildcardExportNotAllowed(String),
    /// A plain signing key that is not an account public key.
    #[error("signing key `{0}` is not an account public key")]
    InvalidSigningKey(String),
    /// A scoped signing key that is not an account public key.
    #[error("scoped signing key `{0}` is not an account public key")]
    InvalidScopedSigningKey(String),
    /// A weighted mapping destination over 100 percent.
    #[error("mapping `{subject}` has a weight of {weight}, more than 100")]
    MappingWeight {
        /// The mapped subject.
        subject: String,
        /// The weight given.
        weight: u8,
    },
    /// The destinations of a mapping add up to more than 100 percent.
    #[error("the weights of mapping `{0}` add up to more than 100")]
    MappingTotalWeight(String),
    /// The destinations of a mapping for one cluster add up to more than 100 percent.
    #[error("the weights of mapping `{subject}` in cluster `{cluster}` add up to more than 100")]
    MappingClusterWeight {
        /// The mapped subject.
        subject: String,
        /// The cluster.
        cluster: String,
    },
    /// Auth callout allowed accounts without auth users.
    #[error("auth callout allowed accounts need auth users")]
    AllowedAccountsWithoutUsers,
    /// An auth callout user that is not a user public key.
    #[error("auth user `{0}` is not a user public key")]
    InvalidAuthUser(String),
    /// `*` among other allowed accounts.
    #[error("allowed accounts must be `*` alone or a list of account public keys")]
    AnyAccountNotAlone,
    /// An allowed account that is not an account public key.
    #[error("allowed account `{0}` is not an account public key")]
    InvalidAllowedAccount(String),
    /// The auth callout xkey is not a curve public key.
    #[error("xkey `{0}` is not a curve public key")]
    InvalidXkey(String),
    /// The trace destination is not a valid subject.
    #[error("trace destination: {0}")]
    TraceDestination(Box<ValidationError>),
    /// The trace destination has wildcards.
    #[error("trace destination `{0}` is not a valid publish subject")]
    TraceDestinationWildcard(String),
    /// Trace sampling outside 0..=100.
    #[error("trace sampling `{0}` must be between 1 and 100")]
    TraceSampling(i64),
    /// `cluster_traffic` is not `system`, `owner` or `account:<account public key>`.
    #[error("unknown cluster traffic option `{0}`")]
    InvalidClusterTraffic(String),

    // Operator (`validate/operator.rs`).
    /// An operator signing key that is not an operator public key.
    #[error("operator signing key `{0}` is not an operator public key")]
    InvalidOperatorSigningKey(String),
    /// The system account is not an account public key.
    #[error("system account `{0}` is not an account public key")]
    InvalidSystemAccount(String),
    /// `assert_server_version` is not `major.minor.patch`.
    #[error("asserted server version `{version}` is invalid: {reason}")]
    InvalidServerVersion {
        /// The version given.
        version: String,
        /// Why it was refused.
        reason: String,
    },
    /// The account server URL does not parse or has no scheme.
    #[error("invalid account server url `{url}`: {reason}")]
    InvalidAccountServerUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// An operator service URL does not parse.
    #[error("invalid operator service url `{url}`: {reason}")]
    InvalidServiceUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// An operator service URL with user credentials.
    #[error("operator service url `{0}` cannot carry credentials")]
    ServiceUrlCredentials(String),
    /// An operator service URL with a path.
    #[error("operator service url `{0}` cannot have a path")]
    ServiceUrlPath(String),
    /// An operator service URL whose scheme is not `nats`, `tls`, `ws` or `wss`.
    #[error("operator service url `{0}` must use nats, tls, ws or wss")]
    ServiceUrlScheme(String),

    // Auth callout (`validate/authorization.rs`).
    /// An authorization request without `user_nkey`.
    #[error("authorization request has no user nkey")]
    MissingUserNkey,
    /// An authorization request whose `user_nkey` is not a user public key.
    #[error("user nkey `{0}` is not a user public key")]
    InvalidUserNkey(String),
    /// An authorization response whose subject is not a user public key.
    #[error("authorization response subject `{0}` is not a user public key")]
    ResponseSubjectNotUser(String),
    /// An authorization response whose audience is not a server public key.
    #[error("authorization response audience `{0}` is not a server public key")]
    ResponseAudienceNotServer(String),
    /// An authorization response with neither a JWT nor an error.
    #[error("authorization response needs a jwt or an error")]
    ResponseEmpty,
    /// An authorization response with both a JWT and an error.
    #[error("authorization response cannot carry both a jwt and an error")]
    ResponseJwtAndError,

    // Scoped signing keys (`validate.rs`).
    /// A user checked against a scope was not signed by the scope's key.
    #[error("user issuer `{issuer}` is not the scoped signing key `{key}`")]
    NotScopedSigner {
        /// The user's issuer.
        issuer: String,
        /// The scoped signing key.
        key: String,
    },
    /// A user signed by a scoped key carries permissions or limits of its own.
    #[error("users of a scoped signing key cannot carry permissions or limits")]
    ScopedUserHasPermissions,
}
