//! Export rules (Go `Export.Validate`, `Exports.Validate`, `ServiceLatency.Validate`) and
//! the description / info URL rules shared by exports and accounts (Go `Info.Validate`).
//!
//! Does not check the operator's export limits (count, wildcards): those are account
//! rules, in `account.rs`.

use std::collections::BTreeMap;

use super::go_url;
use super::subject::{check_subject, has_wildcards, is_contained_in};
use super::ValidationError;
use crate::account::{Export, ExportType};

/// The longest description or info URL Go accepts, in bytes (Go `MaxInfoLength`).
pub const MAX_INFO_LENGTH: usize = 8 * 1024;

/// Response types a service export may declare (empty means `Singleton`).
const RESPONSE_TYPES: [&str; 4] = ["", "Singleton", "Stream", "Chunked"];

/// Go's `Info.Validate`.
pub(crate) fn check_info(description: &str, info_url: &str, errors: &mut Vec<ValidationError>) {
    if description.len() > MAX_INFO_LENGTH {
        errors.push(ValidationError::DescriptionTooLong(description.len()));
    }
    if info_url.is_empty() {
        return;
    }
    if info_url.len() > MAX_INFO_LENGTH {
        errors.push(ValidationError::InfoUrlTooLong(info_url.len()));
    }
    let problem = match go_url::parse(info_url) {
        Ok(url) if url.hostname.is_empty() || url.scheme.is_empty() => {
            Some(String::from("no hostname or scheme"))
        }
        Ok(_) => None,
        Err(reason) => Some(reason),
    };
    if let Some(reason) = problem {
        errors.push(ValidationError::InvalidInfoUrl {
            url: info_url.to_owned(),
            reason,
        });
    }
}

/// Go's `Export.Validate`.
fn check_export(export: &Export, errors: &mut Vec<ValidationError>) {
    let subject = || export.subject.clone();
    let is_service = export.export_type == Some(ExportType::Service);
    let is_stream = export.export_type == Some(ExportType::Stream);
    if !is_service && !is_stream {
        errors.push(ValidationError::InvalidExportType(subject()));
    }
    let response_ok = if is_service {
        RESPONSE_TYPES.contains(&export.response_type.as_str())
    } else {
        !is_stream || export.response_type.is_empty()
    };
    if !response_ok {
        errors.push(ValidationError::InvalidResponseType {
            subject: subject(),
            response_type: export.response_type.clone(),
            kind: if is_service { "service" } else { "stream" },
        });
    }
    if is_stream && export.allow_trace {
        errors.push(ValidationError::ExportTraceNotService(subject()));
    }
    if let Some(latency) = &export.service_latency {
        if !is_service {
            errors.push(ValidationError::LatencyNotService(subject()));
        }
        // 0 is written as "headers": sample when the request carries tracing headers.
        let sampling = latency.sampling.0;
        if !(0..=100).contains(&sampling) {
            errors.push(ValidationError::LatencySampling {
                subject: subject(),
                sampling,
            });
        }
        check_subject(&latency.results, errors);
        if has_wildcards(&latency.results) {
            errors.push(ValidationError::LatencyResultsWildcard(
                latency.results.clone(),
            ));
        }
    }
    if export.response_threshold < 0 {
        errors.push(ValidationError::NegativeResponseThreshold(subject()));
    }
    if export.response_threshold > 0 && !is_service {
        errors.push(ValidationError::ThresholdNotService(subject()));
    }
    check_subject(&export.subject, errors);
    check_token_position(export, errors);
    check_info(&export.description, &export.info_url, errors);
}

/// `account_token_position` must point at a `*` token of a wildcard subject.
fn check_token_position(export: &Export, errors: &mut Vec<ValidationError>) {
    let position = export.account_token_position;
    if position == 0 {
        return;
    }
    if !has_wildcards(&export.subject) {
        errors.push(ValidationError::TokenPositionNoWildcard(
            export.subject.clone(),
        ));
        return;
    }
    let token = usize::try_from(position - 1)
        .ok()
        .and_then(|index| export.subject.split('.').nth(index));
    match token {
        None => errors.push(ValidationError::TokenPositionOutOfRange {
            subject: export.subject.clone(),
            position,
        }),
        Some("*") => {}
        Some(token) => errors.push(ValidationError::TokenPositionNotWildcard {
            subject: export.subject.clone(),
            position,
            token: token.to_owned(),
        }),
    }
}

