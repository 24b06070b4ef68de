#!/usr/bin/env bash
# Measures the provisioner with its own load generator (`provisioner bench`), server and
# load generator on this machine: the seed flow (plain-text requests, the tutorial's
# one-account layout) and the proof flow (JSON requests with proof of key possession,
# through a tenant's import on an nsc-setup estate), the auth callout (clients
# connecting with a user and password), and the HTTP API (`portal bench`: POST
# /api/v1/credentials through the portal, beside the NATS request path on the same
# estate). Prints creds/s (connections/s) and latency.
#
# Environment: CONCURRENCY (default 64), DURATION (default 10s), PORT (default 14222;
# the portal takes the next one), SEED_USERS (active users written into the registry for
# the large-tenant flow, default 100000), FLOWS (the sections to run, of "seed proof
# registry callout http"; default all).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
concurrency="${CONCURRENCY:-64}"
duration="${DURATION:-10s}"
port="${PORT:-14222}"
work="$(mktemp -d)"
pids=()
stop_all() { # newest first: the provisioner drains while its server is still up
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  pids=()
}
cleanup() {
  stop_all
  rm -rf "$work"
}
trap cleanup EXIT

want() { [[ -z "${FLOWS:-}" || " $FLOWS " == *" $1 "* ]]; }

wait_for_line() {
  local file=$1 needle=$2 deadline=$((SECONDS + 30))
  until grep -qF "$needle" "$file" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "timed out waiting for '$needle' in $file" >&2; tail -n 20 "$file" >&2; exit 1; }
    sleep 0.1
  done
}

./scripts/install-test-tools.sh >/dev/null
cargo build --release --locked -q -p provisioner -p nsc-setup -p portal
cargo build --release --locked -q -p integration-tests --example seed_estate --example seed_registry \
  --example demo_idp
bin="${CARGO_TARGET_DIR:-target}/release"
nats_server=.tools/venv/bin/nats-server
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# Where the provisioner's time went in the run just made: its per-step metrics.
profile() { # provisioner-log
  local addr
  addr="$(grep -m1 'admin endpoint listening' "$1" | sed 's/.*addr=\([^ ]*\).*/\1/' | sed 's/\x1b\[[0-9;]*m//g')"
  curl -fsS "http://$addr/metrics" | python3 scripts/step-profile.py ||
    echo "  (no profile: /metrics not reachable at '$addr')"
}

# CPU time (user + system) the given processes have used, in clock ticks.
cpu_ticks() { local pid total=0; for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done; echo "$total"; }

# Runs the load tool with the given arguments, then prints the CPU time the responder and
# nats-server spent per credential: the cost of one issuance, whatever else the machine
# was doing. Returns the load tool's status (non-zero when requests were refused).
bench_with_cpu() { # "responder-pids" server-pid out-file load-tool-args...
  local responders=$1 server=$2 out=$3 status=0
  shift 3
  local r0 s0 r1 s1 n
  # shellcheck disable=SC2086 # one argument per pid
  r0="$(cpu_ticks $responders)"
  s0="$(cpu_ticks "$server")"
  "$bin/provisioner" bench "$@" | tee "$out" || status=$?
  # shellcheck disable=SC2086
  r1="$(cpu_ticks $responders)"
  s1="$(cpu_ticks "$server")"
  n="$(grep -m1 -oE '^(creds|connections) [0-9]+' "$out" | cut -d' ' -f2)"
  awk -v r=$((r1 - r0)) -v s=$((s1 - s0)) -v n="${n:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    if (n > 0) printf "CPU per credential: responder %.0f us, nats-server %.0f us\n", r / hz / n * 1e6, s / hz / n * 1e6 }'
  return "$status"
}

run_server() { # config log
  "$nats_server" -c "$1" -a 127.0.0.1 -p "$port" -l "$2" &
  pids+=($!)
  wait_for_line "$2" "Server is ready"
}

