"""Credentials that never lapse for nats-py clients of the NATS provisioner.

    fresh = FreshCreds(new_user_key(), Ask(name="alice", ttl=600))
    await fresh.obtain(bootstrap_nc)                  # the first creds, v2 proof
    nc = await nats.connect(url, **fresh.connect_kwargs())
    await fresh.listen_for_notices(nc)                # renew at once when told to
    task = fresh.start(nc, connection=nc)             # renew at half the lifetime

See docs/renewal.md for the protocol.
"""

from .fresh import (
    DEFAULT_SUBJECT,
    Failed,
    FreshCreds,
    Renewed,
    backoff,
    new_user_key,
    notice_subject,
    renew_in,
)
from .proof import Ask, Granted, Refused, canonical_string_v2, request_body

__all__ = [
    "Ask",
    "DEFAULT_SUBJECT",
    "Failed",
    "FreshCreds",
    "Granted",
    "Refused",
    "Renewed",
    "backoff",
    "canonical_string_v2",
    "new_user_key",
    "notice_subject",
    "renew_in",
    "request_body",
]
