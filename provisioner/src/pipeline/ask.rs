//! What a door hands the pipeline once it has read a request and established who is
//! asking, and what the pipeline hands back.

use policy::Identity;

use crate::mint::{Minted, SignWith};

/// A request on its way through the pipeline: read and identified by its door.
pub struct Ask<'a> {
    /// The policy request: name, key, tenant, TTL, tags, whether possession of the key
    /// is proven, and a verified credential when the door established one. Registry
    /// facts are still empty.
    pub request: policy::Request,
    /// Who is calling, as far as the door could establish it.
    pub identity: &'a Identity,
    /// An invite token, if one came.
    pub token: Option<String>,
    /// For the issuance record.
    pub request_id: &'a str,
    /// The time of the decision.
    pub now: i64,
    /// Which key signs the user.
    pub sign_with: SignWith<'a>,
    /// Whether the server made the key for this one connection (an auth callout
    /// login): the registry then takes the name, not the key, as the holder of its slot.
    pub per_connection: bool,
}

/// What the pipeline issued: the policy's Allow and the signed user JWT.
pub struct Issued {
    /// The decision.
    pub allow: policy::Allow,
    /// The JWT and its id.
    pub minted: Minted,
}
