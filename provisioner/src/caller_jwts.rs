//! A memo of caller JWTs whose signature was verified: the same user (a tenant's
//! bootstrap or admin, a portal session) asks again and again with the same JWT in
//! `Nats-Request-Info`, and checking its Ed25519 signature each time is a third of the
//! work of a request. The memo is keyed by the whole JWT text, so it only ever answers
//! for the exact bytes that were verified; what can change between requests (expiry,
//! which keys may issue the account's users after a reload) is checked by the caller
//! every time (`identify`). Bounded: when full it is emptied and fills again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use claims::{ClaimsError, UserClaims};

/// Verified JWTs kept at most.
pub const CALLER_JWTS_KEPT: usize = 4_096;

/// Caller JWTs whose signature and form were verified.
#[derive(Debug)]
pub struct CallerJwts {
    verified: Mutex<HashMap<String, Arc<UserClaims>>>,
    capacity: usize,
}

impl Default for CallerJwts {
    fn default() -> Self {
        CallerJwts::with_capacity(CALLER_JWTS_KEPT)
    }
}

impl CallerJwts {
    /// A memo keeping at most `capacity` JWTs.
    pub fn with_capacity(capacity: usize) -> Self {
        CallerJwts {
            verified: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The claims of user JWT `jwt`, verified (signature, form) once and then recalled.
    ///
    /// # Errors
    /// The decoding error of a JWT that does not verify (never remembered).
    pub fn decode(&self, jwt: &str) -> Result<Arc<UserClaims>, ClaimsError> {
        if let Some(hit) = self.lock().get(jwt) {
            return Ok(Arc::clone(hit));
        }
        let claims = Arc::new(UserClaims::decode(jwt)?);
        let mut verified = self.lock();
        if verified.len() >= self.capacity {
            verified.clear();
        }
        verified.insert(jwt.to_owned(), Arc::clone(&claims));
        Ok(claims)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<UserClaims>>> {
        // A panic while holding the lock leaves a map of verified entries: still sound.
        self.verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use claims::KeyPair;

    use super::*;

    fn jwt(account: &KeyPair, name: &str) -> String {
        let mut claims = UserClaims::new_user(KeyPair::new_user().public_key());
        claims.name = name.to_owned();
        claims.encode(account, 100).unwrap()
    }

    #[test]
    fn only_the_exact_verified_text_is_recalled_and_the_memo_is_bounded() {
        let account = KeyPair::new_account();
        let memo = CallerJwts::with_capacity(2);
        let good = jwt(&account, "alice");
        assert_eq!(memo.decode(&good).unwrap().name, "alice");
        assert_eq!(memo.decode(&good).unwrap().name, "alice");
        // The same signature over an altered payload is not a hit, and does not verify.
        let mut parts: Vec<&str> = good.split('.').collect();
        let other = jwt(&account, "mallory");
        parts[1] = other.split('.').nth(1).unwrap();
        assert!(memo.decode(&parts.join(".")).is_err());
        memo.decode(&jwt(&account, "b")).unwrap();
        memo.decode(&jwt(&account, "c")).unwrap();
        assert!(memo.lock().len() <= 2);
    }
}
