//! End-to-end suites against a real `nats-server`.