if want seed; then
echo
echo "== seed flow (legacy plain-text requests, tutorial layout)"
"$bin/examples/seed_estate" "$work/seed" >/dev/null
run_server "$work/seed/server.conf" "$work/seed-server.log"
"$bin/provisioner" serve -s "nats://127.0.0.1:$port" --acc "$work/seed/KUBECON.jwt" \
  --sk "$work/seed/sk.nk" --creds "$work/seed/chat-access.creds" >"$work/seed-provisioner.log" 2>&1 &
pids+=($!)
wait_for_line "$work/seed-provisioner.log" serving
"$bin/provisioner" bench -s "nats://127.0.0.1:$port" --creds "$work/seed/chat-creds-request.creds" \
  --subject chat.req.access --legacy --concurrency 1 --duration 1s >/dev/null 2>&1 || true
"$bin/provisioner" bench -s "nats://127.0.0.1:$port" --creds "$work/seed/chat-creds-request.creds" \
  --subject chat.req.access --legacy --concurrency "$concurrency" --duration "$duration"
stop_all
fi

if want proof; then
echo
echo "== proof flow (JSON with a v2 proof of possession, through tenant acme's import)"
"$bin/nsc-setup" init --dir "$work/estate" --operator OP --tenant acme --resolver memory --port "$port" >/dev/null
run_server "$work/estate/server.conf" "$work/estate-server.log"
"$bin/provisioner" serve --config "$work/estate/provisioner.toml" -s "nats://127.0.0.1:$port" \
  --admin-addr 127.0.0.1:0 >"$work/estate-provisioner.log" 2>&1 &
pids+=($!)
wait_for_line "$work/estate-provisioner.log" serving
bench_with_cpu "${pids[-1]}" "${pids[0]}" "$work/proof.out" -s "nats://127.0.0.1:$port" \
  --creds "$work/estate/nkeys/creds/OP/acme/bootstrap.creds" \
  --subject creds.request --concurrency "$concurrency" --duration "$duration"
profile "$work/estate-provisioner.log"
stop_all

# The same work by a plain Go responder (bench/go-peer: nats.go and jwt/v2 from Debian's
# packages), on the same estate with the same load tool, at 2 and 4 workers.
if ! command -v go >/dev/null || [[ ! -d /usr/share/gocode/src/github.com/nats-io/jwt/v2 ]]; then
  echo "installing Go and the NATS Go libraries (Debian packages) for the Go peer"
  apt-get install -y -qq golang-go golang-github-nats-io-jwt-dev golang-github-nats-io-go-nats-dev \
    golang-github-nats-io-nkeys-dev >/dev/null ||
    { echo "bench: the Go peer needs: apt-get install golang-go golang-github-nats-io-jwt-dev golang-github-nats-io-go-nats-dev golang-github-nats-io-nkeys-dev" >&2; exit 1; }
fi
(cd bench/go-peer && GO111MODULE=off GOPATH=/usr/share/gocode go build -o "$work/go-peer" .)
signing_key="$(grep -m1 -o 'signing_key = { public_key = "[A-Z0-9]*' "$work/estate/policy.toml" | sed 's/.*"//')"
acme_account="$(grep -m1 '^account = ' "$work/estate/policy.toml" | sed 's/.*"\(.*\)"/\1/')"
best_go=0
for workers in 2 4; do
  echo
  echo "== Go peer, $workers workers (same estate, same load tool)"
  run_server "$work/estate/server.conf" "$work/estate-server-go$workers.log"
  "$work/go-peer" -s "nats://127.0.0.1:$port" -creds "$work/estate/nkeys/creds/OP/AUTH/provisioner.creds" \
    -sk "$work/estate/nkeys/keys/A/${signing_key:1:2}/$signing_key.nk" -account "$acme_account" \
    -workers "$workers" >"$work/go-peer-$workers.log" 2>&1 &
  pids+=($!)
  wait_for_line "$work/go-peer-$workers.log" serving
  bench_with_cpu "${pids[-1]}" "${pids[0]}" "$work/go-$workers.out" -s "nats://127.0.0.1:$port" \
    --creds "$work/estate/nkeys/creds/OP/acme/bootstrap.creds" \
    --subject creds.request --concurrency "$concurrency" --duration "$duration"
  stop_all
  rate="$(grep -o '[0-9]* creds/s' "$work/go-$workers.out" | cut -d' ' -f1)"
  ((rate > best_go)) && best_go=$rate
