//! What a revocation push tells operators about the tenant account JWT's size budget
//! (`registry::budget`): its size and headroom as gauges after every push, and a push
//! refused for crossing the budget as a counter and an error log line meant to page
//! someone, since the revoked keys stay connected until their JWTs expire.

use registry::budget::{revocations_left, OverBudget};

/// The tenant account JWT's size after the last push, bytes, by `tenant`.
pub const ACCOUNT_JWT_BYTES: &str = "provisioner_account_jwt_bytes";
/// Bytes left under the budget after the last push, by `tenant`.
pub const ACCOUNT_JWT_HEADROOM_BYTES: &str = "provisioner_account_jwt_headroom_bytes";
/// Revocation pushes refused for crossing the budget, by `tenant`.
pub const PUSHES_OVER_BUDGET_TOTAL: &str = "provisioner_revocation_pushes_over_budget_total";

/// Records the JWT's size after a push.
pub fn pushed(tenant: &str, jwt_bytes: usize, budget: usize) {
    let label = [("tenant", tenant.to_owned())];
    metrics::gauge!(ACCOUNT_JWT_BYTES, &label).set(as_f64(jwt_bytes));
    metrics::gauge!(ACCOUNT_JWT_HEADROOM_BYTES, &label)
        .set(as_f64(budget.saturating_sub(jwt_bytes)));
    let left = revocations_left(jwt_bytes, budget);
    if left < 100 {
        tracing::warn!(
            tenant,
            jwt_bytes,
            budget,
            revocations_left = left,
            "the tenant account JWT is close to its size budget"
        );
    }
}

/// Records a push refused for its size, loudly.
pub fn refused(tenant: &str, over: &OverBudget) {
    metrics::counter!(PUSHES_OVER_BUDGET_TOTAL, "tenant" => tenant.to_owned()).increment(1);
    tracing::error!(
        tenant,
        jwt_bytes = over.bytes,
        budget = over.budget,
        revocations = over.revocations,
        "ALERT: revocation not pushed: the tenant account JWT would cross its size budget; \
         the revoked keys stay valid until their JWTs expire. Shorten credential lifetimes \
         (fewer unexpired revocations) or raise account_jwt_budget_bytes (at most 1 MiB)"
    );
}

fn as_f64(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}
