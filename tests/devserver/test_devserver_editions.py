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
from devsrv import Srv  # noqa: E402


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
        s = Srv(self)
        h = self.health(s)
        self.assertEqual((h["version"], h["enterprise"]), ("1.19.0", False))
        denied, invalid = self.invalid_and_denied(s)
        self.assertEqual(denied, [DENIED])
        self.assertEqual(invalid, [INVALID_TOKEN])
        st, _, _, j = s.req("GET", "/v1/auth/token/lookup-self")
        self.assertEqual(j["mount_type"], "token")

    def test_vault_1_16_says_only_permission_denied(self):
        s = Srv(self, "--mimic", "vault-1.16.3")
        self.assertEqual(self.health(s)["version"], "1.16.3")
        denied, invalid = self.invalid_and_denied(s)
        self.assertEqual(denied, [DENIED])
        self.assertEqual(invalid, ["permission denied"])
        st, _, _, j = s.req("GET", "/v1/sys/internal/ui/mounts/secret/x", token="hvs.bogus1234")
        self.assertEqual((st, j["errors"]), (403, ["permission denied"]))

    def test_vault_1_17_says_invalid_token(self):
        s = Srv(self, "--mimic", "vault-1.17.0")
        self.assertEqual(self.invalid_and_denied(s)[1], [INVALID_TOKEN])

    def test_enterprise(self):
        s = Srv(self, "--mimic", "vault-1.19.0+ent")
        h = self.health(s)
        self.assertEqual((h["version"], h["enterprise"]), ("1.19.0+ent", True))

    def test_openbao(self):
        s = Srv(self, "--mimic", "openbao-2.3.1")
        h = self.health(s)
        self.assertEqual((h["version"], h["enterprise"]), ("2.3.1", False))
        denied, invalid = self.invalid_and_denied(s)
        self.assertEqual(invalid, ["permission denied"])
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
        s = Srv(self)
        # no token: plain permission denied; an unknown token: the version's wording
        st, _, _, j = s.req("GET", self.UI, token=None)
        self.assertEqual((st, j["errors"]), (403, ["permission denied"]))
        st, _, _, j = s.req("GET", self.UI, token="hvs.not-a-token-at-all")
        self.assertEqual((st, j["errors"]), (403, [INVALID_TOKEN]))
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

    def test_mount_lookup_matches_the_mount_before_the_token(self):
        # Vault matches the mount first: a path on no mount gets the preflight
        # 403 whatever the token, even none or an invalid one
        s = Srv(self)
        for tok in (None, "hvs.not-a-token-at-all", s.root):
            st, _, _, j = s.req("GET", "/v1/sys/internal/ui/mounts/typo/x", token=tok)
            self.assertEqual(st, 403)
            self.assertEqual(j["errors"], ["preflight capability check returned 403, please ensure "
                                           "client's policies grant access to path \"typo/x/\""])

    def lease(self, s, tok):
        st, _, _, j = s.req("GET", "/v1/database/creds/app", token=tok)
        self.assertEqual(st, 200)
        return j["lease_id"]

    def lookup(self, s, lease_id):
        st, _, _, j = s.req("PUT", "/v1/sys/leases/lookup", {"lease_id": lease_id})
        return st, j

    def test_leases_die_with_their_token(self):
        s = Srv(self)
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
        s = Srv(self, "--tls-cert", os.path.join(d, "server.pem"),
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


# --------------------------------------------------------------------------
# 4. an agent's auto-auth; 5. a standby that forwards
# --------------------------------------------------------------------------

def once(conn, *args, **kw):
    try:
        return call(conn, *args, **kw)
    finally:
        conn.close()


class _UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.unix_path)


