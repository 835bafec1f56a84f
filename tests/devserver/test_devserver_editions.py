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

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import test_devserver_protocol as proto  # noqa: E402
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

    def token(self, policies, headers=None, parent="ROOT", **extra):
        body = {"policies": policies}
        body.update(extra)
        st, _, _, j = self.req("POST", "/v1/auth/token/create", body, token=parent,
                               headers=headers)
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


# --------------------------------------------------------------------------
# 6. the mount lookup's token; leases die with their token
# --------------------------------------------------------------------------

class MountLookupAndLeaseTest(unittest.TestCase):
    UI = "/v1/sys/internal/ui/mounts/secret/app"

    def test_mount_lookup_tokens(self):
        s = _Srv(self)
        # no token, an unknown token: plain permission denied (not the 1.17 wording)
        for tok in (None, "hvs.not-a-token-at-all"):
            st, _, _, j = s.req("GET", self.UI, token=tok)
            self.assertEqual((st, j["errors"]), (403, ["permission denied"]))
        # a valid token that reaches nothing under the mount
        st, _, _, j = s.req("GET", self.UI, token=s.token(["default"]))
        self.assertEqual(st, 403)
        self.assertEqual(j["errors"], ["preflight capability check returned 403, please ensure "
                                       "client's policies grant access to path \"secret/app/\""])
        # a one-use token: the lookup does not spend its use, the read does
        s.req("PUT", "/v1/sys/policies/acl/app",
              {"policy": 'path "secret/data/app" { capabilities = ["read"] }'})
        s.req("POST", "/v1/secret/data/app", {"data": {"k": "v"}})
        once = s.token(["app"], num_uses=1)
        for _ in range(3):
            st, _, _, j = s.req("GET", self.UI, token=once)
            self.assertEqual((st, j["data"]["path"]), (200, "secret/"))
        self.assertEqual(s.req("GET", "/v1/secret/data/app", token=once)[0], 200)
        self.assertEqual(s.req("GET", "/v1/secret/data/app", token=once)[0], 403)

    def lease(self, s, tok):
        st, _, _, j = s.req("GET", "/v1/database/creds/app", token=tok)
        self.assertEqual(st, 200)
        return j["lease_id"]

    def lookup(self, s, lease_id):
        st, _, _, j = s.req("PUT", "/v1/sys/leases/lookup", {"lease_id": lease_id})
        return st, j

    def test_leases_die_with_their_token(self):
        s = _Srv(self)
        s.req("PUT", "/v1/sys/policies/acl/db",
              {"policy": 'path "database/creds/*" { capabilities = ["read"] }\n'
                         'path "auth/token/create" { capabilities = ["update"] }'})
        # revoked
        tok = s.token(["db"])
        lid = self.lease(s, tok)
        self.assertEqual(self.lookup(s, lid)[0], 200)
        self.assertEqual(s.req("POST", "/v1/auth/token/revoke-self", {}, token=tok)[0], 204)
        self.assertEqual(self.lookup(s, lid), (400, {"errors": ["invalid lease"]}))
        # expired: nobody touches the token again
        tok = s.token(["db"], ttl="1s")
        lid = self.lease(s, tok)
        time.sleep(1.3)
        self.assertEqual(self.lookup(s, lid), (400, {"errors": ["invalid lease"]}))
        # a child token's lease goes with its parent
        parent = s.token(["db"])
        child = s.token(["db"], parent=parent)
        lid = self.lease(s, child)
        s.req("POST", "/v1/auth/token/revoke", {"token": parent})
        self.assertEqual(self.lookup(s, lid)[0], 400)


# --------------------------------------------------------------------------
# 7. plain HTTP to the TLS listener
# --------------------------------------------------------------------------

@unittest.skipIf(shutil.which("openssl") is None, "openssl command not found; TLS test skipped")
class PlainHTTPToTLSTest(unittest.TestCase):
    setUpClass = classmethod(proto.TLSTest.setUpClass.__func__)
    tearDownClass = classmethod(proto.TLSTest.tearDownClass.__func__)

    def raw(self, s, data):
        with socket.create_connection((s.d.host, s.d.port), timeout=10) as c:
            c.sendall(data)
            got = b""
            while True:
                try:
                    b = c.recv(4096)
                except ConnectionResetError:
                    return got
                if not b:
                    return got
                got += b

    def test_go_answer_then_close(self):
        d = self.dir
        s = _Srv(self, "--tls-cert", os.path.join(d, "server.pem"),
                 "--tls-key", os.path.join(d, "server.key"))
        for req in (b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"POST /v1/secret/data/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                    b"PUT /v1/x HTTP/1.1\r\n\r\n", b"HEAD / HTTP/1.0\r\n\r\n",
                    b"OPTIONS * HTTP/1.1\r\n\r\n"):
            self.assertEqual(self.raw(s, req),
                             b"HTTP/1.0 400 Bad Request\r\n\r\n"
                             b"Client sent an HTTP request to an HTTPS server.\n")
        # Go only recognises those five starts: anything else is a failed handshake
        self.assertNotIn(b"400", self.raw(s, b"DELETE /v1/x HTTP/1.1\r\n\r\n"))
        # and TLS still works
        c = http.client.HTTPSConnection(s.d.host, s.d.port, timeout=10,
                                        context=proto.TLSTest.ctx(self))
        self.assertEqual(call(c, "GET", "/v1/sys/health")[0], 200)
        c.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
