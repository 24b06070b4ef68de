"""When the helper renews and how it backs off: the same arithmetic as the Rust library."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from nats_creds_renew.fresh import backoff, renew_in  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