done
ours="$(grep -o '[0-9]* creds/s' "$work/proof.out" | cut -d' ' -f1)"
echo
echo "== proof flow: ours $ours creds/s, Go peer's best $best_go creds/s: ratio $(awk -v a="$ours" -v b="$best_go" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x"
fi

# The proof flow with the registry (JetStream KV: names, quotas, rate limits), with the
# tenant's policy as nsc-setup writes it and then with `$1` appended to it.
registry_flow() { # label extra-policy-lines [active users to seed first] [replicas]
  local dir="$work/registry-$RANDOM"
  echo
  echo "== proof flow with the registry: $1"
  "$bin/nsc-setup" init --dir "$dir" --operator OP --tenant acme --resolver full --jetstream \
    --port "$port" >/dev/null
  [[ -z "$2" ]] || printf '%s\n' "$2" >>"$dir/policy.toml"
  run_server "$dir/server.conf" "$dir-server.log"
  if [[ -n "${3:-}" ]]; then
    "$bin/examples/seed_registry" "nats://127.0.0.1:$port" "$dir/nkeys/creds/OP/AUTH/provisioner.creds" \
      acme "$3" 1000000
  fi
  local replica
  for ((replica = 1; replica <= ${4:-1}; replica++)); do
    "$bin/provisioner" serve --config "$dir/provisioner.toml" -s "nats://127.0.0.1:$port" \
      --admin-addr 127.0.0.1:0 >"$dir-provisioner-$replica.log" 2>&1 &
    pids+=($!)
    wait_for_line "$dir-provisioner-$replica.log" serving
  done
  # A short warm-up first: the server may still be writing what was seeded to disk.
  "$bin/provisioner" bench -s "nats://127.0.0.1:$port" --creds "$dir/nkeys/creds/OP/acme/bootstrap.creds" \
    --subject creds.request --name-prefix warm --concurrency "$concurrency" --duration 2s >/dev/null 2>&1 || true
  # A refused request makes the load generator exit non-zero; its figures still count.
  bench_with_cpu "${pids[*]:1}" "${pids[0]}" "$dir.out" -s "nats://127.0.0.1:$port" \
    --creds "$dir/nkeys/creds/OP/acme/bootstrap.creds" \
    --subject creds.request --concurrency "$concurrency" --duration "$duration" ||
    echo "(some requests were refused: see 'refused' above)"
  ((${4:-1} > 1)) || profile "$dir-provisioner-1.log"
  stop_all
}
if want registry; then
registry_flow "no quota, no rate limit" ""
registry_flow "no quota, no rate limit, two provisioner replicas in one queue group" "" "" 2
limits='quotas.max_active_users = 1000000
rate_limits = { window_secs = 3600, per_tenant = 100000000, per_requester = 100000000 }'
registry_flow "quota 1,000,000 and rate limits of 100,000,000 per hour (far from both)" "$limits"
registry_flow "the same limits, 100,000 active users in the tenant" "$limits" "${SEED_USERS:-100000}"
fi

if want callout; then
echo
echo "== callout flow (user and password at CONNECT, through AUTH's auth callout, xkey sealed)"
"$bin/nsc-setup" init --dir "$work/callout" --operator OP --tenant acme --resolver memory \
  --port "$port" --callout >/dev/null
salt="bench-$RANDOM"
password="bench-password-$RANDOM$RANDOM"
digest="$(printf '%s%s' "$salt" "$password" | sha256sum | cut -d' ' -f1)"
printf '\n[[users]]\nuser = "bencher"\nsalt = "%s"\npassword_sha256 = "%s"\n' "$salt" "$digest" \
  >>"$work/callout/callout/acme.toml"
