#!/usr/bin/env bash
# Turns an `nsc-setup init` estate into Helm values:
#   OUT_DIR/nats-values.yaml         operator mode for the official `nats` chart (1.x): the
#                                    operator JWT, system account, resolver (full or
#                                    memory) and preloads, all from ESTATE/server.conf
#   OUT_DIR/provisioner-values.yaml  the policy, the tenants' account JWTs and the request
#                                    subject for this chart (no secrets); for an estate
#                                    made with --callout the callout, with --portal (it
#                                    has portal.toml) the portal and the JWKS files the
#                                    policy names; with the registry its replicas and
#                                    placement, and the revocation keys' Secret files
#   OUT_DIR/nats-leaf-NAME.yaml      an estate made with `--leaf NAME:TENANT`: the public
#                                    key of the tenant's account, which the leaf node's
#                                    values (helm/regions/nats-leaf-NAME.yaml) bind to
# and prints the `kubectl create secret` commands for the provisioner's creds file and
# the tenants' signing key seeds (the callout's seeds and credentials files, the
# operator signing key and SYS creds of revocations, the agent's creds, each leaf node's
# creds), which stay out of values files. An estate made with `--region` also gets the
# order of the installs, one `nats` and one provisioner release per region
# (docs/global-helm.md).
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
# Revocations (the registry pushing a tenant account's revocations to the resolvers): the
# operator signing key seed and SYS's creds, as files of the Secret.
operator_signing_key="$(toml_value operator_signing_key)"
sys_creds="$(toml_value sys_creds)"
extra_keys=()
# A callout estate's credentials files (`callout/<tenant>.toml`, password hashes) go into
# the Secret; the policy names them where the chart mounts the Secret.
mapfile -t callout_files < <(sed -n 's/.*credentials = "callout\/\([^"\/]*\)\.toml".*/\1/p' "$policy")
for t in "${callout_files[@]}"; do extra_keys+=("$t-callout.toml"); done
if [[ -n "$operator_signing_key" && -n "$sys_creds" ]]; then
  extra_keys+=(operator-signing-key.nk sys.creds)
