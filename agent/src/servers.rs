//! The servers a process connects to, given as one comma-separated list of URLs
//! (`nats://a:4222,nats://b:4222`): the members of a region, so that the client fails over
//! among them. The agent and the provisioner read their `-s` flags with it.

use thiserror::Error;

/// A URL of the list that is not a NATS server URL.
#[derive(Debug, Error)]
#[error("server URL `{url}`: {reason}")]
pub struct ServerUrlError {
    /// The URL as given.
    pub url: String,
    /// Why it was refused.
    pub reason: String,
}

/// The servers of a comma-separated URL list; blanks around commas are ignored.
///
/// # Errors
/// [`ServerUrlError`] for the first URL that does not parse.
pub fn server_addrs(urls: &str) -> Result<Vec<async_nats::ServerAddr>, ServerUrlError> {
    urls.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            u.parse::<async_nats::ServerAddr>()
                .map_err(|e| ServerUrlError {
                    url: u.to_owned(),
                    reason: e.to_string(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_gives_every_server_and_a_bad_url_is_named() {
        let servers = server_addrs("nats://127.0.0.1:4222, nats://127.0.0.1:4223,").unwrap();
        assert_eq!(servers.len(), 2);
        let err = server_addrs("nats://127.0.0.1:4222,nats://127.0.0.1:notaport").unwrap_err();
        assert_eq!(err.url, "nats://127.0.0.1:notaport");
    }
}