printf '%s' "$password" >"$work/callout-password"
run_server "$work/callout/server.conf" "$work/callout-server.log"
"$bin/provisioner" serve --config "$work/callout/provisioner.toml" -s "nats://127.0.0.1:$port" \
  --admin-addr 127.0.0.1:0 >"$work/callout-provisioner.log" 2>&1 &
pids+=($!)
wait_for_line "$work/callout-provisioner.log" serving
# The server's pid is the one before the provisioner's.
bench_with_cpu "${pids[-1]}" "${pids[-2]}" "$work/callout.out" -s "nats://127.0.0.1:$port" \
  --connect-user bencher --connect-password-file "$work/callout-password" \
  --concurrency "$concurrency" --duration "$duration"
profile "$work/callout-provisioner.log"
echo
echo "== plain JWT connections with the same client tool (a tenant's bootstrap creds, no callout)"
bench_with_cpu "${pids[-1]}" "${pids[-2]}" "$work/plain.out" -s "nats://127.0.0.1:$port" \
  --connect-only --creds "$work/callout/nkeys/creds/OP/acme/bootstrap.creds" \
  --concurrency "$concurrency" --duration "$duration"
stop_all
fi

if want http; then
echo
echo "== HTTP API beside the NATS request path (one estate: registry, history, auth callout)"
# The portal's callers are 64 people of a stand-in issuer (demo_idp), each asking for a
# new device name of theirs per request; the portal's own limit per identity is off.
dir="$work/portal"
"$bin/nsc-setup" init --dir "$dir" --operator OP --tenant acme --resolver full --jetstream \
  --callout --port "$port" --portal --oidc-issuer https://idp.portal.test --oidc-audience portal \
  --oidc-jwks-file jwks.json --oidc-tenant-claim tenant --oidc-tags-claim groups >/dev/null
"$bin/examples/demo_idp" setup "$dir" >/dev/null
run_server "$dir/server.conf" "$dir-server.log"
"$bin/provisioner" serve --config "$dir/provisioner.toml" -s "nats://127.0.0.1:$port" \
  --admin-addr 127.0.0.1:0 >"$dir-provisioner.log" 2>&1 &
pids+=($!)
wait_for_line "$dir-provisioner.log" serving
"$bin/portal" serve --config "$dir/portal.toml" -s "nats://127.0.0.1:$port" \
  --listen "127.0.0.1:$((port + 1))" --admin-addr 127.0.0.1:0 --rate-per-identity 0 >"$dir-portal.log" 2>&1 &
pids+=($!)
wait_for_line "$dir-portal.log" "portal listening"
for ((k = 0; k < concurrency; k++)); do
  echo "b$k $("$bin/examples/demo_idp" token "$dir" "b$k" acme)"
done >"$work/tokens"
"$bin/portal" bench --url "http://127.0.0.1:$((port + 1))" --tokens "$work/tokens" --concurrency 8 \
  --duration 2s >/dev/null 2>&1 || true # warm-up: the callers' logins
echo "-- NATS request path (bootstrap creds, proof flow)"
"$bin/provisioner" bench -s "nats://127.0.0.1:$port" --creds "$dir/nkeys/creds/OP/acme/bootstrap.creds" \
  --subject creds.request --concurrency "$concurrency" --duration "$duration" | tee "$work/nats-path.out" || true
echo "-- HTTP API"
"$bin/portal" bench --url "http://127.0.0.1:$((port + 1))" --tokens "$work/tokens" \
  --concurrency "$concurrency" --duration "$duration" | tee "$work/http-path.out" || true
nats_rate="$(grep -o '[0-9]* creds/s' "$work/nats-path.out" | cut -d' ' -f1)"
http_rate="$(grep -o '[0-9]* creds/s' "$work/http-path.out" | cut -d' ' -f1)"
echo "== HTTP API $http_rate creds/s, NATS request path $nats_rate creds/s: ratio $(awk -v a="${http_rate:-0}" -v b="${nats_rate:-0}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x"
stop_all
fi
