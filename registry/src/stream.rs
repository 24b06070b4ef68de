//! Opening a stream the registry owns: found as it should be, updated where its
//! configuration fell behind what is asked (a longer max age, say), or created, retried
//! while JetStream is not ready (a server just started, a cluster electing its leader).
//! Another replica may create it at the same moment: a failed create looks again.

use std::time::Duration;

use async_nats::jetstream::{self, stream};

use crate::error::RegistryError;
use crate::kv::OPEN_DEADLINE;

/// Pause between attempts while JetStream is not ready.
const OPEN_RETRY: Duration = Duration::from_millis(250);

/// Makes sure stream `config.name` exists; `fits` says whether an existing stream's
/// configuration will do, else it is updated to `config`. `what` names the stream in
/// errors (`counter stream`, `history stream`).
///
/// # Errors
/// [`RegistryError::Kv`] when the stream can be neither found nor created by
/// [`OPEN_DEADLINE`].
pub async fn ensure(
    js: &jetstream::Context,
    config: &stream::Config,
    fits: impl Fn(&stream::Config) -> bool,
    what: &'static str,
) -> Result<(), RegistryError> {
    let name = config.name.as_str();
    let deadline = tokio::time::Instant::now() + OPEN_DEADLINE;
    loop {
        let failure = match js.get_stream(name).await {
            Ok(mut existing) => match existing.info().await {
                Ok(info) if fits(&info.config) => None,
                Ok(_) => js
                    .update_stream(config.clone())
                    .await
                    .err()
                    .map(|e| e.to_string()),
                Err(err) => Some(err.to_string()),
            },
            Err(_) => match js.create_stream(config.clone()).await {
                Ok(_) => None,
                Err(err) => match js.get_stream(name).await {
                    Ok(_) => continue,
                    Err(_) => Some(err.to_string()),
                },
            },
        };
        let Some(failure) = failure else {
            return Ok(());
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(RegistryError::kv(what, name, failure));
        }
        tracing::debug!(stream = %name, error = %failure, "{what} not ready; retrying");
        tokio::time::sleep(OPEN_RETRY).await;
    }
}
