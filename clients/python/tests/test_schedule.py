"""When the helper renews and how it backs off: the same arithmetic as the Rust library."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from nats_creds_renew.fresh import backoff, notice_subject, renew_in  # noqa: E402


class Schedule(unittest.TestCase):
    def test_renewal_falls_at_the_fraction_less_at_most_the_jitter(self):
        self.assertEqual(renew_in(1000, 1010, 1000.0, 0.5, 0.1, 0.0), 5.0)
        self.assertAlmostEqual(renew_in(1000, 1010, 1000.0, 0.5, 0.1, 1.0), 4.0)
        self.assertEqual(renew_in(1000, 1010, 1003.5, 0.5, 0.1, 0.0), 1.5)
        self.assertEqual(renew_in(1000, 1010, 1009.0, 0.5, 0.1, 0.0), 0.0)
        self.assertIsNone(renew_in(1000, 0, 1000.0, 0.5, 0.1, 0.0))

    def test_backoff_doubles_to_the_cap_and_never_spins(self):
        self.assertEqual(backoff(1, 0.5, 30.0, 1.0), 0.5)
        self.assertEqual(backoff(2, 0.5, 30.0, 1.0), 1.0)
        self.assertEqual(backoff(40, 0.5, 30.0, 1.0), 30.0)
        self.assertEqual(backoff(1, 0.5, 30.0, 0.0), 0.25)

    def test_notices_arrive_in_the_private_inbox(self):
        self.assertEqual(notice_subject("alice"), "_INBOX.alice.renew-now")
        self.assertIsNone(notice_subject("a.b"))
        self.assertIsNone(notice_subject("a b"))
        self.assertIsNone(notice_subject(""))


if __name__ == "__main__":
    unittest.main()


class CredsFile(unittest.TestCase):
    def test_a_creds_file_round_trips_and_repr_hides_secrets(self):
        import base64
        import json

        from nats_creds_renew import Ask, FreshCreds, new_user_key

        def part(value):
            return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

        jwt = f"{part({'typ': 'JWT'})}.{part({'iat': 1000, 'exp': 1010})}.sig"
        key = new_user_key()
        seed = key.seed.decode()
        text = (f"-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n"
                f"-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n")
        fresh = FreshCreds.from_creds(text, Ask(name="alice", token="inv_SECRET"))
        self.assertEqual(fresh.public_key, key.public_key.decode())
        self.assertEqual(fresh.expires, 1010)
        self.assertEqual(fresh.user_jwt_cb(), jwt.encode())
        self.assertEqual(fresh.creds_file(), text)
        self.assertNotIn(seed, repr(fresh))
        self.assertNotIn("SECRET", repr(fresh))
        self.assertEqual(fresh.connect_kwargs()["inbox_prefix"], b"_INBOX.alice")
