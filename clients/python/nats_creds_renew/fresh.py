"""Credentials that never lapse, for nats-py: the user's own key (its seed stays in this
process), the current JWT, and a renewal task.

nats-py calls ``user_jwt_cb`` and ``signature_cb`` on every connect and reconnect, so a
connection made with ``connect_kwargs()`` always presents the JWT current at that moment.
After each renewal the task reconnects the connection at once (``force_reconnect``):
nats-py treats the server's close of a connection whose JWT expired
(``-ERR 'User Authentication Expired'``) as final, so the JWT must be swapped before
the old one lapses. The protocol for other languages: docs/renewal.md.
"""

import asyncio
import logging
import os
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional

import nkeys

from .proof import Ask, Granted, b64url, read_reply, request_body

log = logging.getLogger("nats_creds_renew")

DEFAULT_SUBJECT = "creds.request"
# The last token of a renew-now notice's subject, inside the user's private inbox.
NOTICE_TOKEN = "renew-now"


def notice_subject(name: str) -> Optional[str]:
    """Where ``name`` hears the provisioner's renew-now notices, ``_INBOX.<name>.renew-now``
    (only that user may subscribe there); None for a name that is not one subject token."""
    if not name or any(c in ".*>" or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in name):
        return None
    return f"_INBOX.{name}.{NOTICE_TOKEN}"


def new_user_key():
    """A fresh user nkey (``U…``), made here; its seed never leaves this process."""
    return nkeys.from_seed(nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER))


def _jwt_times(jwt: str):
    """(iat, exp) of a JWT, read without verifying it (the server verifies it)."""
    import base64
    import json

    payload = jwt.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return int(claims.get("iat", 0)), int(claims.get("exp", 0))


@dataclass(frozen=True)
class Renewed:
    """New credentials are current; the next connect presents them."""

    expires: int


@dataclass(frozen=True)
class Failed:
    """A renewal attempt failed; the next comes after ``retry_in`` seconds."""

    reason: str
    retry_in: float


def renew_in(iat: int, exp: int, now: float, fraction: float, jitter: float, draw: float):
    """Seconds from ``now`` until renewal: at ``fraction`` of the lifetime less up to
    ``jitter`` of it; 0 when past; None for credentials that never expire."""
    if exp <= 0:
        return None
    lifetime = exp - min(iat, exp)
    return max(0.0, iat + lifetime * (fraction - jitter * draw) - now)


def backoff(failures: int, minimum: float, maximum: float, draw: float) -> float:
    """The wait before retry ``failures`` (1 first): doubling, capped, from the upper half."""
    base = min(maximum, minimum * (2 ** min(failures - 1, 30)))
    return base * (0.5 + 0.5 * draw)


