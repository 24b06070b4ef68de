//! Revoking a person: one name, three keys through two doors. `rita` connects through the
//! auth callout with her password (the server makes that connection's key), then gets
//! creds for a key of her own through the proof flow and renews them, then for a second
//! key (another device: `names.reissue_to_other_key`) and renews those. One
//! `provisioner tenant users revoke rita` revokes all three keys in one account push: the
//! account JWT grows by exactly those three entries, all three live connections are
//! closed by the server (before their JWTs expire), and none of them, nor the password,
//! connects again. Once the last of their JWTs has expired, the next push (the same
//! revocation asked again) prunes the three entries.

use std::collections::BTreeSet;
use std::time::Duration;

use async_nats::{ConnectOptions, Event, ServerError};
use claims::{AccountClaims, KeyPair, UserClaims};
use integration_tests::{
    connect_with_creds, connect_with_options, unix_now, workspace_bin, ProductEstate,
};
use nats_creds_client::{Ask, FreshCreds, RenewalEvent, RenewalOptions};
use nsc_setup::{Layout, ResolverKind};
use provisioner::callout::credentials::salted_sha256;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{policy, provisioner};

/// Every JWT's lifetime: long enough that the revocation, not the expiry, closes the
/// connections; short enough to watch the entries pruned after.
const TTL: u64 = 12;
const PASSWORD: &str = "rita-password-1";
/// How long one step may take.
const STEP: Duration = Duration::from_secs(15);

/// The tenant account JWT the resolver holds now.
async fn live_account(sys: &async_nats::Client, account: &str) -> AccountClaims {
    let reply = sys
        .request(
            format!("$SYS.REQ.ACCOUNT.{account}.CLAIMS.LOOKUP"),
            bytes::Bytes::new(),
        )
        .await
        .unwrap();
    AccountClaims::decode(std::str::from_utf8(&reply.payload).unwrap().trim()).unwrap()
}

/// acme's policy: renewal on, a name may move to another key, every JWT lives `TTL`.
fn write_policy(estate: &ProductEstate) -> std::path::PathBuf {
    let extra = "identity.renewal.enabled = true\nnames.reissue_to_other_key = true\n";
    let path = policy(estate, &[("acme", extra)], &["acme"]);
    let capped = format!("ttl = {{ default_secs = {TTL}, max_secs = {TTL} }}");
    let text = std::fs::read_to_string(&path).unwrap();
    let text: Vec<&str> = text
        .lines()
        .map(|l| {
            if l.starts_with("ttl = ") {
                capped.as_str()
            } else {
                l
            }
        })
        .collect();
    std::fs::write(&path, text.join("\n")).unwrap();
    path
}

/// Adds `rita` with [`PASSWORD`] to acme's callout credentials.
fn add_callout_user(estate: &ProductEstate) {
    let salt = "revoke-person";
    let digest = data_encoding::HEXLOWER.encode(&salted_sha256(salt, PASSWORD));
    let path = estate.written.dir.join("callout/acme.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[[users]]\nuser = \"rita\"\nsalt = \"{salt}\"\npassword_sha256 = \"{digest}\"\n"
    ));
    std::fs::write(&path, text).unwrap();
}

/// A connection and every event it reports.
struct Watched {
    client: async_nats::Client,
    events: mpsc::UnboundedReceiver<Event>,
}

impl Watched {
    async fn connect(url: &str, options: ConnectOptions) -> Watched {
        let (tx, events) = mpsc::unbounded_channel();
        let client = options
            .event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(event);
                }
            })
            .connect(url)
            .await
            .unwrap();
        let mut watched = Watched { client, events };
        watched.until(|e| matches!(e, Event::Connected)).await;
        watched
    }

    /// Waits for an event `wanted` accepts; returns it.
    async fn until(&mut self, wanted: impl Fn(&Event) -> bool) -> Event {
        let deadline = Instant::now() + STEP;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .expect("the awaited connection event did not come in time")
                .expect("event stream closed");
            if wanted(&event) {
                return event;
            }
        }
    }

    /// Waits until the server says this connection's user was revoked.
    async fn revoked(&mut self) -> Event {
        self.until(|e| {
            matches!(e, Event::ServerError(ServerError::Other(text))
                if text.to_lowercase().contains("authentication revoked"))
        })
        .await
    }
}

/// A key of rita's own: creds through `bootstrap`, a watched connection renewing over
/// itself, renewed once; then its renewal stops (so that it does not take the name back
/// from the next key) and the connection stays. Returns the key's creds and connection.
async fn own_key_renewed(url: &str, bootstrap: &async_nats::Client) -> (FreshCreds, Watched) {
    let ask = Ask {
        name: "rita".into(),
        ttl: Some(TTL),
        ..Ask::default()
    };
    let fresh = FreshCreds::new(KeyPair::new_user(), ask, RenewalOptions::default());
    let first = fresh.obtain(bootstrap).await.unwrap();
    let mut watched = Watched::connect(url, fresh.connect_options()).await;
    let mut events = fresh.subscribe();
    let renewal = fresh
        .start_renewal(watched.client.clone(), Some(watched.client.clone()))
        .await;
    fresh.renew_now();
    let renewed = tokio::time::timeout(STEP, events.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(renewed, RenewalEvent::Renewed { expires } if expires >= first.expires),
        "{renewed:?}"
    );
    // The reconnect with the renewed JWT, then no more renewals.
    watched.until(|e| matches!(e, Event::Connected)).await;
    drop(renewal);
    (fresh, watched)
}

