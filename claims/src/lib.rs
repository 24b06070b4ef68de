//! NATS JWT v2 claims.
