"""The credential request as the provisioner reads it: the JSON body and its v2 proof.

The canonical string is the provisioner's (provisioner/src/proof.rs, the README's
"The credential request"): one ``key=value`` line per field in this order, ``\\n``
between lines and none after the last; secrets enter only as SHA-256 digests and each
tag carries its length. tests/test_proof.py pins the same strings as the service's tests.
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import List, Optional

PROOF_CONTEXT_V2 = "nats-provisioner-proof-v2"

# A nonce of 22 characters from the alphabet the service accepts (16 to 128 of A-Z a-z 0-9 _ -).
_NONCE_BYTES = 16


@dataclass(frozen=True)
class Ask:
    """What a client asks for. ``token`` and ``id_token`` vouch for the first request
    only; a renewal never resends them (an invite is single-use, an ID token short-lived)."""

    name: str
    tenant: Optional[str] = None
    ttl: Optional[int] = None
    tags: List[str] = field(default_factory=list)
    token: Optional[str] = field(default=None, repr=False)
    id_token: Optional[str] = field(default=None, repr=False)

    def for_renewal(self) -> "Ask":
        return replace(self, token=None, id_token=None)


def _digest(secret: Optional[str]) -> str:
    return "" if secret is None else hashlib.sha256(secret.encode("utf-8")).hexdigest()


def canonical_string_v2(ask: Ask, public_key: str, ts: int, nonce: str) -> str:
    """The v2 string the proof signs (byte for byte the service's)."""
    tags = sorted(ask.tags, key=lambda t: t.encode("utf-8"))
    tag_text = ",".join(f"{len(t.encode('utf-8'))}:{t}" for t in tags)
    lines = [
        PROOF_CONTEXT_V2,
        f"tenant={ask.tenant or ''}",
        f"name={ask.name}",
        f"public_key={public_key}",
        f"ts={ts}",
        f"nonce={nonce}",
        f"ttl={'' if ask.ttl is None else int(ask.ttl)}",
        f"token_sha256={_digest(ask.token)}",
        f"id_token_sha256={_digest(ask.id_token)}",
        f"tags={tag_text}",
    ]
    return "\n".join(lines)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def request_body(key, ask: Ask) -> bytes:
    """The JSON request for ``ask``, proven with ``key`` (an nkeys KeyPair holding a seed),
    with a fresh nonce and the current time."""
    public_key = key.public_key.decode("ascii")
    ts = int(time.time())
    nonce = b64url(secrets.token_bytes(_NONCE_BYTES))
    text = canonical_string_v2(ask, public_key, ts, nonce)
    body = {
        "name": ask.name,
        "public_key": public_key,
        "ts": ts,
        "nonce": nonce,
        "proof": b64url(key.sign(text.encode("utf-8"))),
        "proof_version": 2,
    }
    if ask.tenant is not None:
        body["tenant"] = ask.tenant
    if ask.token is not None:
        body["token"] = ask.token
    if ask.ttl is not None:
        body["ttl"] = int(ask.ttl)
    if ask.tags:
        body["tags"] = list(ask.tags)
    if ask.id_token is not None:
        body["id_token"] = ask.id_token
    return json.dumps(body).encode("utf-8")


class Refused(Exception):
    """The service refused: its status, code and reason (safe to show)."""

    def __init__(self, status: int, code: str, reason: str):
        super().__init__(f"refused ({status} {code}): {reason}")
        self.status, self.code, self.reason = status, code, reason


@dataclass(frozen=True)
class Granted:
    jwt: str = field(repr=False)
    expires: int
    account: str
    name: str
    request_id: str


def read_reply(msg) -> Granted:
    """Granted credentials from a reply message, or raises Refused / ValueError."""
    status = (msg.headers or {}).get("Nats-Service-Error-Code")
    body = json.loads(msg.data)
    if status is not None:
        error = body.get("error", {})
        raise Refused(int(status), error.get("code", ""), error.get("reason", ""))
    return Granted(body["jwt"], int(body["expires"]), body["account"], body["name"], body["request_id"])
