//! Process exit codes shared by every subcommand.

use std::process::ExitCode;

/// How a subcommand ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success.
    Ok,
    /// A runtime error, or an invalid token for `inspect`.
    Error,
    /// The policy denied the request.
    Denied,
    /// Invalid configuration or usage (sysexits `EX_USAGE`).
    BadConfig,
}

impl Outcome {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Error => 1,
            Outcome::Denied => 2,
            Outcome::BadConfig => 64,
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(outcome.code())
    }
}
