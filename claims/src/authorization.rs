//! Auth callout claims: the request a server signs and sends to `$SYS.REQ.USER.AUTH`,
//! and the response the callout service signs and returns.

use serde::{Deserialize, Serialize};

use crate::claims_data::Claims;
use crate::omit;

/// The audience of every authorization request.
pub const AUTH_REQUEST_AUDIENCE: &str = "nats-authorization-request";

/// The server that asks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerId {
    /// Server name (always written).
    #[serde(default)]
    pub name: String,
    /// Server host (always written).
    #[serde(default)]
    pub host: String,
    /// Server id, its `N…` public key (always written).
    #[serde(default)]
    pub id: String,
    /// Server version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Cluster name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// Server tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The server's public xkey, when requests are sealed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub xkey: String,
}

/// What the server knows about the connecting client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInformation {
    /// Client host.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// Client connection id.
    #[serde(default, skip_serializing_if = "omit::zero_u64")]
    pub id: u64,
    /// User.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Client name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Name tag.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_tag: String,
    /// Connection kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Client type.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub client_type: String,
    /// MQTT client id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mqtt_id: String,
    /// Nonce.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nonce: String,
}

/// The client's CONNECT options. Holds secrets (password, token, JWT): never log it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectOptions {
    /// User JWT presented.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jwt: String,
    /// Public nkey presented.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nkey: String,
    /// Nonce signature.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sig: String,
    /// Token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth_token: String,
    /// User name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Password.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pass: String,
    /// Client name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Client language.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub lang: String,
    /// Client version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Protocol version (always written).
    #[serde(default)]
    pub protocol: i64,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |s: &str| if s.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("ConnectOptions")
            .field("jwt", &redacted(&self.jwt))
            .field("nkey", &self.nkey)
            .field("sig", &redacted(&self.sig))
            .field("auth_token", &redacted(&self.auth_token))
            .field("user", &self.user)
            .field("pass", &redacted(&self.pass))
            .field("name", &self.name)
            .field("lang", &self.lang)
            .field("version", &self.version)
            .field("protocol", &self.protocol)
            .finish()
    }
}

/// The client's TLS state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientTls {
    /// TLS version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Cipher suite.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cipher: String,
    /// Client certificates, PEM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certs: Vec<String>,
    /// Verified chains, PEM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified_chains: Vec<Vec<String>>,
}

/// The `nats` body of an authorization request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The server that asks.
    #[serde(default)]
    pub server_id: ServerId,
    /// The public key the returned user JWT must have as subject.
    #[serde(default)]
    pub user_nkey: String,
    /// The connecting client.
    #[serde(default)]
    pub client_info: ClientInformation,
    /// Its CONNECT options.
    #[serde(default)]
    pub connect_opts: ConnectOptions,
    /// Its TLS state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_tls: Option<ClientTls>,
    /// Request nonce.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_nonce: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Claim type, `authorization_request`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub claim_type: String,
    /// Library version that wrote the claims.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub version: i64,
}

/// An authorization request JWT's claims.
pub type AuthorizationRequestClaims = Claims<AuthorizationRequest>;

/// The `nats` body of an authorization response: a user JWT or an error, never both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationResponse {
    /// The user JWT granted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jwt: String,
    /// Why the connection was refused.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// The account, when signed by one of its signing keys.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Claim type, `authorization_response`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub claim_type: String,
    /// Library version that wrote the claims.
    #[serde(default, skip_serializing_if = "omit::zero_i64")]
    pub version: i64,
}

/// An authorization response JWT's claims.
pub type AuthorizationResponseClaims = Claims<AuthorizationResponse>;
