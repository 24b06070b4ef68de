//! `POST /credentials`: a credential request on `creds.request`, made as the caller
//! through its tenant's import, so the provisioner identifies the caller from
//! `Nats-Request-Info` and the policy applies exactly as on NATS (names, TTL caps,
//! quotas, rate limits, tags; the same reason codes).
//!
//! - Without `public_key`: the portal makes a fresh user key, proves it (v2 proof) and
//!   answers a `.creds` file (`Content-Disposition: attachment`, `Cache-Control:
//!   no-store`). The seed exists only in this handler's memory and in the response.
//! - With `public_key`: nobody has shown that the client holds that key's seed, and the
//!   provisioner never issues for an unproven key. So the body must also carry the
//!   client's own proof (`ts`, `nonce`, `proof`, `proof_version` 2, signed over the v2
//!   canonical string as on NATS); the portal forwards it unchanged and the provisioner
//!   verifies it. Without one: `403 proof_required`. The answer is the signed user JWT.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use claims::KeyPair;
use provisioner::client::{request_body, Ask};
use provisioner::wire::{CredentialReply, CredentialRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::nats_call::call;
use crate::problem::{Problem, RequestId};
use crate::state::AppState;

/// The media type of a `.creds` answer.
pub const CREDS_MEDIA_TYPE: &str = "text/plain; charset=utf-8";

/// What to issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsRequest {
    /// The user name (the policy says which names the caller may have).
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]+$"
    )]
    pub name: String,
    /// The client's own user public key (`U…`); needs the proof fields below.
    #[schema(pattern = "^U[A-Z2-7]{55}$")]
    #[serde(default)]
    pub public_key: Option<String>,
    /// Requested lifetime in seconds (capped by the policy).
    #[serde(default)]
    pub ttl: Option<u64>,
    /// Requested tags (the policy's `tags.requestable`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<crate::api::tag::Tag>>)]
    pub tags: Option<Vec<String>>,
    /// With `public_key`: when the client signed its proof, unix seconds.
    #[serde(default)]
    pub ts: Option<i64>,
    /// With `public_key`: the proof's nonce.
    #[serde(default)]
    pub nonce: Option<String>,
    /// With `public_key`: the client's v2 proof of possession, base64url.
    #[serde(default)]
    pub proof: Option<String>,
    /// With `public_key`: the proof's version (2).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2)]
    pub proof_version: Option<u8>,
}

/// A user JWT for the client's key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IssuedJwt {
    /// The user JWT.
    pub jwt: String,
    /// Expiry, unix seconds.
    pub expires: i64,
    /// The tenant account.
    pub account: String,
    /// The user name.
    pub name: String,
    /// The request id.
    pub request_id: String,
}

impl std::fmt::Debug for IssuedJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedJwt")
            .field("name", &self.name)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// Issues a credential.
#[utoipa::path(
    post,
    path = "/credentials",
    operation_id = "create_credentials",
    tag = "credentials",
    request_body = CredentialsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Without `public_key`: a `.creds` file (attachment). With `public_key` and its proof: the user JWT.",
            content((String = "text/plain"), (IssuedJwt = "application/json"))),
        (status = "4XX", description = "Refused, with the provisioner's reason code", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "Failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    id: RequestId,
    caller: ApiCaller,
    ApiJson(ask): ApiJson<CredentialsRequest>,
) -> Result<Response, ApiError> {
    match ask.public_key.clone() {
        Some(public_key) => with_client_key(&state, &caller, &id, ask, public_key).await,
        None => with_fresh_key(&state, &caller, &id, ask).await,
    }
}

async fn with_fresh_key(
    state: &AppState,
    caller: &ApiCaller,
    id: &RequestId,
    ask: CredentialsRequest,
) -> Result<Response, ApiError> {
    if ask.ts.is_some() || ask.nonce.is_some() || ask.proof.is_some() || ask.proof_version.is_some()
    {
        return Err(ApiError::BadRequest {
            code: "bad_request",
            reason: String::from("`ts`, `nonce`, `proof` and `proof_version` go with `public_key`"),
        });
    }
    let user = KeyPair::new_user();
    let request = Ask {
        name: ask.name,
        ttl: ask.ttl,
        tags: ask.tags.unwrap_or_default(),
        // Who asks: the provisioner verifies the token itself (the portal's connection
        // has no JWT to share), and the proof binds it.
        id_token: Some(caller.token.expose().to_owned()),
        ..Ask::default()
    };
    let body = request_body(&user, &request).map_err(|_| ApiError::Internal)?;
    let reply: CredentialReply =
        call(state, caller, id, state.subjects.request.clone(), body).await?;
    let seed = user.seed().map_err(|_| ApiError::Internal)?;
    let creds = claims::format_creds(&reply.jwt, &seed);
    let mut response = creds.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(CREDS_MEDIA_TYPE),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Names are one subject token of safe characters; anything else gets a plain name.
    let filename = if reply
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        format!("{}.creds", reply.name)
    } else {
        String::from("user.creds")
    };
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

async fn with_client_key(
    state: &AppState,
    caller: &ApiCaller,
    id: &RequestId,
    ask: CredentialsRequest,
    public_key: String,
) -> Result<Response, ApiError> {
    let (Some(ts), Some(nonce), Some(proof)) = (ask.ts, ask.nonce, ask.proof) else {
        return Err(ApiError::Refused {
            status: 403,
            code: String::from("proof_required"),
            reason: String::from(
                "a `public_key` needs the client's proof of possession: `ts`, `nonce`, \
                 `proof` and `proof_version` 2, signed as for a NATS credential request",
            ),
        });
    };
    let request = CredentialRequest {
        name: ask.name,
        public_key,
        ts,
        nonce,
        proof,
        tenant: None,
        token: None,
        ttl: ask.ttl,
        tags: ask.tags,
        // The client's v2 proof binds this token's SHA-256 (`id_token_sha256`).
        id_token: Some(caller.token.expose().to_owned()),
        proof_version: ask.proof_version,
    };
    let body = serde_json::to_vec(&request).map_err(|_| ApiError::Internal)?;
    let reply: CredentialReply = call(
        state,
        caller,
        id,
        state.subjects.request.clone(),
        Bytes::from(body),
    )
    .await?;
    let mut response = Json(IssuedJwt {
        jwt: reply.jwt,
        expires: reply.expires,
        account: reply.account,
        name: reply.name,
        request_id: reply.request_id,
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
