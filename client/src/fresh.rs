//! The credentials a client holds: its own user key (the seed stays in this process) and
//! the current JWT, which renewals replace. Every connect and reconnect of a connection
//! made with [`FreshCreds::connect_options`] presents the JWT current at that moment and
//! signs the server's nonce with the key.

use std::fmt;
use std::sync::{Arc, RwLock};

use async_nats::{Auth, AuthError, ConnectOptions};
use claims::UserClaims;
use nkeys::KeyPair;
use tokio::sync::{broadcast, Notify};

use crate::events::RenewalEvent;
use crate::options::RenewalOptions;
use crate::request::{request, Ask, Granted, RequestError};

/// How many events a slow subscriber may lag behind before it misses some.
const EVENT_BUFFER: usize = 64;

/// Why credentials could not be loaded or obtained. Messages carry no secret.
#[derive(Debug, thiserror::Error)]
pub enum CredsError {
    /// The creds text is not a creds file, or its seed or JWT is unusable.
    #[error("unusable creds: {0}")]
    Creds(String),
    /// The provisioner gave no credentials.
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// The JWT in use and the times the schedule needs.
#[derive(Clone)]
pub(crate) struct Current {
    pub(crate) jwt: String,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
}

pub(crate) struct Inner {
    pub(crate) key: KeyPair,
    pub(crate) ask: Ask,
    pub(crate) options: RenewalOptions,
    current: RwLock<Option<Current>>,
    pub(crate) events: broadcast::Sender<RenewalEvent>,
    pub(crate) renew_now: Notify,
}

/// A user's key and its current credentials, shared by the connection's auth callback,
/// the renewal task and the program (cheap to clone).
#[derive(Clone)]
pub struct FreshCreds {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for FreshCreds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FreshCreds")
            .field("public_key", &self.inner.key.public_key())
            .field("ask", &self.inner.ask)
            .field("expires", &self.expires())
            .finish_non_exhaustive()
    }
}

impl FreshCreds {
    /// A client with `key` and no credentials yet: [`FreshCreds::obtain`] gets the first.
    /// `ask` says what to request (its token or ID token vouch for the first request only).
    pub fn new(key: KeyPair, ask: Ask, options: RenewalOptions) -> FreshCreds {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        FreshCreds {
            inner: Arc::new(Inner {
                key,
                ask,
                options: options.sanitized(),
                current: RwLock::new(None),
                events,
                renew_now: Notify::new(),
            }),
        }
    }

    /// A client continuing from a creds file's text (its seed and JWT). An empty
    /// `ask.name` becomes the JWT's name.
    ///
    /// # Errors
    /// [`CredsError::Creds`] when the text is not a creds file of a user.
    pub fn from_creds(
        text: &str,
        mut ask: Ask,
        options: RenewalOptions,
    ) -> Result<FreshCreds, CredsError> {
        let creds = claims::parse_creds(text).map_err(|e| CredsError::Creds(e.to_string()))?;
        let key = creds
            .seed
            .key_pair()
            .map_err(|e| CredsError::Creds(e.to_string()))?;
        let current = current_of(&creds.jwt)?;
        if ask.name.is_empty() {
            ask.name = UserClaims::decode(&creds.jwt)
                .map_err(|e| CredsError::Creds(e.to_string()))?
                .name;
        }
        let fresh = FreshCreds::new(key, ask, options);
        fresh.replace(current);
        Ok(fresh)
    }

    /// Requests credentials over `requester` (for example a tenant's bootstrap user, or
    /// the user's own connection) with the whole ask, token and ID token included, and
    /// makes them current.
    ///
    /// # Errors
    /// [`CredsError::Request`] when refused or unanswered; [`CredsError::Creds`] when the
    /// granted JWT cannot be read.
    pub async fn obtain(&self, requester: &async_nats::Client) -> Result<Granted, CredsError> {
        let inner = &self.inner;
        let granted = request(
            requester,
            &inner.options.subject,
            &inner.key,
            &inner.ask,
            inner.options.request_timeout,
        )
        .await?;
        self.accept(&granted)?;
        Ok(granted)
    }

    /// Makes `granted` current.
    pub(crate) fn accept(&self, granted: &Granted) -> Result<(), CredsError> {
        self.replace(current_of(&granted.jwt)?);
        Ok(())
    }

    fn replace(&self, current: Current) {
        match self.inner.current.write() {
            Ok(mut guard) => *guard = Some(current),
            // A panic elsewhere while holding the lock left a value that is still whole.
            Err(poisoned) => *poisoned.into_inner() = Some(current),
        }
    }

    pub(crate) fn current(&self) -> Option<Current> {
        match self.inner.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Options for the user's own connection: every connect and reconnect presents the
    /// current JWT and signs the server's nonce; replies come back on the user's private
    /// inbox prefix, `_INBOX.<name>` (the default `_INBOX` when the name is not one
    /// subject token).
    pub fn connect_options(&self) -> ConnectOptions {
        let fresh = self.clone();
        let options = ConnectOptions::with_auth_callback(move |nonce: Vec<u8>| {
            let answer = fresh.auth(&nonce);
            async move { answer }
        });
        match claims::private_inbox_prefix(&self.inner.ask.name) {
            Some(prefix) => options.custom_inbox_prefix(prefix),
            None => options,
        }
    }

    fn auth(&self, nonce: &[u8]) -> Result<Auth, AuthError> {
        let current = self
            .current()
            .ok_or_else(|| AuthError::new("no credentials obtained yet"))?;
        let signature = self
            .inner
            .key
            .sign(nonce)
            .map_err(|_| AuthError::new("the user key cannot sign"))?;
        let mut auth = Auth::new();
        auth.jwt = Some(current.jwt);
        auth.signature = Some(signature);
        Ok(auth)
    }

    /// Renews at once (for example when the provisioner says the user's grant changed)
    /// instead of at the scheduled time. A renewal backing off after a failure keeps its
    /// wait: asking again never makes it spin.
    pub fn renew_now(&self) {
        self.inner.renew_now.notify_one();
    }

    /// The renewal events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RenewalEvent> {
        self.inner.events.subscribe()
    }

    /// When the current credentials expire (unix seconds; 0 for never), if there are any.
    pub fn expires(&self) -> Option<i64> {
        self.current().map(|c| c.exp)
    }

    /// The user's public key.
    pub fn public_key(&self) -> String {
        self.inner.key.public_key()
    }

    /// The name credentials are asked for.
    pub fn name(&self) -> &str {
        &self.inner.ask.name
    }

    /// The text of a creds file with the current JWT and the user's seed, for the user's
    /// own file (mode 0600). Secret.
    ///
    /// # Errors
    /// [`CredsError::Creds`] before any credentials were obtained, or for a key without
    /// a seed.
    pub fn creds_file(&self) -> Result<String, CredsError> {
        let current = self
            .current()
            .ok_or_else(|| CredsError::Creds(String::from("no credentials obtained yet")))?;
        let seed = self
            .inner
            .key
            .seed()
            .map_err(|_| CredsError::Creds(String::from("the user key holds no seed")))?;
        Ok(claims::format_creds(&current.jwt, &seed))
    }
}

/// The schedule's view of a JWT.
fn current_of(jwt: &str) -> Result<Current, CredsError> {
    let claims = UserClaims::decode(jwt).map_err(|e| CredsError::Creds(e.to_string()))?;
    Ok(Current {
        jwt: jwt.to_owned(),
        iat: claims.iat,
        exp: claims.exp,
    })
}
