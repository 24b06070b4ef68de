#!/usr/bin/env bash
# Turns an `nsc-setup init` estate into Helm values:
#   OUT_DIR/nats-values.yaml         operator mode for the official `nats` chart (1.x): the
#                                    operator JWT, system account, resolver (full or
#                                    memory) and preloads, all from ESTATE/server.conf
#   OUT_DIR/provisioner-values.yaml  the policy, the tenants' account JWTs and the request
#                                    subject for this chart (no secrets); for an estate
#                                    made with --callout the callout, with --portal (it
#                                    has portal.toml) the portal and the JWKS files the
#                                    policy names
# and prints the `kubectl create secret` commands for the provisioner's creds file and
# the tenants' signing key seeds (the callout's seeds and credentials files, the agent's
# creds), which stay out of values files.
#
# Usage: helm/values-from-estate.sh ESTATE_DIR [OUT_DIR] [NATS_URL]
#   OUT_DIR defaults to the current directory, NATS_URL to nats://nats:4222 (the official
#   chart installed as release `nats` in the provisioner's namespace).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 ESTATE_DIR [OUT_DIR] [NATS_URL]" >&2
  exit 64
fi
estate="$(cd "$1" && pwd)"
out="${2:-.}"
nats_url="${3:-nats://nats:4222}"
conf="$estate/server.conf"
policy="$estate/policy.toml"
for f in "$conf" "$policy" "$estate/provisioner.toml"; do
  [[ -f "$f" ]] || { echo "values-from-estate: $f not found (is $estate an nsc-setup estate?)" >&2; exit 64; }
done
operator="$(find "$estate/nsc/stores" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n 1)"
[[ -n "$operator" ]] || { echo "values-from-estate: no operator under $estate/nsc/stores" >&2; exit 64; }
mkdir -p "$out"

# --- the official nats chart ---------------------------------------------------------
operator_jwt="$(sed -n 's/^operator: *//p' "$conf")"
system_account="$(sed -n 's/^system_account: *//p' "$conf")"
[[ -n "$operator_jwt" && -n "$system_account" ]] ||
  { echo "values-from-estate: $conf has no operator or system_account" >&2; exit 1; }
{
  echo "# Operator mode for the official nats chart (1.x), from $conf."
  echo "# helm upgrade --install nats nats/nats -f nats-values.yaml [-f your-cluster-values.yaml]"
  echo "config:"
  if grep -q '^jetstream' "$conf"; then
    echo "  jetstream:"
    echo "    enabled: true"
  fi
  if grep -q '^resolver: MEMORY' "$conf"; then
    echo "  merge:"
    echo "    resolver: MEMORY"
  else
    echo "  resolver:"
    echo "    enabled: true"
    echo "    merge:"
    echo "      type: full"
    echo "      allow_delete: true"
    echo "      interval: 2m"
    echo "  merge:"
  fi
  echo "    operator: $operator_jwt"
  echo "    system_account: $system_account"
  # An --callout estate: clients without a JWT (the portal's callers) go through the
  # auth callout as the sentinel.
  sentinel="$(sed -n 's/^default_sentinel: *//p' "$conf")"
  [[ -z "$sentinel" ]] || echo "    default_sentinel: $sentinel"
  echo "    resolver_preload:"
  grep -E '^[[:space:]]*A[A-Z2-7]{55}:[[:space:]]*eyJ' "$conf" |
    sed -E 's/^[[:space:]]*(A[A-Z2-7]{55}):[[:space:]]*([^[:space:]]+).*/      \1: \2/'
} >"$out/nats-values.yaml"

