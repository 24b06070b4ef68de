//! Per-service isolation (issue 24, point 6) on an estate made by
//! `nsc-setup init --service storage:sto1 --service compute:sto1`, checked against a real
//! nats-server: each agent identity reaches only its own service's subjects, queues and
//! KV bucket, the service admin only its admin subtree, and tenants never the admin
//! subtree. Every refusal asserted here is the server's (a permissions violation on the
//! connection's async errors, or no responders), not the product's code.
//!
//! - [`subjects`]: subscriptions, answers and the admin subtree;
//! - [`buckets`]: the agents' KV buckets;
//! - [`queued`]: queued requests, the site's pull consumer on its service's stream.

mod buckets;
mod queued;
mod subjects;

use std::time::Duration;

use async_nats::{Message, Subscriber};
use futures::{FutureExt as _, StreamExt as _};
use integration_tests::{connect_with_creds, mint_user, NatsServer, WatchedClient};
use nsc_setup::{
    InitExtras, InitOptions, Layout, ResolverKind, ServerSettings, ServiceSpec, Written,
};
use tempfile::TempDir;

/// Upper bound for waiting on one message.
const WAIT: Duration = Duration::from_secs(10);

/// An isolated estate (tenants acme and globex; services storage and compute at site
/// sto1) and a server running its `server.conf`, with JetStream.
struct Isolated {
    _dir: TempDir,
    written: Written,
    server: NatsServer,
}

impl Isolated {
    fn start() -> Isolated {
        let dir = tempfile::tempdir().unwrap();
        let options = InitOptions {
            dir: dir.path().join("estate"),
            operator: String::from("OP"),
            tenants: vec![String::from("acme"), String::from("globex")],
            scoped_keys: false,
            server: ServerSettings {
                resolver: ResolverKind::Full,
                host: String::from("127.0.0.1"),
                port: 4222,
                jetstream: true,
            },
            force: false,
            callout: false,
        };
        let services: Vec<ServiceSpec> = ["storage:sto1", "compute:sto1"]
            .iter()
            .map(|s| ServiceSpec::parse(s).unwrap())
            .collect();
        let written =
            nsc_setup::init_services(&options, &InitExtras::default(), &services).unwrap();
        let config = std::fs::read_to_string(written.dir.join("server.conf")).unwrap();
        let server = NatsServer::start(&config).unwrap();
        Isolated {
            _dir: dir,
            written,
            server,
        }
    }

    /// Connects as SERVICES user `user` with the creds file `init` wrote (and its
    /// private inbox prefix, `_INBOX.<user>`).
    async fn service_user(&self, user: &str) -> WatchedClient {
        let path = Layout::new(&self.written.dir)
            .key_store()
            .creds_path("OP", "SERVICES", user);
        let creds = std::fs::read_to_string(path).unwrap();
        connect_with_creds(&self.server.client_url(), &creds)
            .await
            .unwrap()
    }

    /// A user of tenant acme minted with its signing key, as the provisioner would:
    /// [`Isolated::tenant_user_of`].
    async fn tenant_user(&self, name: &str) -> WatchedClient {
        self.tenant_user_of("acme", name).await
    }

    /// A user of `tenant` minted with its signing key, with the permissions the
    /// estate's `policy.toml` gives the tenant's minted users (every `svc.` and `svcq.`
    /// subject: its account's imports decide what arrives).
    async fn tenant_user_of(&self, tenant: &str, name: &str) -> WatchedClient {
        let account = self.written.estate.account(tenant).unwrap();
        let key = account.minted_user_key().unwrap();
        let publish = self.policy_allow(tenant, "pub", name);
        let subscribe = self.policy_allow(tenant, "sub", name);
        let user = mint_user(key, account.public_key(), name, |u| {
            let p = &mut u.nats.permissions;
            p.publish.allow = publish;
            p.subscribe.allow = subscribe;
        })
        .unwrap();
        connect_with_creds(&self.server.client_url(), &user.creds)
            .await
            .unwrap()
    }

    /// `permissions.<kind>.allow` of `tenant`'s block in `policy.toml`, for user `name`.
    fn policy_allow(&self, tenant: &str, kind: &str, name: &str) -> Vec<String> {
        let text = std::fs::read_to_string(self.written.dir.join("policy.toml")).unwrap();
        let block = text
            .split("\n[[tenants]]\n")
            .find(|b| b.starts_with(&format!("name = \"{tenant}\"\n")))
            .unwrap();
        let key = format!("permissions.{kind}.allow = ");
        let list = block.lines().find_map(|l| l.strip_prefix(&key)).unwrap();
        // A TOML array of basic strings without escapes is a JSON array.
        let list: Vec<String> = serde_json::from_str(list).unwrap();
        list.iter().map(|s| s.replace("{name}", name)).collect()
    }
}

/// The next message of `sub`, within [`WAIT`].
async fn next(sub: &mut Subscriber) -> Message {
    tokio::time::timeout(WAIT, sub.next())
        .await
        .expect("a message within the deadline")
        .expect("the subscription is open")
}

/// Whether `sub` holds a message already delivered to its connection. Call it after a
/// later message on the same connection has arrived: the connection hands messages to
/// subscriptions in the order the server sent them.
fn has_pending(sub: &mut Subscriber) -> bool {
    sub.next().now_or_never().flatten().is_some()
}

/// Waits until the server has processed everything agent `agent` sent so far, so that
/// its subscriptions are in place before another connection publishes (`flush` only
/// writes to the socket). A JetStream account info request, answered by the server
/// itself after the earlier protocol lines: every agent may ask it.
async fn settled(agent: &WatchedClient) {
    async_nats::jetstream::new(agent.client.clone())
        .query_account()
        .await
        .unwrap();
}

/// Answers the next request on `sub` with `answer`, as an agent would (one reply through
/// the response permission).
async fn answer(agent: &WatchedClient, sub: &mut Subscriber, answer: &'static str) -> Message {
    let request = next(sub).await;
    let reply = request
        .reply
        .clone()
        .expect("a request has a reply subject");
    agent
        .client
        .publish(reply, answer.as_bytes().into())
        .await
        .unwrap();
    agent.client.flush().await.unwrap();
    request
}
