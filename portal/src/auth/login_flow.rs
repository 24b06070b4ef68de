//! The web pages' login: OpenID Connect authorization code flow with PKCE against the
//! provider of `[login]` (the `openidconnect` crate does discovery, the authorization
//! URL, the code exchange and the ID token's signature, nonce and audience checks).
//!
//! The provider's metadata is discovered on the first login and again an hour later, so
//! the portal starts while the provider is down and follows its key rotation. The
//! token the provider returns is then verified once more by the policy's verifiers
//! (`auth::bearer::verify`), the same check every API call makes, so a login that the
//! policy does not accept opens no session.
//!
//! Not here: the cookies (`session`, `login_cookie`) and the routes (`ui::login`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::config::LoginConfig;

/// How long discovered metadata is used before it is fetched again.
const METADATA_MAX_AGE: Duration = Duration::from_secs(3_600);
/// How long one call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a login step failed. The texts are safe to show: they hold no code, token or
/// verifier.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The provider cannot be reached or its metadata is unusable.
    #[error("the login provider is unavailable: {0}")]
    Provider(String),
    /// The provider refused the code, or its answer did not verify.
    #[error("the login was not accepted: {0}")]
    Rejected(String),
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What the provider told us about itself.
struct Discovered {
    client: Client,
    end_session: Option<String>,
    at: Instant,
}

/// The extra metadata field of RP-initiated logout.
#[derive(Deserialize)]
struct LogoutMetadata {
    end_session_endpoint: Option<String>,
}

/// A started login: where to send the browser, and what must come back with it.
pub struct Started {
    /// The provider's authorization URL.
    pub url: String,
    /// The `state` to expect back.
    pub state: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange. Secret.
    pub verifier: String,
}

/// The login flow of one portal process.
pub struct LoginFlow {
    /// The settings.
    pub config: LoginConfig,
    http: reqwest::Client,
    discovered: Mutex<Option<Arc<Discovered>>>,
}

impl std::fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginFlow")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LoginFlow {
    /// A flow over `http` (which must not follow redirects: the code exchange and
    /// discovery are never redirected).
    pub fn new(config: LoginConfig, http: reqwest::Client) -> Self {
        Self {
            config,
            http,
            discovered: Mutex::new(None),
        }
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, LoginError> {
        let mut slot = self.discovered.lock().await;
        if let Some(found) = slot.as_ref().filter(|d| d.at.elapsed() < METADATA_MAX_AGE) {
            return Ok(Arc::clone(found));
        }
        let fresh = Arc::new(self.discover().await?);
        *slot = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    async fn discover(&self) -> Result<Discovered, LoginError> {
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| LoginError::Provider(e.to_string()))?;
        let http = Http(self.http.clone());
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| LoginError::Provider(describe(&e)))?;
        let end_session = self.end_session_endpoint().await;
        let secret = self.config.client_secret.clone().map(ClientSecret::new);
        let redirect = RedirectUrl::new(self.config.redirect_url())
            .map_err(|e| LoginError::Provider(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            secret,
        )
        .set_redirect_uri(redirect);
        Ok(Discovered {
            client,
            end_session,
            at: Instant::now(),
        })
    }

    /// The provider's `end_session_endpoint`, read from the discovery document apart
    /// from the core metadata (which does not carry it).
    async fn end_session_endpoint(&self) -> Option<String> {
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer);
        let response = self
            .http
            .get(url)
            .timeout(PROVIDER_TIMEOUT)
            .send()
            .await
            .ok()?;
        let body = response.bytes().await.ok()?;
        let metadata: LogoutMetadata = serde_json::from_slice(&body).ok()?;
        metadata.end_session_endpoint
    }

    /// Starts a login: a fresh `state`, nonce and PKCE pair, and the URL to send the
    /// browser to.
    ///
    /// # Errors
    /// [`LoginError::Provider`] when discovery fails.
    pub async fn start(&self) -> Result<Started, LoginError> {
        let discovered = self.discovered().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges `code` for the ID token, with the PKCE `verifier` and the `nonce` the
    /// login started with, and checks the token (signature, issuer, audience, expiry,
    /// nonce). Returns the token as sent.
    ///
    /// # Errors
    /// [`LoginError::Rejected`] when the provider refuses or the token does not verify;
    /// [`LoginError::Provider`] when it cannot be reached.
    pub async fn finish(
        &self,
        code: String,
        verifier: String,
        nonce: String,
    ) -> Result<String, LoginError> {
        let discovered = self.discovered().await?;
        let http = Http(self.http.clone());
        let response = discovered
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| LoginError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&http)
            .await
            .map_err(|e| LoginError::Rejected(describe(&e)))?;
        let token = response
            .id_token()
            .ok_or_else(|| LoginError::Rejected(String::from("the provider sent no ID token")))?;
        token
            .claims(&discovered.client.id_token_verifier(), &Nonce::new(nonce))
            .map_err(|e| LoginError::Rejected(describe(&e)))?;
        Ok(token.to_string())
    }

    /// Where to send the browser to end the provider's session too (RP-initiated
    /// logout), or `None` when the provider does not offer it.
    pub async fn logout_url(&self, id_token: &str) -> Option<String> {
        let discovered = self.discovered().await.ok()?;
        let endpoint = discovered.end_session.as_deref()?;
        let mut url = reqwest::Url::parse(endpoint).ok()?;
        let back = PostLogoutRedirectUrl::new(format!("{}/", self.config.public_url)).ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.config.client_id)
            .append_pair("post_logout_redirect_uri", back.as_str());
        Some(url.to_string())
    }
}

/// The provider's HTTP client, as `openidconnect` calls it.
struct Http(reqwest::Client);

type Answer<'c> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<openidconnect::HttpResponse, reqwest::Error>>
            + Send
            + 'c,
    >,
>;

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = reqwest::Error;
    type Future = Answer<'c>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .timeout(PROVIDER_TIMEOUT)
                .send()
                .await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            let mut answer = openidconnect::HttpResponse::new(body);
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok(answer)
        })
    }
}

/// An error and its causes on one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