/// Go's `Exports.Validate`: each export, then overlaps among services and among the rest.
pub(crate) fn check_exports(exports: &[Export], errors: &mut Vec<ValidationError>) {
    let mut services = Vec::new();
    let mut streams = Vec::new();
    for export in exports {
        if export.export_type == Some(ExportType::Service) {
            services.push(export.subject.as_str());
        } else {
            streams.push(export.subject.as_str());
        }
        check_export(export, errors);
    }
    check_overlaps("service", &services, errors);
    check_overlaps("stream", &streams, errors);
}

/// Go's `isContainedIn`: one error per subject that contains another export's subject,
/// naming the first one it contains.
fn check_overlaps(kind: &'static str, subjects: &[&str], errors: &mut Vec<ValidationError>) {
    let mut containers: BTreeMap<&str, &str> = BTreeMap::new();
    for (i, inner) in subjects.iter().enumerate() {
        for (j, outer) in subjects.iter().enumerate() {
            if i != j && is_contained_in(inner, outer) {
                containers.entry(outer).or_insert(inner);
            }
        }
    }
    for (subject, contained) in containers {
        errors.push(ValidationError::OverlappingExports {
            kind,
            subject: subject.to_owned(),
            contained: contained.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{SamplingRate, ServiceLatency};

    fn service(subject: &str) -> Export {
        Export {
            subject: subject.into(),
            export_type: Some(ExportType::Service),
            ..Default::default()
        }
    }

    fn stream(subject: &str) -> Export {
        Export {
            export_type: Some(ExportType::Stream),
            ..service(subject)
        }
    }

    fn errors_of(exports: &[Export]) -> Vec<ValidationError> {
        let mut errors = Vec::new();
        check_exports(exports, &mut errors);
        errors
    }

    #[test]
    fn good_exports_pass() {
        let mut svc = service("svc.*");
        svc.response_type = "Chunked".into();
        svc.response_threshold = 1;
        svc.allow_trace = true;
        svc.account_token_position = 2;
        svc.service_latency = Some(ServiceLatency {
            sampling: SamplingRate(0),
            results: "lat".into(),
        });
        svc.info_url = "https://example.com/docs".into();
        assert_eq!(errors_of(&[svc, stream("svc.a")]), vec![]);
    }

    #[test]
    fn invalid_export_type() {
        let export = Export {
            subject: "a".into(),
            ..Default::default()
        };
        assert!(matches!(
            errors_of(&[export]).as_slice(),
            [ValidationError::InvalidExportType(_)]
        ));
    }

    #[test]
    fn invalid_response_type() {
        let mut svc = service("a");
        svc.response_type = "Bogus".into();
        let mut st = stream("b");
        st.response_type = "Stream".into();
        assert!(matches!(
            errors_of(&[svc, st]).as_slice(),
            [
                ValidationError::InvalidResponseType {
                    kind: "service",
                    ..
                },
                ValidationError::InvalidResponseType { kind: "stream", .. }
            ]
        ));
    }

    #[test]
    fn service_only_features_on_a_stream() {
        let mut st = stream("a");
        st.allow_trace = true;
        st.response_threshold = 1;
        st.service_latency = Some(ServiceLatency {
            sampling: SamplingRate(50),
            results: "lat".into(),
        });
        assert!(matches!(
            errors_of(&[st]).as_slice(),
            [
                ValidationError::ExportTraceNotService(_),
                ValidationError::LatencyNotService(_),
                ValidationError::ThresholdNotService(_)
            ]
        ));
    }

    #[test]
    fn latency_rules() {
        let mut svc = service("a");
        svc.service_latency = Some(ServiceLatency {
            sampling: SamplingRate(101),
            results: "lat.*".into(),
        });
        assert!(matches!(
            errors_of(&[svc]).as_slice(),
            [
                ValidationError::LatencySampling { sampling: 101, .. },
                ValidationError::LatencyResultsWildcard(_)
            ]
        ));
    }

    #[test]
    fn negative_response_threshold() {
        let mut svc = service("a");
        svc.response_threshold = -1;
        assert!(matches!(
            errors_of(&[svc]).as_slice(),
            [ValidationError::NegativeResponseThreshold(_)]
        ));
    }

    #[test]
    fn account_token_position_rules() {
        let with_position = |subject: &str, position| {
            let mut st = stream(subject);
            st.account_token_position = position;
            errors_of(&[st])
        };
        assert!(matches!(
            with_position("a.b", 1).as_slice(),
            [ValidationError::TokenPositionNoWildcard(_)]
        ));
        assert!(matches!(
            with_position("a.*", 3).as_slice(),
            [ValidationError::TokenPositionOutOfRange { position: 3, .. }]
        ));
        assert!(matches!(
            with_position("a.*", 1).as_slice(),
            [ValidationError::TokenPositionNotWildcard { .. }]
        ));
    }

    #[test]
    fn overlapping_exports() {
        let errors = errors_of(&[service("a.>"), service("a.b"), stream("a.b"), stream("c")]);
        assert!(matches!(
            errors.as_slice(),
            [ValidationError::OverlappingExports {
                kind: "service",
                ..
            }]
        ));
        let twice = errors_of(&[stream("x"), stream("x")]);
        assert_eq!(twice.len(), 1);
    }

    #[test]
    fn info_rules() {
        let mut errors = Vec::new();
        let long = "d".repeat(MAX_INFO_LENGTH + 1);
        check_info(&long, &format!("https://x/{long}"), &mut errors);
        check_info("", "example.com/docs", &mut errors);
        check_info("", "://bad", &mut errors);
        assert!(matches!(
            errors.as_slice(),
            [
                ValidationError::DescriptionTooLong(_),
                ValidationError::InfoUrlTooLong(_),
                ValidationError::InvalidInfoUrl { .. },
                ValidationError::InvalidInfoUrl { .. }
            ]
        ));
    }

    #[test]
    fn display_texts_are_pinned() {
        let a = || String::from("a.*");
        let cases = [
            (
                ValidationError::InvalidExportType(a()),
                "export `a.*` must be a stream or a service",
            ),
            (
                ValidationError::InvalidResponseType {
                    subject: a(),
                    response_type: "Bogus".into(),
                    kind: "service",
                },
                "invalid response type `Bogus` for service export `a.*`",
            ),
            (
                ValidationError::ExportTraceNotService(a()),
                "allow_trace is only valid on service exports (export `a.*`)",
            ),
            (
                ValidationError::LatencyNotService(a()),
                "latency tracking is only valid on service exports (export `a.*`)",
            ),
            (
                ValidationError::LatencySampling {
                    subject: a(),
                    sampling: 101,
                },
                "latency sampling `101` of export `a.*` must be between 1 and 100",
            ),
            (
                ValidationError::LatencyResultsWildcard(a()),
                "latency results subject `a.*` cannot contain wildcards",
            ),
            (
                ValidationError::NegativeResponseThreshold(a()),
                "response threshold of export `a.*` cannot be negative",
            ),
            (
                ValidationError::ThresholdNotService(a()),
                "response threshold is only valid on service exports (export `a.*`)",
            ),
            (
                ValidationError::TokenPositionNoWildcard("a".into()),
                "account token position needs a wildcard subject (export `a`)",
            ),
            (
                ValidationError::TokenPositionOutOfRange {
                    subject: a(),
                    position: 3,
                },
                "account token position 3 exceeds the length of subject `a.*`",
            ),
            (
                ValidationError::TokenPositionNotWildcard {
                    subject: a(),
                    position: 1,
                    token: "a".into(),
                },
                "account token position 1 of `a.*` is `a`, not `*`",
            ),
            (
                ValidationError::OverlappingExports {
                    kind: "stream",
                    subject: a(),
                    contained: "a.b".into(),
                },
                "stream export subject `a.*` already exports `a.b`",
            ),
            (
                ValidationError::DescriptionTooLong(9000),
                "description is too long (9000 bytes)",
            ),
            (
                ValidationError::InfoUrlTooLong(9000),
                "info url is too long (9000 bytes)",
            ),
            (
                ValidationError::InvalidInfoUrl {
                    url: "x".into(),
                    reason: "no hostname or scheme".into(),
                },
                "invalid info url `x`: no hostname or scheme",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}
