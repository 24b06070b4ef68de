//! The provisioning-service side of the product: a service behind an account export learns,
//! from the server-set `Nats-Request-Info` header, which tenant is calling.
