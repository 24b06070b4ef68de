//! Keeping presence: the system account's `$SYS.ACCOUNT.<id>.CONNECT` and `DISCONNECT`
//! events, read on the system user's connection (the one revocation pushes use), become
//! the registry's presence records (`registry::presence`): who is connected now, and when
//! each name was last seen, shown by `users.list` and `users.show`.
//!
//! Replicas share one queue group, so each event is recorded once; recording an event
//! twice would leave the same state anyway. An event of an account no tenant owns (the
//! provisioner's own, the system account's) or without a user name is skipped. Names are
//! kept in the tenant's unique form, as the users bucket keeps them. Events are recorded
//! concurrently up to a bound, so a burst of connections does not queue behind the KV.

use std::sync::Arc;

use futures::StreamExt as _;
use registry::Registry;
use serde::Deserialize;

use crate::handler::Context;

/// The subjects of the events.
pub const CONNECT_EVENTS: &str = "$SYS.ACCOUNT.*.CONNECT";
/// See [`CONNECT_EVENTS`].
pub const DISCONNECT_EVENTS: &str = "$SYS.ACCOUNT.*.DISCONNECT";
/// Events recorded at once.
const IN_FLIGHT: usize = 64;
/// Events recorded.
pub const PRESENCE_EVENTS_TOTAL: &str = "provisioner_presence_events_total";
/// Events whose record failed.
pub const PRESENCE_FAILURES_TOTAL: &str = "provisioner_presence_failures_total";

/// A connect or disconnect event: the fields presence reads.
#[derive(Debug, Deserialize)]
pub struct ClientEvent {
    /// `io.nats.server.advisory.v1.client_connect` or `…client_disconnect`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The server the client is connected to.
    pub server: EventServer,
    /// The client.
    pub client: EventClient,
}

/// The server of a [`ClientEvent`].
#[derive(Debug, Deserialize)]
pub struct EventServer {
    /// The server's id.
    pub id: String,
}

/// The client of a [`ClientEvent`].
#[derive(Debug, Deserialize)]
pub struct EventClient {
    /// The connection id on its server.
    #[serde(default)]
    pub id: u64,
    /// The account.
    #[serde(default)]
    pub acc: String,
    /// The user public key.
    #[serde(default)]
    pub user: String,
    /// The user JWT the client connected with (the server verified it); its `name` is
    /// the user's name. Secret: never logged. (`name_tag` holds the account's name.)
    #[serde(default)]
    pub jwt: String,
}

impl EventClient {
    /// The name in the client's user JWT, when it has one.
    pub fn user_name(&self) -> Option<String> {
        claims::UserClaims::decode(&self.jwt)
            .ok()
            .map(|c| c.name)
            .filter(|n| !n.is_empty())
    }
}

/// Whether an event says a connection opened (else it closed).
pub fn is_connect(event: &ClientEvent) -> bool {
    event.kind.ends_with("client_connect")
}

/// Subscribes to the events on `sys` and records them until the subscription ends.
///
/// # Errors
/// When the subscriptions cannot be made.
pub async fn start(
    sys: &async_nats::Client,
    queue_group: &str,
    ctx: Arc<Context>,
) -> anyhow::Result<()> {
    let Some(registry) = ctx.registry.clone() else {
        return Ok(());
    };
    let group = format!("{queue_group}-presence");
    let connects = sys
        .queue_subscribe(CONNECT_EVENTS, group.clone())
        .await
        .map_err(|e| anyhow::anyhow!("subscribing to `{CONNECT_EVENTS}`: {e}"))?;
    let disconnects = sys
        .queue_subscribe(DISCONNECT_EVENTS, group)
        .await
        .map_err(|e| anyhow::anyhow!("subscribing to `{DISCONNECT_EVENTS}`: {e}"))?;
    sys.flush().await?;
    tracing::info!("presence: recording connect and disconnect events");
    let events = futures::stream::select(connects, disconnects);
    tokio::spawn(async move {
        events
            .for_each_concurrent(IN_FLIGHT, |message| {
                let (ctx, registry) = (Arc::clone(&ctx), registry.clone());
                async move { record(&ctx, &registry, &message.payload).await }
            })
            .await;
    });
    Ok(())
}

async fn record(ctx: &Context, registry: &Registry, payload: &[u8]) {
    let event = match serde_json::from_slice::<ClientEvent>(payload) {
        Ok(event) => event,
        Err(err) => {
            tracing::debug!(error = %err, "presence: an event that is not a client event");
            return;
        }
    };
    let runtime = ctx.runtime();
    let Some(tenant) = runtime.policy.tenant_by_account(&event.client.acc) else {
        return;
    };
    let Some(name) = event.client.user_name() else {
        return;
    };
    let name = tenant.config().names.unique_form(&name);
    let at = crate::service::unix_now();
    let who = (tenant.name(), name.as_str());
    let connection = (event.server.id.as_str(), event.client.id);
    let recorded = if is_connect(&event) {
        registry
            .presence
            .connected(who, connection, &event.client.user, at)
            .await
    } else {
        registry.presence.disconnected(who, connection, at).await
    };
    match recorded {
        Ok(()) => metrics::counter!(PRESENCE_EVENTS_TOTAL).increment(1),
        Err(err) => {
            metrics::counter!(PRESENCE_FAILURES_TOTAL).increment(1);
            tracing::warn!(tenant = %tenant.name(), error = %err, "presence: recording an event failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn connect_and_disconnect_events_are_read() {
        let account = claims::KeyPair::new_account();
        let user = claims::KeyPair::new_user();
        let mut claims = claims::UserClaims::new_user(user.public_key());
        claims.name = "alice".into();
        let jwt = claims.encode(&account, 1_800_000_000).unwrap();
        // As nats-server 2.15.1 sends it: `name_tag` is the account's name.
        let connect = json!({"type": "io.nats.server.advisory.v1.client_connect", "id": "x",
            "server": {"name": "n", "host": "h", "id": "NSRV", "ver": "2.15.1", "seq": 3},
            "client": {"start": "2026-12-03T00:00:00Z", "host": "127.0.0.1", "id": 7,
                "acc": account.public_key(), "user": user.public_key(), "jwt": jwt,
                "name_tag": "acme", "kind": "Client"}});
        let event: ClientEvent = serde_json::from_value(connect).unwrap();
        assert!(is_connect(&event));
        assert_eq!(event.client.id, 7);
        assert_eq!(event.client.user_name().as_deref(), Some("alice"));
        let disconnect = json!({"type": "io.nats.server.advisory.v1.client_disconnect",
            "server": {"id": "NSRV"}, "client": {"id": 7, "acc": "AACME"},
            "reason": "Client Closed"});
        let event: ClientEvent = serde_json::from_value(disconnect).unwrap();
        assert!(!is_connect(&event));
        assert_eq!(event.client.user_name(), None);
    }
}
