"""The Python side of the e2e renew-now test (tests/tests/e2e/renewal/renew_now.rs).

Obtains creds over a bootstrap connection, connects with them, listens for the
provisioner's renew-now notices and starts renewing (on a schedule far beyond the test,
so only a notice renews early). Prints ``{"ready": …}`` once listening, then one line per
renewal event; after the first renewal ``{"renewed": …}`` with the notices heard and the
new JWT's publish permissions, and exits.
"""

import argparse
import asyncio
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import nats  # noqa: E402

from nats_creds_renew import Ask, Failed, FreshCreds, Renewed, new_user_key  # noqa: E402


def emit(**fields):
    print(json.dumps(fields), flush=True)


def publish_allow(jwt: str):
    payload = jwt.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims.get("nats", {}).get("pub", {}).get("allow", [])


async def run(args):
    bootstrap = await nats.connect(args.url, user_credentials=args.bootstrap_creds,
                                   inbox_prefix=b"_INBOX.bootstrap")
    fresh = FreshCreds(new_user_key(), Ask(name=args.name, ttl=args.ttl))
    await fresh.obtain(bootstrap)
    await bootstrap.close()
    nc = await nats.connect(args.url, **fresh.connect_kwargs())
    subscription = await fresh.listen_for_notices(nc)
    task = fresh.start(nc, connection=nc)
    emit(ready=subscription is not None, publish=publish_allow(fresh.user_jwt_cb().decode()))
    ready_at = time.monotonic()
    while True:
        event = await asyncio.wait_for(fresh.events.get(), timeout=args.wait)
        if isinstance(event, Failed):
            emit(failed=event.reason)
            continue
        if isinstance(event, Renewed):
            emit(renewed=event.expires, notices=fresh.notices,
                 after_ready_secs=round(time.monotonic() - ready_at, 3),
                 publish=publish_allow(fresh.user_jwt_cb().decode()))
            break
    task.cancel()
    await nc.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--bootstrap-creds", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--ttl", type=int, default=3600)
    parser.add_argument("--wait", type=float, default=60.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
