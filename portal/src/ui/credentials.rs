//! The credentials page: `GET /credentials` (the request form, with the policy's
//! lifetimes) and `POST /credentials`, which calls the API's credential handler as the
//! person. Without a public key the portal makes the key, and the answer page offers the
//! `.creds` file once (the page is never cached, and the seed is nowhere else); with a
//! pasted public key and its proof (from `provisioner proof`, bound to the session's ID
//! token by its hash, shown on the page) the answer is the JWT alone, for a key that never
//! left the person's machine. Either way the page shows the JWT's permissions, limits
//! and expiry as `provisioner inspect` prints them.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::render::{html, span};
use crate::api::credentials::{self, CredentialsRequest, IssuedJwt};
use crate::api::me::QuotaSummary;
use crate::auth::{PageForm, UiCaller};
use crate::chrome::Chrome;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::page_error::PageError;
use crate::problem::RequestId;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "credentials.html")]
struct FormPage {
    chrome: Chrome,
    name: String,
    default_ttl: u64,
    max_ttl: u64,
    max_ttl_text: String,
    token_sha256: String,
}

#[derive(Template)]
#[template(path = "credentials_issued.html")]
struct IssuedPage {
    chrome: Chrome,
    name: String,
    inspection: String,
    /// The `.creds` file as a `data:` URL, when the portal made the key. Secret.
    download: Option<String>,
    file_name: String,
    jwt: Option<String>,
}

fn form_page(state: &AppState, who: &UiCaller) -> FormPage {
    let quota = QuotaSummary::of(&state.policy, &who.caller.tenant);
    FormPage {
        chrome: Chrome::new("Credentials", "credentials", Some(who.chrome_user())),
        name: who.caller.name.clone(),
        default_ttl: quota.default_ttl_secs,
        max_ttl: quota.max_ttl_secs,
        max_ttl_text: span(quota.max_ttl_secs),
        token_sha256: data_encoding::HEXLOWER.encode(&Sha256::digest(who.session.token.as_bytes())),
    }
}

/// `GET /credentials`.
pub async fn page(State(state): State<AppState>, who: UiCaller) -> Result<Response, PageError> {
    let page = form_page(&state, &who);
    html(&who, &page)
}

/// The request form.
#[derive(Debug, Deserialize)]
pub struct RequestForm {
    name: String,
    #[serde(default)]
    ttl: String,
    /// A proof document (`provisioner proof` output); empty: the portal makes the key.
    #[serde(default)]
    proof: String,
}

/// The fields of `provisioner proof`'s output. The proof binds its name, lifetime and
/// tags, so they are taken from it rather than from the form.
#[derive(Debug, Deserialize)]
struct ProofDocument {
    name: String,
    #[serde(default)]
    ttl: Option<u64>,
    #[serde(default)]
    tags: Vec<String>,
    public_key: String,
    ts: i64,
    nonce: String,
    proof: String,
    proof_version: u8,
}

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        code: "bad_request",
        reason: reason.into(),
    }
}

fn request_of(form: RequestForm) -> Result<CredentialsRequest, ApiError> {
    let ttl = match form.ttl.trim() {
        "" => None,
        text => Some(
            text.parse::<u64>()
                .map_err(|_| bad("the lifetime is a whole number of seconds"))?,
        ),
    };
    let mut ask = CredentialsRequest {
        name: form.name.trim().to_owned(),
        ttl,
        ..CredentialsRequest::default()
    };
    if !form.proof.trim().is_empty() {
        let proof: ProofDocument = serde_json::from_str(form.proof.trim())
            .map_err(|e| bad(format!("the proof is not `provisioner proof` output: {e}")))?;
        ask.name = proof.name;
        ask.ttl = proof.ttl;
        ask.tags = (!proof.tags.is_empty()).then_some(proof.tags);
        ask.public_key = Some(proof.public_key);
        ask.ts = Some(proof.ts);
        ask.nonce = Some(proof.nonce);
        ask.proof = Some(proof.proof);
        ask.proof_version = Some(proof.proof_version);
    }
    Ok(ask)
}

/// `POST /credentials`.
pub async fn create(
    State(state): State<AppState>,
    id: RequestId,
    PageForm { who, form }: PageForm<RequestForm>,
) -> Result<Response, PageError> {
    let ask = request_of(form).map_err(|e| who.fail(e))?;
    let own_key = ask.public_key.is_some();
    let response = credentials::create(State(state), id, who.caller.clone(), ApiJson(ask))
        .await
        .map_err(|e| who.fail(e))?;
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map_err(|_| who.fail(ApiError::Internal))?;
    let (jwt, download, name) = if own_key {
        let issued: IssuedJwt =
            serde_json::from_slice(&body).map_err(|_| who.fail(ApiError::Internal))?;
        (issued.jwt.clone(), None, issued.name.clone())
    } else {
        let text = String::from_utf8_lossy(&body).into_owned();
        let creds = claims::parse_creds(&text).map_err(|_| who.fail(ApiError::Internal))?;
        let url = format!(
            "data:text/plain;base64,{}",
            data_encoding::BASE64.encode(text.as_bytes())
        );
        let name = claims::decode_any(&creds.jwt)
            .ok()
            .and_then(|c| {
                c.to_value()
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| String::from("user"));
        (creds.jwt, Some(url), name)
    };
    let inspection = claims::decode_any(&jwt)
        .map(|c| provisioner::display::claims_table(&c, "valid"))
        .unwrap_or_default();
    let safe_name = if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        name.clone()
    } else {
        String::from("user")
    };
    let page = IssuedPage {
        chrome: Chrome::new("Your credentials", "credentials", Some(who.chrome_user())),
        name,
        inspection,
        file_name: format!("{safe_name}.creds"),
        jwt: download.is_none().then_some(jwt),
        download,
    };
    html(&who, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_the_api_request() {
        let form = |ttl: &str, proof: &str| RequestForm {
            name: String::from(" alice "),
            ttl: ttl.to_owned(),
            proof: proof.to_owned(),
        };
        let ask = request_of(form("", "")).unwrap();
        assert_eq!(
            (ask.name.as_str(), ask.ttl, ask.public_key),
            ("alice", None, None)
        );
        assert_eq!(request_of(form("600", "")).unwrap().ttl, Some(600));
        assert_eq!(
            request_of(form("soon", "")).unwrap_err().code(),
            "bad_request"
        );
        let proof = r#"{"name":"al","ttl":60,"public_key":"UABC","ts":1,"nonce":"n","proof":"p","proof_version":2}"#;
        let ask = request_of(form("600", proof)).unwrap();
        assert_eq!(ask.public_key.as_deref(), Some("UABC"));
        assert_eq!((ask.name.as_str(), ask.ttl), ("al", Some(60)));
        assert_eq!(ask.proof_version, Some(2));
        assert!(request_of(form("", "{}")).is_err());
    }
}
