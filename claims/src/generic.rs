//! Generic claims: any `nats` body, kept as untyped JSON (Go `GenericClaims`), as used for
//! `$SYS.REQ.CLAIMS.DELETE` and for claim types this library does not know.

use serde_json::{Map, Value};

use crate::claims_data::{Standard, LIB_VERSION};
use crate::error::ClaimsError;
use crate::go_json::{go_untyped, write_untyped};

/// Claims with an untyped `nats` body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenericClaims {
    /// Audience.
    pub aud: String,
    /// Expiry.
    pub exp: i64,
    /// Claims id.
    pub jti: String,
    /// Issue time.
    pub iat: i64,
    /// Issuer.
    pub iss: String,
    /// Name.
    pub name: String,
    /// Not before.
    pub nbf: i64,
    /// Subject.
    pub sub: String,
    /// The body; `None` when absent. An absent or empty body is not written, as in Go.
    pub nats: Option<Map<String, Value>>,
}

impl GenericClaims {
    /// The standard fields by reference.
    pub fn standard(&self) -> Standard<'_> {
        Standard {
            aud: &self.aud,
            exp: self.exp,
            jti: &self.jti,
            iat: self.iat,
            iss: &self.iss,
            name: &self.name,
            nbf: self.nbf,
            sub: &self.sub,
        }
    }

    /// Reads generic claims from a decoded payload.
    pub(crate) fn from_value(value: &Value) -> Result<Self, ClaimsError> {
        let bad = || ClaimsError::Json {
            part: "payload",
            reason: String::from("unexpected value in a standard claim"),
        };
        let obj = value.as_object().ok_or_else(bad)?;
        let text = |key: &str| match obj.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(bad()),
        };
        let int = |key: &str| match obj.get(key) {
            None | Some(Value::Null) => Ok(0),
            Some(v) => v.as_i64().ok_or_else(bad),
        };
        // Go decodes the body into a `map[string]interface{}`, numbers as float64.
        let nats = match obj.get("nats").map(go_untyped) {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map),
            Some(_) => return Err(bad()),
        };
        Ok(GenericClaims {
            aud: text("aud")?,
            exp: int("exp")?,
            jti: text("jti")?,
            iat: int("iat")?,
            iss: text("iss")?,
            name: text("name")?,
            nbf: int("nbf")?,
            sub: text("sub")?,
            nats,
        })
    }

    /// The body as Go writes it: `omitempty` drops an absent and an empty map alike.
    fn written_body(&self) -> Option<&Map<String, Value>> {
        self.nats.as_ref().filter(|nats| !nats.is_empty())
    }

    /// Serializes as Go does: standard fields, then `nats` with sorted keys and every
    /// number written as a float64.
    pub fn to_go_json(&self) -> Result<String, ClaimsError> {
        let standard = self.standard().to_go_json()?;
        let Some(nats) = self.written_body() else {
            return Ok(standard);
        };
        let mut out = standard;
        out.pop(); // the closing brace
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str("\"nats\":");
        write_untyped(&Value::Object(nats.clone()), &mut out);
        out.push('}');
        Ok(out)
    }

    /// Go's `updateVersion` for generic claims: a present body gets `version` 2.
    pub(crate) fn prepare_for_encoding(&mut self) {
        if let Some(nats) = &mut self.nats {
            nats.insert(String::from("version"), Value::from(LIB_VERSION));
        }
    }

    /// The claims as a JSON value, for comparisons and printing: what Go's `json.Marshal`
    /// writes for them, read back as JSON.
    pub fn to_value(&self) -> Value {
        let mut obj = Map::new();
        let mut put_text = |k: &str, v: &str| {
            if !v.is_empty() {
                obj.insert(k.to_owned(), Value::from(v));
            }
        };
        put_text("aud", &self.aud);
        put_text("jti", &self.jti);
        put_text("iss", &self.iss);
        put_text("name", &self.name);
        put_text("sub", &self.sub);
        for (k, v) in [("exp", self.exp), ("iat", self.iat), ("nbf", self.nbf)] {
            if v != 0 {
                obj.insert(k.to_owned(), Value::from(v));
            }
        }
        if let Some(nats) = self.written_body() {
            obj.insert(String::from("nats"), Value::Object(nats.clone()));
        }
        Value::Object(obj)
    }
}