class FreshCreds:
    """A user's key and current credentials, and the task that renews them.

    ``events`` (an asyncio.Queue) receives ``Renewed`` and ``Failed``; ``renewals`` and
    ``failures`` count them."""

    def __init__(self, key, ask: Ask, subject: str = DEFAULT_SUBJECT, fraction: float = 0.5,
                 jitter: float = 0.1, request_timeout: float = 5.0, backoff_min: float = 0.5,
                 backoff_max: float = 30.0, reconnect_on_renewal: bool = True):
        self._key = key
        self.ask = ask
        self.subject = subject
        self.fraction = min(max(fraction, 0.05), 0.95)
        self.jitter = min(max(jitter, 0.0), self.fraction - 0.01)
        self.request_timeout = request_timeout
        self.backoff_min = max(backoff_min, 0.01)
        self.backoff_max = max(backoff_max, self.backoff_min)
        self.reconnect_on_renewal = reconnect_on_renewal
        self._jwt: Optional[str] = None
        self._iat = self._exp = 0
        self._renew_now = asyncio.Event()
        # Bounded: a program that never reads events loses the oldest, not memory.
        self.events: asyncio.Queue = asyncio.Queue(maxsize=64)
        self.renewals = 0
        self.failures = 0
        self.notices = 0

    def __repr__(self):
        return f"FreshCreds(public_key={self.public_key!r}, ask={self.ask!r}, expires={self._exp})"

    @classmethod
    def from_creds(cls, text: str, ask: Ask, **options) -> "FreshCreds":
        """Continues from a creds file's text (its JWT and seed)."""
        jwt = _armored(text, "NATS USER JWT")
        fresh = cls(nkeys.from_seed(_armored(text, "USER NKEY SEED").encode()), ask, **options)
        fresh._take(jwt)
        return fresh

    @property
    def public_key(self) -> str:
        return self._key.public_key.decode("ascii")

    @property
    def expires(self) -> int:
        return self._exp

    # nats-py's callbacks: called on every connect and reconnect.
    def user_jwt_cb(self) -> bytes:
        if self._jwt is None:
            raise RuntimeError("no credentials obtained yet")
        return self._jwt.encode("ascii")

    def signature_cb(self, nonce: str) -> bytes:
        return b64url(self._key.sign(nonce.encode())).encode("ascii")

    def connect_kwargs(self) -> dict:
        """Keyword arguments for ``nats.connect``: the callbacks, the user's private inbox
        prefix (``_INBOX.<name>``) and reconnects without a limit."""
        return {
            "user_jwt_cb": self.user_jwt_cb,
            "signature_cb": self.signature_cb,
            "inbox_prefix": f"_INBOX.{self.ask.name}".encode(),
            "max_reconnect_attempts": -1,
        }

    def creds_file(self) -> str:
        """A creds file's text with the current JWT and the seed. Secret: write it 0600."""
        seed = self._key.seed.decode("ascii") if isinstance(self._key.seed, (bytes, bytearray)) else self._key.seed
        return (f"-----BEGIN NATS USER JWT-----\n{self._jwt}\n------END NATS USER JWT------\n\n"
                f"-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n")

    def _take(self, jwt: str):
        self._iat, self._exp = _jwt_times(jwt)
        self._jwt = jwt

    async def _request(self, nc, ask: Ask) -> Granted:
        msg = await nc.request(self.subject, request_body(self._key, ask), timeout=self.request_timeout)
        granted = read_reply(msg)
        self._take(granted.jwt)
        return granted

    async def obtain(self, requester) -> Granted:
        """Requests credentials over ``requester`` (a bootstrap connection, say) with the
        whole ask, token and ID token included; raises ``Refused`` or a nats error."""
        return await self._request(requester, self.ask)

    def renew_now(self):
        """Renews at once (a grant changed); a renewal backing off keeps its wait."""
        self._renew_now.set()

    async def listen_for_notices(self, connection):
        """Subscribes ``connection`` (the user's own) to the user's renew-now notices and
        renews at once on each (the provisioner says the grant changed); the server holds
        the subscription when this returns, and nats-py keeps it across reconnects.
        Returns the subscription, or None for a name without a private inbox."""
        subject = notice_subject(self.ask.name)
        if subject is None:
            return None

        async def on_notice(_msg):
            self.notices += 1
            log.info("renew-now notice: renewing at once")
            self.renew_now()

        subscription = await connection.subscribe(subject, cb=on_notice)
        await connection.flush()
        return subscription

    def start(self, requester, connection=None, on_event: Optional[Callable] = None) -> asyncio.Task:
        """Starts renewing over ``requester`` (the user's own connection where it may
        publish the request subject, else a bootstrap one); after each renewal
        ``connection`` reconnects with the new JWT. Cancel the task to stop."""
        return asyncio.get_running_loop().create_task(self._run(requester, connection, on_event))

    async def _wait_until_due(self):
        wait = renew_in(self._iat, self._exp, time.time(), self.fraction, self.jitter, random.random())
        if self._jwt is None:
            wait = 0.0
        try:
            await asyncio.wait_for(self._renew_now.wait(), timeout=wait)
        except asyncio.TimeoutError:
            pass
        self._renew_now.clear()

    async def _run(self, requester, connection, on_event):
        while True:
            await self._wait_until_due()
            failures = 0
            while True:
                ask = self.ask if self._jwt is None else self.ask.for_renewal()
                try:
                    granted = await self._request(requester, ask)
                except Exception as err:  # every failure backs off: refused, timeout, closed
                    failures += 1
                    self.failures += 1
                    retry_in = backoff(failures, self.backoff_min, self.backoff_max, random.random())
                    event = Failed(f"{type(err).__name__}: {err}", retry_in)
                    log.warning("renewal failed: %s; retrying in %.1fs", event.reason, retry_in)
                    self._emit(event, on_event)
                    await asyncio.sleep(retry_in)
                    continue
                self.renewals += 1
                log.info("credentials renewed, expire at %d", granted.expires)
                self._emit(Renewed(granted.expires), on_event)
                if self.reconnect_on_renewal and connection is not None:
                    await connection.force_reconnect()
                break

    def _emit(self, event, on_event):
        if self.events.full():
            self.events.get_nowait()
        self.events.put_nowait(event)
        if on_event is not None:
            on_event(event)


def _armored(text: str, label: str) -> str:
    """The line between ``-----BEGIN <label>-----`` and its end marker."""
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith("-----BEGIN") and label in line:
            for value in lines[i + 1:]:
                if value:
                    return value
    raise ValueError(f"not a creds file: no {label}")
