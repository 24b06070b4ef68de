//! The account policy: who may get which credentials, for which tenant, with which
//! permissions.
//!
//! Pure: a policy value, a request, an identity and a clock value go in; a decision comes
//! out. No IO, no clock reads, no logging.
