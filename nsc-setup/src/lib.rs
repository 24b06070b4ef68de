//! The operator estate: operator, accounts and users in nsc's store layout, the server
//! configuration that trusts them, and pushes of account JWTs to a running resolver.
