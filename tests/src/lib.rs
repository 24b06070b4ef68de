//! Helpers for the end-to-end suites: a real `nats-server` harness.
