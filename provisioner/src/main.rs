//! `provisioner`: mints NATS user credentials over NATS.
fn main() {}