fi
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
  for key in registry registry_replicas history_max_age_secs; do
    value="$(toml_value "$key")"
    [[ -z "$value" ]] || echo "  $key: $value"
  done
  # A --region estate: the registry in the home region (`region:<home>`).
  placement="$(toml_value registry_placement)"
  [[ -z "$placement" ]] || echo "  registry_placement: \"$placement\""
  echo "secret:"
  echo "  name: provisioner-keys"
  echo "  create: false"
  if ((${#extra_keys[@]})); then
    echo "  extraKeys:"
    for k in "${extra_keys[@]}"; do echo "    - $k"; done
  fi
  if [[ -n "$operator_signing_key" && -n "$sys_creds" ]]; then
    echo "extraEnv:"
    echo "  - name: PROVISIONER_OPERATOR_SIGNING_KEY"
    echo "    value: $secret_dir/operator-signing-key.nk"
    echo "  - name: PROVISIONER_SYS_CREDS"
    echo "    value: $secret_dir/sys.creds"
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

# --- leaf nodes (--leaf NAME:TENANT) --------------------------------------------------
# servers/leaf-NAME.conf: `# nsc-setup leaf: name=leaf-NAME tenant=T …` and the remote
# bound to T's account.
leaf_secrets=()
for leaf_conf in "$estate"/servers/leaf-*.conf; do
  [[ -f "$leaf_conf" ]] || continue
  name="$(sed -n '1s/^# nsc-setup leaf: name=\([^ ]*\) .*/\1/p' "$leaf_conf")"
  tenant="$(sed -n '1s/.* tenant=\([^ ]*\) .*/\1/p' "$leaf_conf")"
  account="$(sed -n "s#.*account: \"\(A[A-Z2-7]\{55\}\)\", credentials: \"[^\"]*/$tenant/$name\.creds\".*#\1#p" "$leaf_conf")"
  [[ -n "$name" && -n "$tenant" && -n "$account" ]] ||
    { echo "values-from-estate: $leaf_conf has no remote bound to its tenant's account" >&2; exit 1; }
  {
    echo "# The public key of the account of leaf node $name's tenant $tenant, from"
    echo "# $leaf_conf. Goes with helm/regions/nats-$name.yaml, whose remotes"
    echo "# bind to this account and to the system account."
    echo "leafAccounts:"
    echo "  tenant: $account"
  } >"$out/nats-$name.yaml"
  echo "wrote $out/nats-$name.yaml"
  leaf_secrets+=("$(printf 'kubectl --namespace nats-%s create secret generic nats-%s-creds \\\n  --from-file=%s.creds=%s \\\n  --from-file=SYS.creds=%s' \
    "${name#leaf-}" "$name" "$tenant" "$estate/nkeys/creds/$operator/$tenant/$name.creds" "$estate/nkeys/creds/$operator/SYS/$name.creds")")
done

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
if [[ -n "$operator_signing_key" && -n "$sys_creds" ]]; then
  printf ' \\\n  --from-file=operator-signing-key.nk=%s' "$estate/$operator_signing_key"
  printf ' \\\n  --from-file=sys.creds=%s' "$estate/$sys_creds"
fi
printf '\n\n'
printf 'kubectl create secret generic agent-creds --from-file=agent.creds=%s\n' \
  "$estate/nkeys/creds/$operator/SERVICES/agent.creds"
if ((${#leaf_secrets[@]})); then
  echo
  echo "Each leaf node's creds (in its nats release's namespace, helm/regions/nats-leaf-*.yaml):"
  for s in "${leaf_secrets[@]}"; do printf '\n%s\n' "$s"; done
fi

# --- a --region estate: one nats and one provisioner release per region ---------------
mapfile -t regions < <(head -q -n 1 "$estate"/servers/*.conf 2>/dev/null |
  sed -n 's/^# nsc-setup member: region=\([^ ]*\) .*/\1/p' | awk '!seen[$0]++')
if ((${#regions[@]})); then
  home="${placement#region:}"
  order=()
  [[ -z "$home" ]] || order+=("$home")
  for r in "${regions[@]}"; do [[ "$r" == "$home" ]] || order+=("$r"); done
  echo
  echo "Regions: ${order[*]} (the registry in ${home:-?}). Each release in its region's cluster"
  echo "(docs/global-helm.md; helm/regions holds the files of us, eu, ap and edge: copy one"
  echo "for another name). First the servers of every region:"
  for r in "${order[@]}"; do
    echo
    echo "helm upgrade --install nats-$r nats/nats --namespace nats-$r --create-namespace \\"
    echo "  -f $out/nats-values.yaml -f helm/regions/nats-$r.yaml"
  done
  echo
  echo "then the accounts, pushed to any region (through"
  echo "kubectl --namespace nats-${order[0]} port-forward service/nats-${order[0]} 4222):"
  echo
  echo "nsc-setup push --dir $estate --server nats://127.0.0.1:4222"
  echo
  echo "then the provisioner of every region (with the Secrets above in namespace auth):"
  for r in "${order[@]}"; do
    echo
    echo "helm upgrade --install provisioner-$r helm/provisioner --namespace auth --create-namespace \\"
    echo "  -f $out/provisioner-values.yaml -f helm/provisioner/examples/region-$r-values.yaml"
  done
  for leaf_conf in "$estate"/servers/leaf-*.conf; do
    [[ -f "$leaf_conf" ]] || continue
    name="$(basename "$leaf_conf" .conf)"
    echo
    echo "and the leaf node $name (with its creds Secret):"
    echo
    echo "helm upgrade --install nats-$name nats/nats --namespace nats-${name#leaf-} --create-namespace \\"
    echo "  -f $out/nats-values.yaml -f helm/regions/nats-$name.yaml -f $out/nats-$name.yaml"
  done
fi
