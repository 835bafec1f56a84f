#!/usr/bin/python3
"""scripts/vault-dev-server playing other servers and other roles.

--mimic (Vault versions, Enterprise, OpenBao: version, invalid-token wording,
namespaces), rate-limit quotas, the Vault Agent/Proxy role (--agent-of), an HA
standby that forwards (--standby-of, --no-forwarding), the mount lookup's token
handling, leases that die with their token, and plain HTTP sent to the TLS listener.

Standard library only; test_devserver_protocol.py loads this file too, so
    /usr/bin/python3 -m unittest -v tests/devserver/test_devserver_protocol.py
runs both.  Alone:
    /usr/bin/python3 -m unittest -v tests/devserver/test_devserver_editions.py
No token or secret value is ever printed by these tests.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from test_devserver_protocol import DENIED, INVALID_TOKEN, SERVER, DevServer, call  # noqa: E402


class _Srv:
    """One dev server for one test: s.req(...) with the root token by default."""

    def __init__(self, test, *args, **kw):
        self.d = DevServer(*args, **kw)
        test.addCleanup(self.d.stop)
        self.root = self.d.root_token
        self.url = self.d.url

    def req(self, method, path, body=None, token="ROOT", headers=None):
        if token == "ROOT":
            token = self.root
        c = self.d.conn()
        try:
            return call(c, method, path, body=body, token=token, headers=headers)
        finally:
            c.close()

    def token(self, policies, headers=None, **extra):
        body = {"policies": policies}
        body.update(extra)
        st, _, _, j = self.req("POST", "/v1/auth/token/create", body, headers=headers)
        assert st == 200, st
        return j["auth"]["client_token"]


# --------------------------------------------------------------------------
# 1. --mimic
# --------------------------------------------------------------------------

class MimicTest(unittest.TestCase):

    def health(self, s):
        st, _, _, j = s.req("GET", "/v1/sys/health", token=None)
        self.assertEqual(st, 200)
        st2, _, _, j2 = s.req("GET", "/v1/sys/seal-status", token=None)
        self.assertEqual(st2, 200)
        self.assertEqual(j["version"], j2["version"])
        return j

    def invalid_and_denied(self, s):
        tok = s.token(["default"])
        st, _, _, denied = s.req("GET", "/v1/secret/data/x", token=tok)
        self.assertEqual(st, 403)
        self.assertEqual(s.req("POST", "/v1/auth/token/revoke-self", {}, token=tok)[0], 204)
        st, _, _, invalid = s.req("GET", "/v1/secret/data/x", token=tok)
        self.assertEqual(st, 403)
        return denied["errors"], invalid["errors"]

    def test_default_is_vault_1_19_community(self):
        s = _Srv(self)
        h = self.health(s)
        self.assertEqual((h["version"], h["enterprise"]), ("1.19.0", False))
        denied, invalid = self.invalid_and_denied(s)
        self.assertEqual(denied, [DENIED])
        self.assertEqual(invalid, [INVALID_TOKEN])
        st, _, _, j = s.req("GET", "/v1/auth/token/lookup-self")
        self.assertEqual(j["mount_type"], "token")

    def test_vault_1_16_cannot_tell_invalid_from_denied(self):
        s = _Srv(self, "--mimic", "vault-1.16.3")
        self.assertEqual(self.health(s)["version"], "1.16.3")
        denied, invalid = self.invalid_and_denied(s)
        self.assertEqual(denied, [DENIED])
        self.assertEqual(invalid, denied)

    def test_vault_1_17_says_invalid_token(self):
        s = _Srv(self, "--mimic", "vault-1.17.0")
        self.assertEqual(self.invalid_and_denied(s)[1], [INVALID_TOKEN])

    def test_enterprise(self):
        s = _Srv(self, "--mimic", "vault-1.19.0+ent")
        h = self.health(s)
        self.assertEqual((h["version"], h["enterprise"]), ("1.19.0+ent", True))

    def test_openbao(self):
        s = _Srv(self, "--mimic", "openbao-2.3.1")
        h = self.health(s)
        self.assertEqual((h["version"], h["enterprise"]), ("2.3.1", False))
        denied, invalid = self.invalid_and_denied(s)
        self.assertEqual(invalid, denied)
        st, _, _, j = s.req("GET", "/v1/auth/token/lookup-self")
        self.assertEqual(st, 200)
        self.assertNotIn("mount_type", j)

    def test_bad_values_are_refused_in_one_line(self):
        for bad in ("vault", "vault-1.19", "openbao-2.3.1+ent", "vault-1.19.0-ent", "consul-1.0.0"):
            p = subprocess.run([sys.executable, SERVER, "--mimic", bad, "--listen", "127.0.0.1:0"],
                               capture_output=True, text=True, timeout=10)
            self.assertEqual(p.returncode, 2, bad)
            self.assertEqual(p.stdout, "")
            lines = p.stderr.splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn("--mimic must be vault-X.Y.Z", lines[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
