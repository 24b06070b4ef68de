//! Message routing settings of an account (Go `Mapping.Validate`, the trace part of
//! `Account.Validate`, `ClusterTraffic.Valid`): weighted subject mappings, the message
//! trace destination and sampling, and the cluster traffic option.
//!
//! Does not check that mapping destinations exist or that the traced subjects are
//! exported; the server resolves those.

use std::collections::BTreeMap;

use super::subject::{check_subject, has_wildcards};
use super::ValidationError;
use crate::account::{MsgTrace, WeightedMapping};
use crate::nkey_check::is_public_key;
use crate::nkey_kind::KeyKind;

/// The most a weight or a sum of weights may be, in percent.
const FULL_WEIGHT: u8 = 100;

/// Go's `Mapping.Validate`. Sums wrap at 256 as Go's `uint8` arithmetic does.
pub(crate) fn check_mappings(
    mappings: &BTreeMap<String, Vec<WeightedMapping>>,
    errors: &mut Vec<ValidationError>,
) {
    for (from, destinations) in mappings {
        check_subject(from, errors);
        let mut per_cluster: BTreeMap<&str, u8> = BTreeMap::new();
        let mut total: u8 = 0;
        for destination in destinations {
            check_subject(&destination.subject, errors);
            if destination.weight > FULL_WEIGHT {
                errors.push(ValidationError::MappingWeight {
                    subject: from.clone(),
                    weight: destination.weight,
                });
            }
            if destination.cluster.is_empty() {
                // A weight of 0 means the whole traffic.
                let weight = match destination.weight {
                    0 => FULL_WEIGHT,
                    w => w,
                };
                total = total.wrapping_add(weight);
            } else {
                let sum = per_cluster.entry(&destination.cluster).or_default();
                *sum = sum.wrapping_add(destination.weight);
                if *sum > FULL_WEIGHT {
                    errors.push(ValidationError::MappingClusterWeight {
                        subject: from.clone(),
                        cluster: destination.cluster.clone(),
                    });
                }
            }
        }
        if total > FULL_WEIGHT {
            errors.push(ValidationError::MappingTotalWeight(from.clone()));
        }
    }
}

/// The trace destination must be a publishable subject; sampling 0 (meaning 100) to 100.
pub(crate) fn check_trace(trace: &MsgTrace, errors: &mut Vec<ValidationError>) {
    let mut subject_errors = Vec::new();
    check_subject(&trace.dest, &mut subject_errors);
    // Go keeps only the first subject problem.
    if let Some(first) = subject_errors.into_iter().next() {
        errors.push(ValidationError::TraceDestination(Box::new(first)));
    }
    if has_wildcards(&trace.dest) {
        errors.push(ValidationError::TraceDestinationWildcard(
            trace.dest.clone(),
        ));
    }
    if !(0..=100).contains(&trace.sampling) {
        errors.push(ValidationError::TraceSampling(trace.sampling));
    }
}

/// Go's `ClusterTraffic.Valid`: empty, `system`, `owner` or `account:<account key>`.
pub(crate) fn check_cluster_traffic(value: &str, errors: &mut Vec<ValidationError>) {
    let ok = match value {
        "" | "system" | "owner" => true,
        other => other
            .strip_prefix("account:")
            .is_some_and(|key| is_public_key(key, KeyKind::Account)),
    };
    if !ok {
        errors.push(ValidationError::InvalidClusterTraffic(value.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping_errors(mappings: &[(&str, Vec<WeightedMapping>)]) -> Vec<ValidationError> {
        let map = mappings
            .iter()
            .map(|(from, to)| (String::from(*from), to.clone()))
            .collect();
        let mut errors = Vec::new();
        check_mappings(&map, &mut errors);
        errors
    }

    fn trace(dest: &str, sampling: i64) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        check_trace(
            &MsgTrace {
                dest: dest.into(),
                sampling,
            },
            &mut errors,
        );
        errors
    }

    fn traffic(value: &str) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        check_cluster_traffic(value, &mut errors);
        errors
    }

    #[test]
    fn mapping_weights() {
        let to = |weight: u8, cluster: &str| WeightedMapping {
            subject: "x".into(),
            weight,
            cluster: cluster.into(),
        };
        let errors = mapping_errors(&[
            ("m.a", vec![to(150, "")]),
            ("m.b", vec![to(60, ""), to(0, "")]),
            ("m.c", vec![to(70, "c1"), to(40, "c1")]),
            ("m.d", vec![to(50, ""), to(50, ""), to(0, "c1")]),
            ("m..e", vec![to(0, "")]),
        ]);
        assert!(matches!(
            errors.as_slice(),
            [
                // `m..e` sorts first.
                ValidationError::SubjectConsecutiveDots(_),
                ValidationError::MappingWeight { weight: 150, .. },
                ValidationError::MappingTotalWeight(_),
                ValidationError::MappingTotalWeight(_),
                ValidationError::MappingClusterWeight { .. }
            ]
        ));
    }

    #[test]
    fn trace_settings() {
        assert_eq!(trace("trace.dest", 0), vec![]);
        assert!(matches!(
            trace("trace.*", 150).as_slice(),
            [
                ValidationError::TraceDestinationWildcard(_),
                ValidationError::TraceSampling(150)
            ]
        ));
        assert!(matches!(
            trace("a..b c", 1).as_slice(),
            [ValidationError::TraceDestination(first)]
                if matches!(**first, ValidationError::SubjectSpaces(_))
        ));
    }

    #[test]
    fn cluster_traffic_options() {
        let key = crate::KeyPair::new_account().public_key();
        for ok in ["", "system", "owner", &format!("account:{key}")] {
            assert_eq!(traffic(ok), vec![], "{ok}");
        }
        for bad in ["bogus", "account:", "account:UABC"] {
            assert!(matches!(
                traffic(bad).as_slice(),
                [ValidationError::InvalidClusterTraffic(_)]
            ));
        }
    }

    #[test]
    fn display_texts_are_pinned() {
        let cases = [
            (
                ValidationError::MappingWeight {
                    subject: "m".into(),
                    weight: 150,
                },
                "mapping `m` has a weight of 150, more than 100",
            ),
            (
                ValidationError::MappingTotalWeight("m".into()),
                "the weights of mapping `m` add up to more than 100",
            ),
            (
                ValidationError::MappingClusterWeight {
                    subject: "m".into(),
                    cluster: "c1".into(),
                },
                "the weights of mapping `m` in cluster `c1` add up to more than 100",
            ),
            (
                ValidationError::TraceDestination(Box::new(ValidationError::EmptySubject)),
                "trace destination: subject cannot be empty",
            ),
            (
                ValidationError::TraceDestinationWildcard("t.*".into()),
                "trace destination `t.*` is not a valid publish subject",
            ),
            (
                ValidationError::TraceSampling(150),
                "trace sampling `150` must be between 1 and 100",
            ),
            (
                ValidationError::InvalidClusterTraffic("bogus".into()),
                "unknown cluster traffic option `bogus`",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
