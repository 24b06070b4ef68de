//! Credential requests as a correct client makes them: a fresh nonce, the time now, and
//! a v2 proof by the key asked for, which binds every field (change one afterwards and
//! the proof fails).

use claims::KeyPair;
use provisioner::proof::prove;
use provisioner::wire::CredentialRequest;
use serde_json::Value;

/// A correct request for `name`, proven by `user` with a v2 proof (which binds every
/// field: change one afterwards and the proof fails).
pub(crate) fn proven(user: &KeyPair, name: &str, tenant: Option<&str>) -> Value {
    proven_with(user, name, tenant, |_| {})
}

/// As [`proven`], with `edit` made to the request before it is proven.
pub(crate) fn proven_with(
    user: &KeyPair,
    name: &str,
    tenant: Option<&str>,
    edit: impl FnOnce(&mut CredentialRequest),
) -> Value {
    let mut req = CredentialRequest {
        name: name.to_owned(),
        public_key: user.public_key(),
        ts: integration_tests::unix_now(),
        nonce: nuid::next().to_string(),
        proof: String::new(),
        tenant: tenant.map(String::from),
        token: None,
        ttl: None,
        tags: None,
        id_token: None,
        proof_version: None,
    };
    edit(&mut req);
    prove(user, &mut req).unwrap();
    serde_json::to_value(&req).unwrap()
}
