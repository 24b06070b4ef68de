#!/usr/bin/env bash
# Turns an `nsc-setup init` estate into Helm values:
#   OUT_DIR/nats-values.yaml         operator mode for the official `nats` chart (1.x): the
#                                    operator JWT, system account, resolver (full or
#                                    memory) and preloads, all from ESTATE/server.conf
#   OUT_DIR/provisioner-values.yaml  the policy, the tenants' account JWTs and the request
#                                    subject for this chart (no secrets)
# and prints the `kubectl create secret` commands for the provisioner's creds file and
# the tenants' signing key seeds (and the agent's creds), which stay out of values files.
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
  echo "    resolver_preload:"
  grep -E '^[[:space:]]*A[A-Z2-7]{55}:[[:space:]]*eyJ' "$conf" |
    sed -E 's/^[[:space:]]*(A[A-Z2-7]{55}):[[:space:]]*([^[:space:]]+).*/      \1: \2/'
} >"$out/nats-values.yaml"

# --- this chart ----------------------------------------------------------------------
toml_value() { sed -n "s/^$1 = \"\(.*\)\"$/\1/p" "$estate/provisioner.toml"; }
mapfile -t tenants < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$policy")
mapfile -t signing_keys < <(grep -oE 'public_key *= *"A[A-Z2-7]{55}"' "$policy" | grep -oE 'A[A-Z2-7]{55}' | sort -u)
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
  echo "secret:"
  echo "  name: provisioner-keys"
  echo "  create: false"
  echo "policy: |"
  sed 's/^/  /' "$policy"
  echo "accounts:"
  for t in "${tenants[@]}"; do
    jwt="$estate/nsc/stores/$operator/accounts/$t/$t.jwt"
    [[ -f "$jwt" ]] || { echo "values-from-estate: no account JWT $jwt for tenant $t" >&2; exit 1; }
    echo "  $t: $(tr -d '[:space:]' <"$jwt")"
  done
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
printf '\n\n'
printf 'kubectl create secret generic agent-creds --from-file=agent.creds=%s\n' \
  "$estate/nkeys/creds/$operator/SERVICES/agent.creds"
