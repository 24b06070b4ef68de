//! The portal's web pages in a real headless Chromium, logging in through a real OpenID
//! provider (npm `oidc-provider`, run by the test), on the portal stack's estate whose
//! tenants trust that provider (its JWKS fetched by URL): one test per journey, a
//! screenshot of every page in `target/screenshots/<test>/`.
//!
//! - `stack`: the provider, the estate, the provisioner, the portal with `[login]`, an
//!   agent running the example handlers, and the browser;
//! - `credentials`: log in, get a `.creds` file, connect with it, see yourself connected;
//! - `admin`: invite, redeem, revoke (the next connection is refused);
//! - `resources`: live states without a reload, a handler's error, an approval;
//! - `guards`: another tenant's pages are 404, a form without its CSRF token is refused,
//!   a logged-out cookie opens nothing, pages work at phone width.

mod admin;
mod credentials;
mod guards;
mod resources;
mod stack;