# --- this chart ----------------------------------------------------------------------
toml_value() { sed -n "s/^$1 = \"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "${2:-$estate/provisioner.toml}"; }
mapfile -t tenants < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$policy")
mapfile -t signing_keys < <(grep -oE 'public_key *= *"A[A-Z2-7]{55}"' "$policy" | grep -oE 'A[A-Z2-7]{55}' | sort -u)
secret_dir=/var/run/secrets/provisioner
callout_issuer="$(toml_value callout_issuer_key)"
callout_xkey="$(toml_value callout_xkey)"
# A callout estate's credentials files (`callout/<tenant>.toml`, password hashes) go into
# the Secret; the policy names them where the chart mounts the Secret.
mapfile -t callout_files < <(sed -n 's/.*credentials = "callout\/\([^"\/]*\)\.toml".*/\1/p' "$policy")
# JWKS files the policy names by a relative `jwks_file` go beside the policy (public).
mapfile -t jwks_files < <(sed -n 's/.*jwks_file = "\([^"]*\)".*/\1/p' "$policy" | grep -v '^/' | sort -u)
portal_toml="$estate/portal.toml"
{
  echo "# The provisioner chart's values from the estate $estate (no secrets)."
  echo "nats:"
  echo "  url: $nats_url"
  if ! grep -q '^jetstream' "$conf"; then
    echo "# The estate has no JetStream: one replica with nonces in memory."
    echo "replicaCount: 1"
    echo "podDisruptionBudget:"
    echo "  enabled: false"
  fi
  echo "config:"
  echo "  subject: $(toml_value subject)"
  echo "  queue_group: $(toml_value queue_group)"
  echo "  audit_subject: $(toml_value audit_subject)"
  grep -q '^jetstream' "$conf" || echo "  nonce_bucket: \"\""
  for key in registry history_max_age_secs; do
    value="$(toml_value "$key")"
    [[ -z "$value" ]] || echo "  $key: $value"
  done
  echo "secret:"
  echo "  name: provisioner-keys"
  echo "  create: false"
  if ((${#callout_files[@]})); then
    echo "  extraKeys:"
    for t in "${callout_files[@]}"; do echo "    - $t-callout.toml"; done
  fi
  if [[ -n "$callout_issuer" ]]; then
    echo "callout:"
    echo "  enabled: true"
    echo "  issuerKey: callout-issuer.nk"
    echo "  xkeyKey: callout.xk"
  fi
  echo "policy: |"
  sed -E "s#credentials = \"callout/([^\"/]*)\.toml\"#credentials = \"$secret_dir/\1-callout.toml\"#" "$policy" |
    sed 's/^/  /'
  echo "accounts:"
  for t in "${tenants[@]}"; do
    jwt="$estate/nsc/stores/$operator/accounts/$t/$t.jwt"
    [[ -f "$jwt" ]] || { echo "values-from-estate: no account JWT $jwt for tenant $t" >&2; exit 1; }
    echo "  $t: $(tr -d '[:space:]' <"$jwt")"
  done
  if ((${#jwks_files[@]})); then
    echo "oidc:"
    echo "  jwksFiles:"
    for f in "${jwks_files[@]}"; do
      if [[ "$f" == */* || ! -f "$estate/$f" ]]; then
        echo "values-from-estate: the policy's jwks_file $f is not a file in $estate: add it to oidc.jwksFiles by hand" >&2
        continue
      fi
      echo "    $f: '$(tr -d '\n' <"$estate/$f" | sed "s/'/''/g")'"
    done
  fi
  if [[ -f "$portal_toml" ]]; then
    echo "# The tenant self-service HTTP API (nsc-setup init --portal); it needs the callout."
    echo "portal:"
    echo "  enabled: true"
    echo "  config:"
    for key in request_subject admin_subject_prefix; do
      value="$(toml_value "$key" "$portal_toml")"
      [[ -z "$value" ]] || echo "    $key: $value"
    done
    for key in nats_timeout_ms max_connections max_body_bytes shutdown_grace_ms; do
      value="$(toml_value "$key" "$portal_toml")"
      [[ -z "$value" ]] || echo "    $key: $value"
    done
    grep -q '^identity.oidc = ' "$policy" ||
      echo "values-from-estate: no tenant of $policy has identity.oidc yet: the portal will not start until one has" >&2
  fi
} >"$out/provisioner-values.yaml"

echo "wrote $out/nats-values.yaml and $out/provisioner-values.yaml"
echo
echo "Create the Secrets (in the provisioner's namespace):"
echo
printf 'kubectl create secret generic provisioner-keys \\\n'
printf '  --from-file=provisioner.creds=%s' "$estate/nkeys/creds/$operator/AUTH/provisioner.creds"
for key in "${signing_keys[@]}"; do
  printf ' \\\n  --from-file=%s.nk=%s' "$key" "$estate/nkeys/keys/A/${key:1:2}/$key.nk"
done
if [[ -n "$callout_issuer" ]]; then
  printf ' \\\n  --from-file=callout-issuer.nk=%s' "$estate/$callout_issuer"
  [[ -z "$callout_xkey" ]] || printf ' \\\n  --from-file=callout.xk=%s' "$estate/$callout_xkey"
fi
for t in "${callout_files[@]}"; do
  printf ' \\\n  --from-file=%s-callout.toml=%s' "$t" "$estate/callout/$t.toml"
done
printf '\n\n'
printf 'kubectl create secret generic agent-creds --from-file=agent.creds=%s\n' \
  "$estate/nkeys/creds/$operator/SERVICES/agent.creds"
