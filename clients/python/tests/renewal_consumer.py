"""The Python side of the e2e renewal test (tests/tests/e2e/renewal.rs runs it).

Obtains short-lived creds over a bootstrap connection, then, on its own connection that
renews them, consumes a JetStream durable pull consumer (acknowledging each message,
synchronously) and a core-NATS subscription of numbered ticks, until it has processed
``--expect`` messages. Prints one JSON line per renewal event and a final summary line
(``{"summary": …}``) with the figures the Rust test asserts.
"""

import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import nats  # noqa: E402

from nats_creds_renew import Ask, Failed, FreshCreds, Renewed, new_user_key  # noqa: E402

# Retry pacing while the connection is being swapped (not a wait for state: each retry
# checks again).
RETRY_PAUSE = 0.05
ACK_ATTEMPTS = 20


def emit(**fields):
    print(json.dumps(fields), flush=True)


def gaps_of(ticks):
    """Runs of tick numbers missing between consecutive received ticks."""
    gaps = []
    for previous, current in zip(ticks, ticks[1:]):
        if current > previous + 1:
            gaps.append(current - previous - 1)
    return gaps


def resume_delays(reconnects, tick_times):
    """Seconds from each reconnect to the next tick (reconnects after the last tick aside)."""
    delays = []
    for swap in reconnects:
        after = [t for t in tick_times if t > swap]
        if after:
            delays.append(after[0] - swap)
    return delays


async def ack(msg):
    """Acknowledges and waits for the server to confirm; retried across a reconnect. A
    confirmation lost with the old connection may leave the ack unconfirmed though done."""
    for _ in range(ACK_ATTEMPTS):
        try:
            await msg.ack_sync(timeout=1.0)
            return True
        except Exception:
            await asyncio.sleep(RETRY_PAUSE)
    return False


async def run(args):
    bootstrap = await nats.connect(args.url, user_credentials=args.bootstrap_creds,
                                   inbox_prefix=b"_INBOX.bootstrap")
    fresh = FreshCreds(new_user_key(), Ask(name=args.name, ttl=args.ttl), fraction=args.fraction)
    granted = await fresh.obtain(bootstrap)
    await bootstrap.close()
    emit(obtained=granted.expires)

    counts = {"disconnects": 0, "errors": 0}
    reconnects = []

    async def disconnected():
        counts["disconnects"] += 1

    async def reconnected():
        reconnects.append(time.monotonic())

    async def error(err):
        counts["errors"] += 1
        emit(client_error=str(err))

    nc = await nats.connect(args.url, **fresh.connect_kwargs(), disconnected_cb=disconnected,
                            reconnected_cb=reconnected, error_cb=error, reconnect_time_wait=0.2)

    def on_event(event):
        if isinstance(event, Renewed):
            emit(renewed=event.expires)
        elif isinstance(event, Failed):
            emit(failed=event.reason, retry_in=event.retry_in)

    renewal = fresh.start(nc, connection=nc, on_event=on_event)

    ticks = []

    tick_times = []

    async def on_tick(msg):
        ticks.append(int(msg.data))
        tick_times.append(time.monotonic())

    await nc.subscribe(args.ticks_subject, cb=on_tick)
    await nc.flush()
    emit(ready=True)
    js = nc.jetstream()
    pull = await js.pull_subscribe_bind(durable=args.consumer, stream=args.stream)
    processed, duplicates, skipped, unconfirmed = 0, 0, [], 0
    deadline = time.monotonic() + args.deadline
    while processed < args.expect and time.monotonic() < deadline:
        try:
            msgs = await pull.fetch(1, timeout=1.0)
        except nats.errors.TimeoutError:
            continue
        except Exception:
            await asyncio.sleep(RETRY_PAUSE)
            continue
        for msg in msgs:
            seq = msg.metadata.sequence.stream
            if seq <= processed:
                duplicates += 1
            elif seq == processed + 1:
                processed = seq
            else:
                skipped.append([processed + 1, seq - 1])
                processed = seq
            if not await ack(msg):
                unconfirmed += 1
    # The last tick follows the last message: give it a moment to arrive.
    tick_deadline = time.monotonic() + 5.0
    while (not ticks or ticks[-1] < args.expect) and time.monotonic() < tick_deadline:
        await asyncio.sleep(RETRY_PAUSE)
    renewal.cancel()
    emit(summary={
        "processed": processed,
        "duplicates": duplicates,
        "skipped": skipped,
        "unconfirmed_acks": unconfirmed,
        "renewals": fresh.renewals,
        "failures": fresh.failures,
        "ticks": len(ticks),
        "last_tick": ticks[-1] if ticks else 0,
        "gaps": gaps_of(ticks),
        "ticks_in_order": ticks == sorted(set(ticks)),
        "reconnects": len(reconnects),
        "max_resume": max(resume_delays(reconnects, tick_times), default=None),
        **counts,
    })
    await nc.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--bootstrap-creds", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--ttl", type=int, default=10)
    parser.add_argument("--fraction", type=float, default=0.5)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--consumer", required=True)
    parser.add_argument("--ticks-subject", required=True)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--deadline", type=float, default=240.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
