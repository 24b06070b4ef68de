"""The v2 canonical string is the service's: the strings provisioner/src/proof.rs pins."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import nkeys  # noqa: E402

from nats_creds_renew.fresh import new_user_key  # noqa: E402
from nats_creds_renew.proof import Ask, canonical_string_v2, request_body  # noqa: E402


class CanonicalString(unittest.TestCase):
    def test_the_v2_string_is_pinned(self):
        self.assertEqual(
            canonical_string_v2(Ask(name="alice"), "UKEY", 7, "n"),
            "nats-provisioner-proof-v2\ntenant=\nname=alice\npublic_key=UKEY\nts=7\nnonce=n\n"
            "ttl=\ntoken_sha256=\nid_token_sha256=\ntags=",
        )
        full = Ask(name="alice", tenant="acme", ttl=60, token="", id_token="abc",
                   tags=["team:x", "a:b", "é:1"])
        self.assertEqual(
            canonical_string_v2(full, "UKEY", 7, "n"),
            "nats-provisioner-proof-v2\ntenant=acme\nname=alice\npublic_key=UKEY\nts=7\nnonce=n\n"
            "ttl=60\n"
            "token_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "id_token_sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
            "tags=3:a:b,6:team:x,4:é:1",
        )

    def test_the_body_is_signed_by_the_users_key(self):
        key = new_user_key()
        self.assertTrue(key.public_key.startswith(b"U"))
        ask = Ask(name="alice", ttl=10, token="inv_x", tags=["team:red"])
        body = json.loads(request_body(key, ask))
        self.assertEqual(body["proof_version"], 2)
        self.assertEqual(body["public_key"], key.public_key.decode())
        text = canonical_string_v2(ask, body["public_key"], body["ts"], body["nonce"])
        proof = body["proof"] + "=" * (-len(body["proof"]) % 4)
        import base64
        verifier = nkeys.from_seed(key.seed)
        self.assertTrue(verifier.verify(text.encode(), base64.urlsafe_b64decode(proof)))
        self.assertNotIn("token", json.loads(request_body(key, ask.for_renewal())))


if __name__ == "__main__":
    unittest.main()