/// `provisioner tenant users revoke rita` as acme's admin: the JSON reply.
fn revoke_rita(estate: &ProductEstate) -> Value {
    let out = std::process::Command::new(workspace_bin("provisioner").unwrap())
        .args(["tenant", "-s", &estate.url(), "--json"])
        .arg("--creds")
        .arg(estate.creds_path("acme", "admin"))
        .args(["users", "revoke", "rita"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap()
}

fn exp_of(fresh: &FreshCreds) -> i64 {
    let creds = fresh.creds_file().unwrap();
    UserClaims::decode(&claims::parse_creds(&creds).unwrap().jwt)
        .unwrap()
        .exp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_with_three_keys_is_revoked_closed_and_pruned_in_one_call() {
    let estate = ProductEstate::start_with(&["acme"], ResolverKind::Full, true, true).unwrap();
    add_callout_user(&estate);
    let policy = write_policy(&estate);
    let dir = estate.written.dir.clone();
    let operator_key = estate.written.estate.operator.signing_keys[0].public_key();
    let key_file = Layout::new(&dir)
        .key_store()
        .key_path(&operator_key)
        .unwrap();
    let sys_creds = estate.creds_path("SYS", "sys");
    let mut p = provisioner(
        &estate,
        "p",
        &policy,
        &[
            "--operator-signing-key",
            &key_file.display().to_string(),
            "--sys-creds",
            &sys_creds.display().to_string(),
        ],
    );
    p.wait_for_output("answering auth callout", STEP).unwrap();
    let url = estate.url();
    let acme = estate.account_key("acme").unwrap();
    let sys = connect_with_creds(&url, &estate.creds("SYS", "sys").unwrap())
        .await
        .unwrap()
        .client;
    let before = live_account(&sys, &acme).await.nats.revocations;

    // Three keys, three live connections.
    let password = || ConnectOptions::with_user_and_password("rita".into(), PASSWORD.into());
    let mut callout = Watched::connect(&url, password()).await;
    let callout_connected = unix_now();
    let bootstrap = connect_with_creds(&url, &estate.creds("acme", "bootstrap").unwrap())
        .await
        .unwrap()
        .client;
    let (laptop, mut laptop_conn) = own_key_renewed(&url, &bootstrap).await;
    let (phone, mut phone_conn) = own_key_renewed(&url, &bootstrap).await;

    // One call revokes them all, in one push.
    let reply = revoke_rita(&estate);
    let revoked_at = unix_now();
    println!("revoke person: {reply}");
    assert_eq!(reply["pushed"], Value::Bool(true), "{reply}");
    let keys: BTreeSet<String> = reply["public_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 3, "{reply}");
    assert!(keys.contains(&laptop.public_key()) && keys.contains(&phone.public_key()));
    let after = live_account(&sys, &acme).await.nats.revocations;
    assert_eq!(after.len(), before.len() + 3, "{after:?}");
    let added: BTreeSet<String> = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .cloned()
        .collect();
    assert_eq!(added, keys);

    // The server closes all three, well before their JWTs would have expired.
    for (who, conn) in [
        ("callout", &mut callout),
        ("laptop", &mut laptop_conn),
        ("phone", &mut phone_conn),
    ] {
        let why = conn.revoked().await;
        println!("revoke person: {who} connection closed: {why}");
    }
    let closed = unix_now();
    let first_exp = exp_of(&laptop)
        .min(exp_of(&phone))
        .min(callout_connected + TTL as i64);
    assert!(
        closed < first_exp,
        "closed at {closed}, a JWT expired at {first_exp}"
    );

    // None reconnects: not the keys' creds, not the password.
    for fresh in [&laptop, &phone] {
        let creds = fresh.creds_file().unwrap();
        assert!(connect_with_creds(&url, &creds).await.is_err());
    }
    assert!(connect_with_options(&url, password()).await.is_err());

    // Once their JWTs have expired, the next push prunes the three entries.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4 * TTL + 30);
    let pruned_at = loop {
        let reply = revoke_rita(&estate);
        let live = live_account(&sys, &acme).await.nats.revocations;
        if !live.keys().any(|k| keys.contains(k)) {
            assert_eq!(live.len(), before.len(), "{live:?}");
            break unix_now();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not pruned in time: {reply}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let last_exp = exp_of(&laptop).max(exp_of(&phone));
    assert!(
        pruned_at >= last_exp,
        "pruned at {pruned_at}, before {last_exp}"
    );
    println!(
        "revoke person: revoked at {revoked_at}, closed by {closed}, last JWT expired at \
         {last_exp}, entries pruned at {pruned_at}"
    );
}
