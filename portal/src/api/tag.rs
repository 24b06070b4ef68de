//! The shape of a tag in the OpenAPI document: the rules `policy::tags::check_user_tag`
//! applies, so that a client (or a fuzzer) reading the document sends only tags the
//! provisioner can take. A schema only: handlers take tags as strings.

use utoipa::ToSchema;

/// A tag (`key` or `key:value`): 1 to 255 characters, no whitespace or control
/// characters; a value is one subject token (no `.`, `*` or `>`).
#[derive(ToSchema)]
#[schema(
    value_type = String,
    min_length = 1,
    max_length = 255,
    pattern = r"^[^:\s\x00-\x1f\x7f-\x9f]+(:[^.*>\s\x00-\x1f\x7f-\x9f]+)?$"
)]
pub struct Tag(pub String);