class AgentAndStandbyTest(unittest.TestCase):

    def setUp(self):
        self.active = Srv(self, "--control")
        st = self.active.req("POST", "/v1/secret/data/app", {"data": {"k": "from-active"}})[0]
        self.assertEqual(st, 200)
        self.tmp = tempfile.mkdtemp(prefix="vds-agent-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def log(self):
        st, _, _, j = once(self.active.d.conn(), "GET", "/_control/requests")
        return j

    def test_agent_adds_its_token_only_when_none_is_sent(self):
        tf = os.path.join(self.tmp, "agent-token")
        fd = os.open(tf, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, (self.active.root + "\n").encode())
        os.close(fd)
        sock = os.path.join(self.tmp, "agent.sock")
        agent = DevServer("--agent-of", self.active.url, "--agent-token-file", tf,
                          listen="unix:" + sock, token=False)
        self.addCleanup(agent.stop)
        self.assertEqual(agent.url, "unix://" + sock)
        once(self.active.d.conn(), "DELETE", "/_control/requests")
        st, h, _, j = once(_UnixConn(sock), "GET", "/v1/secret/data/app")
        self.assertEqual((st, j["data"]["data"]), (200, {"k": "from-active"}))
        self.assertEqual((h["content-type"], h["cache-control"]), ("application/json", "no-store"))
        # a request with its own token keeps it: here an invalid one, and Vault's 403
        # comes back unchanged
        st, _, raw, _ = once(_UnixConn(sock), "GET", "/v1/secret/data/app", token="hvs.bogus1234")
        st2, _, raw2, _ = self.active.req("GET", "/v1/secret/data/app", token="hvs.bogus1234")
        self.assertEqual((st, raw), (st2, raw2))
        self.assertEqual(st, 403)
        self.assertEqual([e["has_token"] for e in self.log()], [True, True, True])
        # status and body of a 204 and a 404 pass through too
        self.assertEqual(once(_UnixConn(sock), "DELETE", "/v1/secret/data/app")[0], 204)
        st, _, _, j = once(_UnixConn(sock), "GET", "/v1/secret/data/app")
        self.assertEqual(st, 404)
        self.assertIsNone(j["data"]["data"])

    def test_standby_forwards_by_default(self):
        sb = Srv(self, "--standby-of", self.active.url, "--control")
        once(self.active.d.conn(), "DELETE", "/_control/counters")
        st, _, _, j = sb.req("GET", "/v1/secret/data/app", token=self.active.root)
        self.assertEqual((st, j["data"]["data"]), (200, {"k": "from-active"}))
        st, _, _, j = once(self.active.d.conn(), "GET", "/_control/counters")
        self.assertEqual(j["requests"].get("GET secret/data/app"), 1)
        # errors are the active node's too
        self.assertEqual(sb.req("GET", "/v1/secret/data/app", token="hvs.bogus1234")[0], 403)
        # health is the standby's own: standby, 429 unless standbyok
        st, _, _, j = sb.req("GET", "/v1/sys/health", token=None)
        self.assertEqual((st, j["standby"]), (429, True))
        self.assertEqual(sb.req("GET", "/v1/sys/health?standbyok=true", token=None)[0], 200)
        self.assertEqual(sb.req("GET", "/v1/sys/health?standbycode=299", token=None)[0], 299)
        # X-Vault-No-Request-Forwarding: the redirect instead
        st, h, _, _ = sb.req("GET", "/v1/secret/data/app?x=1", token=self.active.root,
                             headers={"X-Vault-No-Request-Forwarding": "true"})
        self.assertEqual((st, h["location"]), (307, self.active.url + "/v1/secret/data/app?x=1"))

    def test_no_forwarding_redirects_and_never_says_active(self):
        sb = Srv(self, "--standby-of", self.active.url, "--no-forwarding")
        st, h, body, _ = sb.req("GET", "/v1/secret/data/app?version=1", token=self.active.root)
        self.assertEqual((st, h["location"], body),
                         (307, self.active.url + "/v1/secret/data/app?version=1", b""))
        st, _, _, j = sb.req("GET", "/v1/sys/health", token=None)
        self.assertEqual((st, j["standby"]), (429, True))
        self.assertEqual(self.active.req("GET", "/v1/sys/health", token=None)[3]["standby"],
                         False)


# --------------------------------------------------------------------------
# 3. rate-limit quotas
# --------------------------------------------------------------------------

class QuotaTest(unittest.TestCase):

    def test_rate_limit_quota(self):
        s = Srv(self)
        q = "/v1/sys/quotas/rate-limit/"
        self.assertEqual(s.req("POST", q + "one", {"path": "nowhere/", "rate": 1})[0], 400)
        self.assertEqual(s.req("POST", q + "one", {"path": "secret/data/rl", "rate": 0})[3],
                         {"errors": ["'rate' is invalid"]})
        self.assertEqual(s.req("POST", q + "one", {"path": "secret/data/rl", "rate": 2})[0], 204)
        st, _, _, j = s.req("GET", q + "one")
        self.assertEqual((j["data"]["path"], j["data"]["rate"], j["data"]["interval"]),
                         ("secret/data/rl", 2, 1))
        self.assertEqual(s.req("LIST", q)[3]["data"]["keys"], ["one"])
        st, _, _, j = s.req("GET", "/v1/sys/quotas/config")
        self.assertIs(j["data"]["enable_rate_limit_response_headers"], False)
        self.assertIn("sys/health", j["data"]["rate_limit_exempt_paths"])
        time.sleep(1.05)
        got = [s.req("GET", "/v1/secret/data/rl") for _ in range(3)]
        self.assertEqual([g[0] for g in got], [404, 404, 429])
        self.assertEqual(got[2][3], {"errors": [
            'request path "secret/data/rl": rate limit quota exceeded']})
        # headers are off by default
        self.assertFalse([k for k in got[2][1] if k.startswith("x-ratelimit") or k == "retry-after"])
        # other paths and exempt paths are not limited
        for _ in range(4):
            self.assertEqual(s.req("GET", "/v1/secret/data/other")[0], 404)
        # the window passes
        time.sleep(1.05)
        self.assertEqual(s.req("GET", "/v1/secret/data/rl")[0], 404)
        # with response headers
        self.assertEqual(s.req("POST", "/v1/sys/quotas/config",
                               {"enable_rate_limit_response_headers": True})[0], 204)
        self.assertEqual(s.req("POST", q + "one", {"path": "secret/data/rl", "rate": 1,
                                                    "interval": "2s"})[0], 204)
        st, h, _, _ = s.req("GET", "/v1/secret/data/rl")
        self.assertEqual((st, h["x-ratelimit-limit"], h["x-ratelimit-remaining"]), (404, "1", "0"))
        st, h, _, _ = s.req("GET", "/v1/secret/data/rl")
        self.assertEqual(st, 429)
        self.assertIn(h["retry-after"], ("0", "1"))
        self.assertEqual(s.req("DELETE", q + "one")[0], 204)
        self.assertEqual(s.req("GET", "/v1/secret/data/rl")[0], 404)
        self.assertEqual(s.req("GET", q + "one")[0], 404)

    def test_global_quota_spares_health(self):
        s = Srv(self)
        self.assertEqual(s.req("POST", "/v1/sys/quotas/rate-limit/all", {"rate": 1,
                                                                          "interval": "5s"})[0],
                         204)
        self.assertEqual(s.req("GET", "/v1/secret/data/a")[0], 404)
        self.assertEqual(s.req("GET", "/v1/secret/data/a")[0], 429)
        for _ in range(3):
            self.assertEqual(s.req("GET", "/v1/sys/health", token=None)[0], 200)
            self.assertEqual(s.req("GET", "/v1/sys/seal-status", token=None)[0], 200)


# --------------------------------------------------------------------------
# 2. namespaces
# --------------------------------------------------------------------------

class NamespaceTest(unittest.TestCase):
    UI = "/v1/sys/internal/ui/mounts/"

    def test_enterprise_namespaces(self):
        s = Srv(self, "--mimic", "vault-1.19.0+ent")
        st, _, _, j = s.req("POST", "/v1/sys/namespaces/org", {})
        self.assertEqual((st, j["data"]["path"]), (200, "org/"))
        self.assertEqual(s.req("POST", "/v1/org/sys/namespaces/team", {})[0], 200)
        self.assertEqual(s.req("GET", "/v1/sys/namespaces/org")[3]["data"]["path"], "org/")
        self.assertEqual(s.req("LIST", "/v1/sys/namespaces")[3]["data"]["keys"], ["org/"])
        self.assertEqual(s.req("LIST", "/v1/sys/namespaces", headers={"X-Vault-Namespace": "org"})
                         [3]["data"]["keys"], ["team/"])
        # a new namespace has no secret/ mount
        self.assertEqual(s.req("GET", "/v1/org/team/sys/mounts/secret")[0], 400)
        self.assertEqual(s.req("POST", "/v1/org/team/sys/mounts/secret",
                               {"type": "kv", "options": {"version": "2"}})[0], 204)
        self.assertEqual(s.req("POST", "/v1/org/team/secret/data/app",
                               {"data": {"k": "in-team"}})[0], 200)
        # header, path prefix, and both combined reach the same secret
        for hdr, path in (("org/team", "secret/data/app"), (None, "org/team/secret/data/app"),
                          ("org", "team/secret/data/app"), ("org/team/", "secret/data/app")):
            st, _, _, j = s.req("GET", "/v1/" + path,
                                headers={"X-Vault-Namespace": hdr} if hdr else None)
            self.assertEqual((st, j["data"]["data"]), (200, {"k": "in-team"}), (hdr, path))
        # the root namespace's secret/ is another mount
        self.assertEqual(s.req("GET", "/v1/secret/data/app")[0], 404)
        # the mount lookup: relative in the mount's own namespace, the namespace path
        # in front when the lookup reaches into a child
        st, _, _, j = s.req("GET", self.UI + "secret/app", headers={"X-Vault-Namespace": "org/team"})
        self.assertEqual((st, j["data"]["path"], j["data"]["options"]), (200, "secret/", {"version": "2"}))
        st, _, _, j = s.req("GET", self.UI + "team/secret/app", headers={"X-Vault-Namespace": "org"})
        self.assertEqual((st, j["data"]["path"]), (200, "org/team/secret/"))
        # unknown namespace
        st, _, _, j = s.req("GET", "/v1/secret/data/app", headers={"X-Vault-Namespace": "nowhere"})
        self.assertEqual((st, j), (404, {"errors": ["namespace not found"]}))
        # own policies and tokens: a token made in org/team reads there, not in the root
        hdr = {"X-Vault-Namespace": "org/team"}
        s.req("PUT", "/v1/sys/policies/acl/app",
              {"policy": 'path "secret/data/app" { capabilities = ["read"] }'}, headers=hdr)
        self.assertEqual(s.req("GET", "/v1/sys/policies/acl/app")[0], 404)
        tok = s.token(["app"], headers=hdr)
        self.assertEqual(s.req("GET", "/v1/secret/data/app", token=tok, headers=hdr)[0], 200)
        self.assertEqual(s.req("GET", "/v1/org/team/secret/data/app", token=tok)[0], 200)
        self.assertEqual(s.req("GET", "/v1/secret/data/app", token=tok)[0], 403)
        # cubbyhole per namespace
        s.req("POST", "/v1/cubbyhole/x", {"v": "1"}, headers=hdr)
        self.assertEqual(s.req("GET", "/v1/cubbyhole/x", headers=hdr)[0], 200)
        self.assertEqual(s.req("GET", "/v1/cubbyhole/x")[0], 404)
        # delete: children first
        self.assertEqual(s.req("DELETE", "/v1/sys/namespaces/org")[0], 400)
        self.assertEqual(s.req("DELETE", "/v1/org/sys/namespaces/team")[0], 204)
        self.assertEqual(s.req("GET", "/v1/org/sys/namespaces/team")[0], 404)

    def test_community_ignores_namespaces(self):
        s = Srv(self)
        # sys/namespaces does not exist; the header is ignored (the root namespace)
        self.assertEqual(s.req("POST", "/v1/sys/namespaces/org", {})[3],
                         {"errors": ["1 error occurred:\n\t* unsupported path\n\n"]})
        s.req("POST", "/v1/secret/data/app", {"data": {"k": "root"}})
        st, _, _, j = s.req("GET", "/v1/secret/data/app", headers={"X-Vault-Namespace": "nowhere"})
        self.assertEqual((st, j["data"]["data"]), (200, {"k": "root"}))


if __name__ == "__main__":
    unittest.main(verbosity=2)
