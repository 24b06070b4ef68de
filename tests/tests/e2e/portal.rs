//! The portal (the tenant self-service HTTP API) end to end: a real nats-server with an
//! `nsc-setup init --callout --jetstream` estate whose tenants trust a test OpenID
//! issuer (a JWKS file), `provisioner serve` answering requests, admin calls and the
//! auth callout, and `portal serve`, called with a real HTTP client.
//!
//! - `stack`: the three processes, the issuer and the HTTP client;
//! - `api`: every endpoint's happy path, creds from the API connecting to nats-server;
//! - `tenancy`: another tenant sees and revokes nothing (404), a non-admin gets 403;
//! - `entitlement`: a policy grant by tag (`[[tenants.grants]]`, the ID token's tags
//!   claim) entitles one person of a tenant to a service and not another;
//! - `tokens`: bad bearer tokens get 401 and the portal keeps serving;
//! - `limits`: the portal's request limit per identity (429 with `Retry-After`);
//! - `history`: presence, `/users` filters, the issuance history and its surviving
//!   restarts of every process;
//! - `fuzz`: schemathesis calls every operation of the OpenAPI document with generated
//!   inputs; no 5xx, every response as documented;
//! - `web`: the web pages in a real browser, logging in at a real OpenID provider.

mod api;
mod entitlement;
mod fuzz;
mod history;
mod limits;
mod resources;
mod stack;
mod tenancy;
mod tokens;
mod web;
