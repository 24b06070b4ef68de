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

/// The error and its causes on one line, `outer: cause: root`, leaving out a cause whose
/// text the line already holds (several libraries repeat their source in their own
/// message, which would print `Connection refused: Connection refused`).
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_repeated_in_its_wrapper_is_printed_once() {
        let io = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
        );
        let err = anyhow::Error::new(io)
            .context("IO error: Connection refused (os error 111)")
            .context("connecting to `nats://127.0.0.1:1`");
        assert_eq!(
            error_line(&err),
            "connecting to `nats://127.0.0.1:1`: IO error: Connection refused (os error 111)"
        );
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let err = anyhow::anyhow!("root cause")
            .context("middle")
            .context("outer");
        assert_eq!(error_line(&err), "outer: middle: root cause");
    }
}
