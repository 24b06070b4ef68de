//! The checks a merged configuration must pass before anything connects: ranges,
//! literal subjects, options that go together, and a policy (or the seed's flags).

use registry::budget::{JWT_SIZE_LIMIT, MIN_JWT_BUDGET};
use registry::{MAX_REPLICAS, MAX_USER_GRACE_SECS};

/// The longest the issuance history may be kept: ten years.
const MAX_HISTORY_AGE_SECS: u64 = 10 * 365 * 24 * 60 * 60;

use crate::config::defaults::{MAX_BUCKET_PREFIX_LEN, MAX_PROOF_WINDOW_SECS};
use crate::config::error::ConfigError;
use crate::config::serve_config::ServeConfig;

impl ServeConfig {
    /// Checks ranges and combinations.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first problem.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |s: String| Err(ConfigError::Invalid(s));
        if self.max_in_flight == 0 {
            return invalid(String::from("max_in_flight must be at least 1"));
        }
        if self.request_timeout.is_zero() {
            return invalid(String::from("request_timeout_ms must be at least 1"));
        }
        if !(1..=MAX_PROOF_WINDOW_SECS).contains(&self.proof_window_secs) {
            return invalid(format!(
                "proof_window_secs must be 1 to {MAX_PROOF_WINDOW_SECS}, not {}",
                self.proof_window_secs
            ));
        }
        if self.subject.is_empty() || self.subject.contains([' ', '\t', '*', '>']) {
            return invalid(format!(
                "subject `{}` must be a literal subject",
                self.subject
            ));
        }
        if self.creds.is_some() && self.nkey.is_some() {
            return invalid(String::from(
                "creds and nkey are two ways to connect: give one",
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return invalid(String::from("tls_cert and tls_key go together"));
        }
        if let Some(registry) = &self.registry {
            if !(1..=MAX_REPLICAS).contains(&registry.replicas) {
                return invalid(format!(
                    "registry_replicas must be 1 to {MAX_REPLICAS}, not {}",
                    registry.replicas
                ));
            }
            let prefix = &registry.bucket_prefix;
            if prefix.len() > MAX_BUCKET_PREFIX_LEN
                || !prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return invalid(format!(
                    "registry_bucket_prefix `{prefix}` may hold at most {MAX_BUCKET_PREFIX_LEN} of A-Za-z0-9_-"
                ));
            }
            if registry.user_grace_secs > MAX_USER_GRACE_SECS {
                return invalid(format!(
                    "registry_user_grace_secs must be 0 to {MAX_USER_GRACE_SECS}, not {}",
                    registry.user_grace_secs
                ));
            }
        }
        if self
            .history_max_age
            .is_some_and(|age| age.as_secs() > MAX_HISTORY_AGE_SECS)
        {
            return invalid(format!(
                "history_max_age_secs must be 0 to {MAX_HISTORY_AGE_SECS} (ten years)"
            ));
        }
        if self.history_max_age.is_some() && self.registry.is_none() {
            return invalid(String::from(
                "history_max_age_secs needs the registry (--registry)",
            ));
        }
        let budget = self.account_jwt_budget;
        if !(MIN_JWT_BUDGET..=JWT_SIZE_LIMIT).contains(&budget) {
            return invalid(format!(
                "account_jwt_budget_bytes must be {MIN_JWT_BUDGET} to {JWT_SIZE_LIMIT}, not {budget}"
            ));
        }
        if self.revocation.is_some() && self.registry.is_none() {
            return invalid(String::from(
                "operator_signing_key and sys_creds need the registry (--registry)",
            ));
        }
        let admin = &self.admin_subject_prefix;
        let literal = !admin.is_empty()
            && admin
                .split('.')
                .all(|t| !t.is_empty() && !t.contains([' ', '\t', '*', '>']));
        if !literal {
            return invalid(format!(
                "admin_subject_prefix `{admin}` must be a literal subject"
            ));
        }
        if self.subject == *admin || self.subject.starts_with(&format!("{admin}.")) {
            return invalid(format!(
                "subject `{}` lies under admin_subject_prefix `{admin}`",
                self.subject
            ));
        }
        if self.policy.is_none() && (self.signing_key.is_none() || self.account_jwts.len() != 1) {
            return invalid(String::from(
                "no policy: give --policy FILE, or the seed's --acc ACCOUNT.jwt and --sk SIGNING.nk",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::config::{ServeArgs, ServeConfig};

    fn window(secs: i64) -> Result<ServeConfig, crate::config::ConfigError> {
        ServeConfig::resolve(&ServeArgs {
            policy: Some(PathBuf::from("policy.toml")),
            proof_window_secs: Some(secs),
            ..Default::default()
        })
    }

    #[test]
    fn the_proof_window_is_bounded() {
        assert_eq!(window(1).unwrap().proof_window_secs, 1);
        assert_eq!(window(3_600).unwrap().proof_window_secs, 3_600);
        for bad in [0, -1, 3_601, i64::MAX / 2 + 1, i64::MAX, i64::MIN] {
            let err = window(bad).unwrap_err().to_string();
            assert!(
                err.contains("proof_window_secs must be 1 to 3600"),
                "{bad}: {err}"
            );
        }
    }
}
