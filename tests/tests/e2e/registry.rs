//! The registry in JetStream KV (issue 7): races between two provisioner replicas for a
//! name, a single-use invite and the last quota slot; revocation pushed to the resolver
//! with pruning and the account JWT's size budget; a person's every key (renewals, another
//! device, an auth callout connection) revoked, closed and pruned in one call; the tenant
//! admin endpoints and their tenant isolation; invites, renewal and revoked names; and a
//! three-server cluster losing a server during issuance.
//!
//! Helpers here: an estate with JetStream, a policy with per-tenant additions, the
//! provisioner started with the registry, and request/admin calls returning
//! `(status, JSON)`.

mod admin;
mod budget;
mod cluster;
mod limits;
mod paging;
mod races;
mod revocation;
mod revoke_person;

use std::path::PathBuf;

use async_nats::Client;
use claims::KeyPair;
use integration_tests::{ProductEstate, ProductProcess, STEP};
use nsc_setup::ResolverKind;
use serde_json::Value;

/// The estate's credential request subject.
pub const SUBJECT: &str = "creds.request";
/// The admin endpoints' prefix.
pub const ADMIN: &str = "creds.admin";

/// An `nsc-setup` estate for `acme` and `globex` with JetStream.
pub fn estate(resolver: ResolverKind) -> ProductEstate {
    ProductEstate::start(&["acme", "globex"], resolver, true).unwrap()
}

/// Writes the estate's `policy.toml` with `extra` lines added to the named tenants'
/// blocks (after `names.unique = true`); `renewal_for` tenants' users may also publish
/// the request subject (so that they can renew). Returns the new file's path.
pub fn policy(estate: &ProductEstate, extra: &[(&str, &str)], renewal_for: &[&str]) -> PathBuf {
    let text = std::fs::read_to_string(estate.written.dir.join("policy.toml")).unwrap();
    let mut blocks: Vec<String> = text.split("\n[[tenants]]\n").map(str::to_owned).collect();
    for block in blocks.iter_mut().skip(1) {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap()
            .to_owned();
        for (tenant, lines) in extra {
            if *tenant == name {
                *block = block.replacen(
                    "names.unique = true\n",
                    &format!("names.unique = true\n{lines}"),
                    1,
                );
            }
        }
        if renewal_for.contains(&name.as_str()) {
            *block = block
                .replacen(
                    "extra_prefixes = [",
                    "extra_prefixes = [\"creds.request\", ",
                    1,
                )
                .replacen(
                    "permissions.pub.allow = [",
                    "permissions.pub.allow = [\"creds.request\", ",
                    1,
                );
        }
    }
    let path = estate.written.dir.join("policy-registry.toml");
    std::fs::write(&path, blocks.join("\n[[tenants]]\n")).unwrap();
    path
}

/// Starts `provisioner serve` with the registry and `policy`, plus `extra` flags.
pub fn provisioner(
    estate: &ProductEstate,
    label: &str,
    policy: &std::path::Path,
    extra: &[&str],
) -> ProductProcess {
    let policy = policy.display().to_string();
    let mut args = vec!["--registry", "--policy", policy.as_str()];
    args.extend_from_slice(extra);
    estate.start_provisioner(label, &args).unwrap()
}

/// A request for `name` by `user`, with a v2 proof (binding the token too).
pub fn proven(user: &KeyPair, name: &str, tenant: Option<&str>, token: Option<&str>) -> Value {
    crate::proven::proven_with(user, name, tenant, |r| r.token = token.map(String::from))
}

/// Sends `payload` on `subject`; returns (status or 200, body).
pub async fn call(client: &Client, subject: &str, payload: &Value) -> (u16, Value) {
    let reply = tokio::time::timeout(
        STEP,
        client.request(subject.to_owned(), payload.to_string().into()),
    )
    .await
    .expect("no reply in time")
    .expect("request failed");
    let status = reply
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Service-Error-Code"))
        .map(|v| v.as_str().parse().unwrap())
        .unwrap_or(200);
    let body = serde_json::from_slice(&reply.payload).unwrap_or(Value::Null);
    (status, body)
}

/// A credential request.
pub async fn ask(client: &Client, payload: &Value) -> (u16, Value) {
    call(client, SUBJECT, payload).await
}

/// An admin call: `op` is `users.list`, `invites.create`, ….
pub async fn admin(client: &Client, op: &str, body: Value) -> (u16, Value) {
    call(client, &format!("{ADMIN}.{op}"), &body).await
}

/// The error code of a reply.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

/// An AUTH user that may publish the request subject: its requests cross no import, so
/// only an invite (or nothing) identifies them.
pub fn insider(estate: &ProductEstate) -> String {
    estate
        .extra_user("AUTH", "insider", |u| {
            u.nats.permissions.publish.allow = vec![SUBJECT.into(), format!("{ADMIN}.>")];
            u.nats.permissions.subscribe.allow = vec!["_INBOX.>".into()];
        })
        .unwrap()
}

/// Mints `name` for a new key through `client` (a tenant's bootstrap) and returns the
/// key and the creds file text.
pub async fn mint(client: &Client, name: &str) -> (KeyPair, String) {
    let user = KeyPair::new_user();
    let (status, body) = ask(client, &proven(&user, name, None, None)).await;
    assert_eq!(status, 200, "minting {name}: {body}");
    let jwt = body["jwt"].as_str().unwrap().to_owned();
    let creds = claims::format_creds(&jwt, &user.seed().unwrap());
    (user, creds)
}
