//! The account JWT's size budget. Every revocation adds an entry to the tenant account's
//! JWT, and NATS decoders refuse a JWT over 1 MiB: a push that crossed that line would
//! leave the resolver holding the old JWT and the revoked keys connected. So every push
//! is measured first: over the budget (80% of 1 MiB unless configured) it is refused with
//! a clear reason, after the push has already dropped every entry whose JWTs all expired.
//! The headroom after each push is reported, for a metric.
//!
//! Pure: sizes and arithmetic only.

/// The size NATS decoders refuse a JWT above.
pub const JWT_SIZE_LIMIT: usize = 1024 * 1024;
/// The budget when none is configured: 80% of [`JWT_SIZE_LIMIT`].
pub const DEFAULT_JWT_BUDGET: usize = JWT_SIZE_LIMIT / 5 * 4;
/// The smallest budget accepted: an account JWT with a few imports is about 2 KiB.
pub const MIN_JWT_BUDGET: usize = 4 * 1024;

/// A push whose JWT would cross the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the account JWT would be {bytes} bytes, over its budget of {budget} bytes \
     ({revocations} revocations after pruning what expired)"
)]
pub struct OverBudget {
    /// The JWT's size with the new revocations.
    pub bytes: usize,
    /// The budget.
    pub budget: usize,
    /// Its revocation entries.
    pub revocations: usize,
}

/// Checks a re-signed account JWT of `bytes` with `revocations` entries against `budget`.
///
/// # Errors
/// [`OverBudget`] when it is larger.
pub fn check(bytes: usize, revocations: usize, budget: usize) -> Result<(), OverBudget> {
    if bytes > budget {
        return Err(OverBudget {
            bytes,
            budget,
            revocations,
        });
    }
    Ok(())
}

/// Bytes one revocation entry adds to a JWT, rounded up: `"U…":1796342400,` is 70
/// bytes of JSON (a 56-character key, two quotes, a colon, ten digits, a comma), and
/// base64url makes 4 of every 3.
pub const BYTES_PER_REVOCATION: usize = 70 * 4 / 3 + 1;

/// How many more revocations fit under `budget` in a JWT of `bytes`.
pub fn revocations_left(bytes: usize, budget: usize) -> usize {
    budget.saturating_sub(bytes) / BYTES_PER_REVOCATION
}

#[cfg(test)]
mod tests {
    use super::*;
    use claims::{AccountClaims, KeyPair};

    fn jwt_with(revocations: usize) -> usize {
        let operator = KeyPair::new_operator();
        let mut claims = AccountClaims::new_account(KeyPair::new_account().public_key());
        for _ in 0..revocations {
            claims
                .nats
                .revocations
                .insert(KeyPair::new_user().public_key(), 1_796_342_400);
        }
        claims.encode(&operator, 1_796_342_400).unwrap().len()
    }

    #[test]
    fn each_revocation_costs_what_the_estimate_says() {
        let (none, many) = (jwt_with(0), jwt_with(1000));
        let per_entry = (many - none) as f64 / 1000.0;
        assert!(
            (per_entry - BYTES_PER_REVOCATION as f64).abs() < 1.0,
            "{per_entry} bytes per entry"
        );
        // About 8,800 revocations fit in an empty account's default budget.
        let fit = revocations_left(none, DEFAULT_JWT_BUDGET);
        assert!((8_000..10_000).contains(&fit), "{fit}");
    }

    #[test]
    fn a_jwt_over_the_budget_is_refused_with_its_figures() {
        assert!(check(DEFAULT_JWT_BUDGET, 10, DEFAULT_JWT_BUDGET).is_ok());
        let over = check(DEFAULT_JWT_BUDGET + 1, 10, DEFAULT_JWT_BUDGET).unwrap_err();
        assert_eq!(over.bytes, DEFAULT_JWT_BUDGET + 1);
        assert!(over.to_string().contains("over its budget"));
        assert_eq!(DEFAULT_JWT_BUDGET, 838_860);
    }
}
