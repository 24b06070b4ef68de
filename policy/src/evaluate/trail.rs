//! The record of one evaluation: each rule's step as it runs, and the refusal a failed
//! step denies with.

use crate::decision::{Deny, DenyCode, Step, StepOutcome};
use crate::template::SubstitutionError;

/// A deny in the making.
#[derive(Debug)]
pub(crate) struct Refusal {
    code: DenyCode,
    reason: String,
}

/// The steps recorded so far.
#[derive(Debug, Default)]
pub(crate) struct Trail {
    steps: Vec<Step>,
}

impl Trail {
    fn record(&mut self, rule: &'static str, outcome: StepOutcome, note: impl Into<String>) {
        self.steps.push(Step {
            rule,
            outcome,
            note: note.into(),
        });
    }

    pub(crate) fn pass(&mut self, rule: &'static str, note: impl Into<String>) {
        self.record(rule, StepOutcome::Passed, note);
    }

    pub(crate) fn skip(&mut self, rule: &'static str, note: impl Into<String>) {
        self.record(rule, StepOutcome::Skipped, note);
    }

    /// Records a failed step and returns the refusal to deny with. The note names the
    /// policy place; the reason is for the caller.
    pub(crate) fn fail(
        &mut self,
        rule: &'static str,
        note: impl Into<String>,
        code: DenyCode,
        reason: String,
    ) -> Refusal {
        let note = format!("{}: {reason}", note.into());
        self.record(rule, StepOutcome::Failed, note);
        Refusal { code, reason }
    }

    /// The steps, for callers that deny before `evaluate` runs.
    pub(crate) fn into_steps(self) -> Vec<Step> {
        self.steps
    }
}

impl Refusal {
    pub(crate) fn into_deny(self, explanation: Vec<Step>) -> Deny {
        Deny {
            code: self.code,
            reason: self.reason,
            explanation,
        }
    }
}

/// The refusal for a template that could not be filled in.
pub(crate) fn refuse_substitution(
    err: SubstitutionError,
    rule: &'static str,
    note: String,
    trail: &mut Trail,
) -> Refusal {
    let code = match err {
        SubstitutionError::MissingTag { .. } | SubstitutionError::AmbiguousTag { .. } => {
            DenyCode::CallerTagMissing
        }
        SubstitutionError::Unsafe { .. } => DenyCode::SubjectUnsafe,
    };
    trail.fail(rule, note, code, err.to_string())
}
