#!/usr/bin/python3
"""scripts/vault-dev-server and the lifetime of secrets: TTLs, renewal, expiry.

The test clock (POST /_control/clock), leases of database/creds with a role's
default_ttl/max_ttl, sys/leases/renew|revoke|revoke-prefix|lookup (and LIST), token
renewal against explicit_max_ttl, the system max TTL and periods, AppRole's
token_ttl/token_max_ttl, and KV v2 metadata as change polling reads it.  Expected
answers follow Vault's source (sdk/framework/lease.go CalculateTTL, vault/expiration.go,
vault/logical_system.go, vault/token_store.go, the KV plugin's path_metadata.go).

Standard library only; test_devserver_protocol.py loads this file too.  Alone:
    /usr/bin/python3 -m unittest -v tests/devserver/test_devserver_lifecycle.py
No token or secret value is ever printed by these tests.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from test_devserver_protocol import DevServer, call  # noqa: E402


class _Srv:
    """One dev server (with --control) for one test; s.req(...) uses the root token."""

    def __init__(self, test, *args):
        self.d = DevServer("--control", *args)
        test.addCleanup(self.d.stop)
        self.root = self.d.root_token

    def req(self, method, path, body=None, token="ROOT"):
        if token == "ROOT":
            token = self.root
        c = self.d.conn()
        try:
            st, _, _, j = call(c, method, path, body=body, token=token)
            return st, j
        finally:
            c.close()

    def advance(self, secs):
        st, j = self.req("POST", "/_control/clock", {"advance_s": secs}, token=None)
        assert st == 200, (st, j)
        return j

    def token(self, **body):
        body.setdefault("policies", ["default"])
        st, j = self.req("POST", "/v1/auth/token/create", body)
        assert st == 200, (st, j)
        return j


class ClockTest(unittest.TestCase):

    def test_advance_moves_token_expiry(self):
        s = _Srv(self)
        tok = s.token(ttl="60s")["auth"]["client_token"]
        st, j = s.req("GET", "/v1/auth/token/lookup-self", token=tok)
        self.assertEqual(st, 200)
        self.assertIn(j["data"]["ttl"], (59, 60))
        j = s.advance(30)
        self.assertEqual(j["offset_s"], 30)
        st, j = s.req("GET", "/v1/auth/token/lookup-self", token=tok)
        self.assertEqual(st, 200)
        self.assertIn(j["data"]["ttl"], (29, 30))
        s.advance(31)
        st, j = s.req("GET", "/v1/auth/token/lookup-self", token=tok)
        self.assertEqual(st, 403)

    def test_clock_reads_and_rejects_bad_input(self):
        s = _Srv(self)
        st, j = s.req("GET", "/_control/clock", token=None)
        self.assertEqual((st, j["offset_s"]), (200, 0))
        for bad in (-1, "10", None, True):
            st, _ = s.req("POST", "/_control/clock", {"advance_s": bad}, token=None)
            self.assertEqual(st, 400, bad)
        s.advance(3600)
        st, j = s.req("GET", "/v1/sys/health", token=None)
        import time
        self.assertGreaterEqual(j["server_time_utc"], int(time.time()) + 3590)

    def test_clock_is_control_only(self):
        d = DevServer()
        self.addCleanup(d.stop)
        c = d.conn()
        self.addCleanup(c.close)
        st, _, _, _ = call(c, "POST", "/_control/clock", body={"advance_s": 5})
        self.assertEqual(st, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
