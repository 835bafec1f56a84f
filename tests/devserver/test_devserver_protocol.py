#!/usr/bin/python3
"""Wire-level checks of scripts/vault-dev-server that hvac cannot make.

Mount detection (sys/internal/ui/mounts), GET ?list=, 404 bodies with data or
warnings, Authorization: Bearer, sealing -> 503, the test-control API
(faults, counters, request log, revoke), keep-alive reuse, 413, TLS (with a
throwaway CA made by the openssl command) and unix sockets.

Standard library only.  Run:
    /usr/bin/python3 -m unittest -v tests/devserver/test_devserver_protocol.py
    /usr/bin/python3 tests/devserver/test_devserver_protocol.py
No token or secret value is ever printed by these tests.
"""

import http.client
import json
import os
import secrets
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "vault-dev-server")
JSON = "application/json"
INVALID_TOKEN = "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"
DENIED = "1 error occurred:\n\t* permission denied\n\n"
ENVELOPE_KEYS = {"request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info",
                 "warnings", "auth", "mount_type"}


class DevServer:
    def __init__(self, *extra, listen="127.0.0.1:0", token=True, env=None):
        self.tmp = tempfile.mkdtemp(prefix="vds-proto-")
        self.addr_file = os.path.join(self.tmp, "addr")
        args = [sys.executable, SERVER, "--listen", listen, "--addr-file", self.addr_file]
        self.root_token = None
        if token:
            self.root_token = "hvs." + secrets.token_urlsafe(18)
            tf = os.path.join(self.tmp, "root-token")
            fd = os.open(tf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("  " + self.root_token + "\n")
            args += ["--root-token-file", tf]
        args += list(extra)
        self.stderr_path = os.path.join(self.tmp, "stderr")
        self._stderr = open(self.stderr_path, "wb")
        full_env = dict(os.environ)
        full_env.pop("VAULT_DEV_ROOT_TOKEN_ID", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=full_env)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.addr_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("vault-dev-server did not start (see its stderr)")
            time.sleep(0.02)
        with open(self.addr_file) as f:
            self.url = f.read().strip()
        ready, _, _ = select.select([self.proc.stdout], [], [], 5)
        self.stdout_line = self.proc.stdout.readline().decode() if ready else ""
        if self.url.startswith("unix://"):
            self.host, self.port = None, None
        else:
            hostport = self.url.split("://", 1)[1]
            host, port = hostport.rsplit(":", 1)
            self.host, self.port = host, int(port)

    def stop(self, sig=signal.SIGTERM):
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        else:
            rc = self.proc.returncode
        rest = self.proc.stdout.read() if self.proc.stdout else b""
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()
        with open(self.stderr_path, "rb") as f:
            self.stderr_text = f.read().decode(errors="replace")
        self.stdout_rest = rest.decode(errors="replace")
        self.addr_left = os.path.exists(self.addr_file)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc

    def conn(self, timeout=10):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


def call(conn, method, path, body=None, token=None, headers=None, raw=None):
    """One request on conn; returns (status, headers-dict-lowercase, body bytes, parsed json)."""
    h = dict(headers or {})
    if token is not None:
        h["X-Vault-Token"] = token
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", JSON)
    conn.request(method, path, body=data, headers=h)
    resp = conn.getresponse()
    payload = resp.read()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    parsed = None
    if payload:
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = None
    return resp.status, hdrs, payload, parsed


class ProtocolTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = DevServer("--control", "--kv-v1", "kvone/", "--kv-v2", "kvtwo")
        cls.root = cls.srv.root_token

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        if rc != 0 or cls.srv.addr_left:
            raise AssertionError("server did not exit cleanly (rc=%r)" % rc)

    def setUp(self):
        self.c = self.srv.conn()
        self.addCleanup(self.c.close)

    def req(self, method, path, body=None, token="ROOT", **kw):
        if token == "ROOT":
            token = self.root
        return call(self.c, method, path, body=body, token=token, **kw)

    def control(self, method, name, body=None):
        return call(self.c, method, "/_control/" + name, body=body)

    def policy(self, name, text):
        st, _, _, _ = self.req("PUT", "/v1/sys/policies/acl/" + name, {"policy": text})
        self.assertEqual(st, 204)

    def token(self, policies, **extra):
        body = {"policies": policies}
        body.update(extra)
        st, _, _, j = self.req("POST", "/v1/auth/token/create", body)
        self.assertEqual(st, 200)
        return j["auth"]

    # ---------------- startup ----------------

    def test_listening_line(self):
        self.assertEqual(self.srv.stdout_line, "listening on %s\n" % self.srv.url)
        self.assertRegex(self.srv.url, r"^http://127\.0\.0\.1:\d+$")

    def test_random_root_token_is_not_printed(self):
        s = DevServer(token=False, env={"VAULT_DEV_ROOT_TOKEN_ID": ""})
        try:
            c = s.conn()
            st, _, _, _ = call(c, "GET", "/v1/auth/token/lookup-self", token="root")
            self.assertEqual(st, 403)
            c.close()
        finally:
            rc = s.stop()
        self.assertEqual(rc, 0)
        self.assertFalse(s.addr_left, "addr file not removed")
        self.assertNotIn("hvs.", s.stdout_line + s.stdout_rest + s.stderr_text)

    def test_env_root_token_and_control_disabled(self):
        tok = "dev-" + secrets.token_hex(8)
        s = DevServer(token=False, env={"VAULT_DEV_ROOT_TOKEN_ID": tok})
        try:
            c = s.conn()
            st, _, _, _ = call(c, "GET", "/v1/auth/token/lookup-self", token=tok)
            self.assertEqual(st, 200)
            st, _, _, _ = call(c, "POST", "/_control/seal")
            self.assertEqual(st, 404)
            st, _, _, _ = call(c, "GET", "/v1/auth/token/lookup-self", token=tok)
            self.assertEqual(st, 200)
            c.close()
        finally:
            self.assertEqual(s.stop(signal.SIGINT), 0)

    # ---------------- envelope and headers ----------------

    def test_envelope_and_headers(self):
        st, h, _, j = self.req("POST", "/v1/secret/data/proto/env", {"data": {"a": "b"}})
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], JSON)
        self.assertEqual(h["cache-control"], "no-store")
        self.assertTrue(ENVELOPE_KEYS <= set(j))
        self.assertEqual(j["data"]["version"], 1)
        self.assertEqual(len(j["request_id"]), 36)
        st, h, body, _ = self.req("POST", "/v1/kvone/proto/env", {"a": "b"})
        self.assertEqual((st, body), (204, b""))
        self.assertEqual(h["content-type"], JSON)
        self.assertEqual(h["cache-control"], "no-store")
        st, h, _, j = self.req("GET", "/v1/kvone/proto/missing")
        self.assertEqual((st, j), (404, {"errors": []}))
        self.assertEqual(h["content-type"], JSON)
        self.assertEqual(h["cache-control"], "no-store")
        self.assertIn("content-length", h)

    def test_root_lookup_self_shape(self):
        st, _, _, j = self.req("GET", "/v1/auth/token/lookup-self")
        d = j["data"]
        self.assertEqual(st, 200)
        self.assertEqual((d["policies"], d["ttl"], d["expire_time"], d["path"]),
                         (["root"], 0, None, "auth/token/root"))
        for k in ("accessor", "creation_time", "creation_ttl", "display_name", "entity_id",
                  "explicit_max_ttl", "id", "meta", "num_uses", "orphan", "type"):
            self.assertIn(k, d)
        # token_store.go handleLookup: the root token has no lease, so no renewable,
        # issue_time or last_renewal; period only when non-zero
        for k in ("issue_time", "renewable", "period", "last_renewal_time"):
            self.assertNotIn(k, d)

    # ---------------- auth ----------------

    def test_token_sources_and_errors(self):
        st, _, _, j = self.req("GET", "/v1/secret/data/x", token=None)
        self.assertEqual((st, j), (403, {"errors": ["permission denied"]}))
        st, _, _, j = self.req("GET", "/v1/secret/data/x", token="hvs.bogus")
        self.assertEqual((st, j), (403, {"errors": [INVALID_TOKEN]}))
        bearer = {"Authorization": "Bearer " + self.root}
        st, _, _, _ = self.req("GET", "/v1/auth/token/lookup-self", token=None, headers=bearer)
        self.assertEqual(st, 200)
        # X-Vault-Token wins over Authorization
        st, _, _, j = self.req("GET", "/v1/auth/token/lookup-self", token="hvs.bogus",
                               headers=bearer)
        self.assertEqual((st, j), (403, {"errors": [INVALID_TOKEN]}))
        t = self.token(["default"])
        st, _, _, j = self.req("GET", "/v1/secret/data/x", token=t["client_token"])
        self.assertEqual((st, j), (403, {"errors": [DENIED]}))
        # revoked token -> invalid token
        st, _, _, _ = self.req("POST", "/v1/auth/token/revoke", {"token": t["client_token"]})
        self.assertEqual(st, 204)
        st, _, _, j = self.req("GET", "/v1/auth/token/lookup-self", token=t["client_token"])
        self.assertEqual((st, j), (403, {"errors": [INVALID_TOKEN]}))

    def test_policy_globs(self):
        self.policy("proto-globs", """
            path "secret/data/globs/*" { capabilities = ["read"] }
            path "secret/data/globs/+/private" { capabilities = ["deny"] }
            path "secret/data/globs/exact" { capabilities = ["create"] }
            /* block comment */
            path "sys/policies/acl/*" { capabilities = ["read", "list"] }
        """)
        self.req("POST", "/v1/secret/data/globs/a/private", {"data": {"k": "v"}})
        self.req("POST", "/v1/secret/data/globs/a/public", {"data": {"k": "v"}})
        tok = self.token(["proto-globs"])["client_token"]
        st, _, _, _ = self.req("GET", "/v1/secret/data/globs/a/public", token=tok)
        self.assertEqual(st, 200)
        st, _, _, _ = self.req("GET", "/v1/secret/data/globs/a/private", token=tok)
        self.assertEqual(st, 403)
        # exact rule beats the glob: create allowed on a new key, read not
        st, _, _, _ = self.req("POST", "/v1/secret/data/globs/exact", {"data": {"k": "v"}},
                               token=tok)
        self.assertEqual(st, 200)
        st, _, _, _ = self.req("POST", "/v1/secret/data/globs/exact", {"data": {"k": "w"}},
                               token=tok)
        self.assertEqual(st, 403, "update of an existing key needs 'update'")
        st, _, _, _ = self.req("GET", "/v1/secret/data/globs/exact", token=tok)
        self.assertEqual(st, 403)
        st, _, _, j = self.req("LIST", "/v1/sys/policies/acl", token=tok)
        self.assertEqual(st, 200)
        self.assertIn("proto-globs", j["data"]["keys"])
        st, _, _, j = self.req("PUT", "/v1/sys/policies/acl/broken",
                               {"policy": 'path "x" { capabilities = ["fly"] }'})
        self.assertEqual(st, 400)

    # ---------------- listing ----------------

    def test_list_variants(self):
        for k in ("l/a", "l/b/c"):
            self.req("POST", "/v1/secret/data/" + k, {"data": {"x": "1"}})
        for q in ("true", "True", "1", "t"):
            st, _, _, j = self.req("GET", "/v1/secret/metadata/l?list=" + q)
            self.assertEqual((st, j["data"]["keys"]), (200, ["a", "b/"]), q)
        st, _, _, j = self.req("LIST", "/v1/secret/metadata/l/")
        self.assertEqual(j["data"]["keys"], ["a", "b/"])
        st, _, _, j = self.req("GET", "/v1/secret/metadata/l?list=yes")
        self.assertEqual(st, 400)
        st, _, _, j = self.req("GET", "/v1/secret/metadata/l?list=false")
        self.assertEqual(st, 404, "list=false is a metadata read of a missing key")
        st, _, _, j = self.req("LIST", "/v1/secret/metadata/nothing-here")
        self.assertEqual((st, j), (404, {"errors": []}))
        self.req("POST", "/v1/kvone/l1/a", {"x": "1"})
        st, _, _, j = self.req("GET", "/v1/kvone/l1?list=true")
        self.assertEqual((st, j["data"]["keys"]), (200, ["a"]))
        st, _, _, _ = self.req("OPTIONS", "/v1/secret/data/l/a")
        self.assertEqual(st, 405)
        st, _, _, _ = self.req("TRACE", "/v1/secret/data/l/a")
        self.assertEqual(st, 405)

    def test_percent_decoding(self):
        st, _, _, _ = self.req("POST", "/v1/secret/data/pct/a%20b", {"data": {"x": "1"}})
        self.assertEqual(st, 200)
        st, _, _, j = self.req("LIST", "/v1/secret/metadata/pct")
        self.assertEqual(j["data"]["keys"], ["a b"])
        st, _, _, _ = self.req("GET", "/v1/secret/data/pct%2Fa%20b")
        self.assertEqual(st, 200)

    # ---------------- KV v2 404 bodies ----------------

    def test_kv2_404_bodies(self):
        st, _, _, j = self.req("GET", "/v1/secret/proto-wrong")
        self.assertEqual(st, 404)
        self.assertNotIn("errors", j)
        self.assertIn("'vault kv get'", j["warnings"][0])
        self.assertTrue(j["warnings"][0].startswith("Invalid path for a versioned K/V"))
        st, _, _, j = self.req("PUT", "/v1/kvtwo/proto-wrong", {"a": "b"})
        self.assertEqual(st, 404)
        self.assertIn("'vault kv put'", j["warnings"][0])
        self.req("POST", "/v1/secret/data/del", {"data": {"a": "1"}})
        self.req("POST", "/v1/secret/data/del", {"data": {"a": "2"}})
        self.req("DELETE", "/v1/secret/data/del")
        st, _, _, j = self.req("GET", "/v1/secret/data/del")
        self.assertEqual(st, 404)
        self.assertNotIn("errors", j)
        self.assertIsNone(j["data"]["data"])
        md = j["data"]["metadata"]
        self.assertEqual((md["version"], md["destroyed"]), (2, False))
        self.assertTrue(md["deletion_time"].endswith("Z"))
        st, _, _, _ = self.req("POST", "/v1/secret/destroy/del", {"versions": [1]})
        self.assertEqual(st, 204)
        st, _, _, j = self.req("GET", "/v1/secret/data/del?version=1")
        self.assertEqual(st, 404)
        self.assertEqual((j["data"]["metadata"]["destroyed"],
                          j["data"]["metadata"]["deletion_time"]), (True, ""))
        st, _, _, j = self.req("GET", "/v1/secret/data/del?version=9")
        self.assertEqual((st, j), (404, {"errors": []}))

    def test_kv2_write_errors_and_patch(self):
        st, _, _, j = self.req("POST", "/v1/secret/data/cas", {"options": {"cas": 0},
                                                               "data": {"a": "1"}})
        self.assertEqual(st, 200)
        st, _, _, j = self.req("POST", "/v1/secret/data/cas", {"options": {"cas": 0},
                                                               "data": {"a": "1"}})
        self.assertEqual((st, j), (400, {"errors": [
            "check-and-set parameter did not match the current version"]}))
        st, _, _, j = self.req("POST", "/v1/secret/data/cas", {"nodata": 1})
        self.assertEqual((st, j), (400, {"errors": ["no data provided"]}))
        self.req("POST", "/v1/secret/metadata/cas", {"cas_required": True, "max_versions": 2})
        st, _, _, j = self.req("POST", "/v1/secret/data/cas", {"data": {"a": "2"}})
        self.assertEqual((st, j), (400, {"errors": [
            "check-and-set parameter required for this call"]}))
        for v in (1, 2, 3):
            st, _, _, _ = self.req("POST", "/v1/secret/data/cas", {"options": {"cas": v},
                                                                   "data": {"a": str(v)}})
            self.assertEqual(st, 200)
        st, _, _, j = self.req("GET", "/v1/secret/metadata/cas")
        self.assertEqual(sorted(j["data"]["versions"]), ["3", "4"])
        self.assertEqual(j["data"]["oldest_version"], 3)
        st, _, _, j = self.req("PATCH", "/v1/secret/data/cas", {"data": {"b": "x"}})
        self.assertEqual(st, 415)
        st, _, _, j = self.req("PATCH", "/v1/secret/data/cas",
                               {"options": {"cas": 4}, "data": {"b": "x"}},
                               headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual((st, j["data"]["version"]), (200, 5))
        st, _, _, j = self.req("GET", "/v1/secret/data/cas")
        self.assertEqual(j["data"]["data"], {"a": "3", "b": "x"})

    def test_bad_json_and_too_large(self):
        st, _, _, j = self.req("POST", "/v1/secret/data/bad", raw=b"{nope",
                               headers={"Content-Type": JSON})
        self.assertEqual(st, 400)
        self.assertTrue(j["errors"][0].startswith("failed to parse JSON input: "))
        big = b'{"data":{"x":"' + b"a" * (32 * 1024 * 1024) + b'"}}'
        c = self.srv.conn(timeout=30)
        try:
            st, h, _, j = call(c, "POST", "/v1/secret/data/big", raw=big, token=self.root,
                               headers={"Content-Type": JSON})
        finally:
            c.close()
        self.assertEqual(st, 413)
        self.assertEqual(h["content-type"], JSON)

    # ---------------- mount detection ----------------

    def test_ui_mounts(self):
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/secret/foo/bar")
        self.assertEqual(st, 200)
        d = j["data"]
        self.assertEqual((d["path"], d["type"], d["options"]), ("secret/", "kv", {"version": "2"}))
        self.assertEqual(d["config"], {"default_lease_ttl": 0, "force_no_cache": False,
                                       "max_lease_ttl": 0})
        for k in ("accessor", "description", "local", "seal_wrap", "uuid"):
            self.assertIn(k, d)
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/kvone/x")
        self.assertEqual((j["data"]["path"], j["data"]["options"]), ("kvone/", {"version": "1"}))
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/kvtwo")
        self.assertEqual((j["data"]["path"], j["data"]["options"]), ("kvtwo/", {"version": "2"}))
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/database/creds/x")
        self.assertEqual((j["data"]["type"], j["data"]["options"]), ("database", None))

        self.policy("proto-ui", 'path "secret/data/app/*" { capabilities = ["read"] }\n'
                                'path "kvone/*" { capabilities = ["deny"] }')
        tok = self.token(["proto-ui"])["client_token"]
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/secret/app/x", token=tok)
        self.assertEqual((st, j["data"]["path"]), (200, "secret/"))
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/kvone/abc", token=tok)
        self.assertEqual((st, j), (403, {"errors": [
            "preflight capability check returned 403, please ensure client's policies grant "
            "access to path \"kvone/abc/\""]}))
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/nomount/abc", token=tok)
        self.assertEqual(st, 403)
        self.assertIn('path \\"nomount/abc/\\"', json.dumps(j))
        # unauthenticated path: the handler's own token lookup, its error as is
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/secret/x", token="hvs.bogus")
        self.assertEqual((st, j), (403, {"errors": [INVALID_TOKEN]}))
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts/secret/x", token=None)
        self.assertEqual((st, j), (403, {"errors": ["permission denied"]}))
        st, _, _, j = self.req("GET", "/v1/sys/internal/ui/mounts", token=None)
        self.assertEqual(st, 200)
        self.assertEqual(j["data"]["secret"]["secret/"]["options"], {"version": "2"})
        self.assertIn("token/", j["data"]["auth"])

    # ---------------- seal / health ----------------

    def test_seal_health_and_seal_status(self):
        st, _, _, _ = self.control("POST", "seal")
        self.assertEqual(st, 204)
        try:
            st, h, _, j = self.req("GET", "/v1/secret/data/x")
            self.assertEqual((st, j), (503, {"errors": ["Vault is sealed"]}))
            self.assertEqual(h["content-type"], JSON)
            st, _, _, j = self.req("POST", "/v1/auth/token/create", {})
            self.assertEqual(st, 503)
            st, _, _, j = self.req("GET", "/v1/sys/health", token=None)
            self.assertEqual((st, j["sealed"]), (503, True))
            self.assertNotIn("cluster_name", j)
            st, _, _, _ = self.req("GET", "/v1/sys/health?sealedcode=200", token=None)
            self.assertEqual(st, 200)
            st, _, _, j = self.req("GET", "/v1/sys/seal-status", token=None)
            self.assertEqual((st, j["sealed"]), (200, True))
            st, _, body, _ = self.req("HEAD", "/v1/sys/health", token=None)
            self.assertEqual((st, body), (503, b""))
        finally:
            self.control("POST", "unseal")
        st, _, _, j = self.req("GET", "/v1/sys/health", token=None)
        self.assertEqual((st, j["sealed"], j["initialized"], j["standby"]),
                         (200, False, True, False))
        self.assertIn("cluster_id", j)
        st, _, _, _ = self.req("GET", "/v1/sys/health?activecode=299&standbyok=true", token=None)
        self.assertEqual(st, 299)
        st, _, _, _ = self.req("GET", "/v1/sys/health?standbyok=maybe", token=None)
        self.assertEqual(st, 400)
        st, _, _, _ = self.req("GET", "/v1/sys/health?activecode=abc", token=None)
        self.assertEqual(st, 400)
        st, _, _, _ = self.req("POST", "/v1/sys/health", {}, token=None)
        self.assertEqual(st, 405)
        st, _, body, _ = self.req("HEAD", "/v1/sys/health", token=None)
        self.assertEqual((st, body), (200, b""))

    # ---------------- wrapping ----------------

    def test_wrap_header(self):
        self.req("POST", "/v1/secret/data/wrapped", {"data": {"zip": "zap"}})
        st, _, _, j = self.req("GET", "/v1/secret/data/wrapped",
                               headers={"X-Vault-Wrap-TTL": "5m"})
        self.assertEqual(st, 200)
        self.assertEqual((j["request_id"], j["data"], j["auth"]), ("", None, None))
        wi = j["wrap_info"]
        self.assertEqual((wi["ttl"], wi["creation_path"]), (300, "secret/data/wrapped"))
        # unwrap with the wrapping token as X-Vault-Token and an empty body
        st, _, _, j = self.req("POST", "/v1/sys/wrapping/unwrap", token=wi["token"])
        self.assertEqual((st, j["data"]["data"]), (200, {"zip": "zap"}))
        st, _, _, j = self.req("POST", "/v1/sys/wrapping/unwrap", token=wi["token"])
        self.assertEqual(st, 400)
        st, _, _, j = self.req("GET", "/v1/secret/data/wrapped",
                               headers={"X-Vault-Wrap-TTL": "-5"})
        self.assertEqual(st, 400)

    def test_leases(self):
        st, _, _, j = self.req("GET", "/v1/database/creds/ro")
        lease = j["lease_id"]
        st, _, _, j = self.req("PUT", "/v1/sys/leases/renew", {"lease_id": lease,
                                                               "increment": None})
        self.assertEqual((st, j["lease_id"], j["renewable"], j["lease_duration"]),
                         (200, lease, True, 3600))
        st, _, _, j = self.req("POST", "/v1/sys/leases/renew", {"lease_id": lease,
                                                                "increment": "10m"})
        self.assertEqual(j["lease_duration"], 600)
        st, _, _, j = self.req("PUT", "/v1/sys/leases/renew", {"lease_id": "x/y"})
        self.assertEqual((st, j), (400, {"errors": ["lease not found"]}))

    # ---------------- control API ----------------

    def test_faults(self):
        self.control("DELETE", "faults")
        self.addCleanup(self.control, "DELETE", "faults")
        self.req("POST", "/v1/secret/data/f1", {"data": {"a": "1"}})
        st, _, _, j = self.control("POST", "faults", {"path": "secret/data/f1", "status": 500,
                                                      "count": 2})
        self.assertEqual(st, 200)
        self.assertIsInstance(j["id"], int)
        st, _, _, _ = self.req("POST", "/v1/secret/data/f1", {"data": {"a": "2"}})
        self.assertEqual(st, 500, "no method given -> every method matches")
        st, _, _, j = self.req("GET", "/v1/secret/data/f1")
        self.assertEqual(st, 500)
        self.assertIn("errors", j)
        st, _, _, _ = self.req("GET", "/v1/secret/data/f1")
        self.assertEqual(st, 200, "count exhausted -> normal service")
        # method filter + prefix match + retry_after
        self.control("POST", "faults", {"path": "secret/data/pre*", "method": "GET",
                                        "status": 429, "retry_after": 3})
        st, h, _, _ = self.req("GET", "/v1/secret/data/prefix/x")
        self.assertEqual((st, h.get("retry-after")), (429, "3"))
        st, _, _, _ = self.req("POST", "/v1/secret/data/prefix/x", {"data": {"a": "1"}})
        self.assertEqual(st, 200)
        self.control("DELETE", "faults")
        # raw body
        self.control("POST", "faults", {"path": "sys/health", "status": 502,
                                        "body": "<html>bad gateway</html>", "count": 1})
        st, h, body, _ = self.req("GET", "/v1/sys/health", token=None)
        self.assertEqual((st, body), (502, b"<html>bad gateway</html>"))
        self.assertNotEqual(h["content-type"], JSON)
        # malformed JSON
        self.control("POST", "faults", {"path": "secret/data/f1", "status": 200,
                                        "malformed": True, "count": 1})
        st, h, body, j = self.req("GET", "/v1/secret/data/f1")
        self.assertEqual((st, h["content-type"], j), (200, JSON, None))
        self.assertTrue(body.startswith(b'{"data": {"da'))
        # delay only: served normally, but later
        self.control("POST", "faults", {"path": "secret/data/f1", "delay_ms": 300,
                                        "count": 1})
        t0 = time.monotonic()
        st, _, _, _ = self.req("GET", "/v1/secret/data/f1")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.28)
        # drop: connection closed without a response
        self.control("POST", "faults", {"path": "secret/data/f1", "drop": True, "count": 1})
        c = self.srv.conn()
        try:
            with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
                call(c, "GET", "/v1/secret/data/f1", token=self.root)
        finally:
            c.close()
        st, _, _, j = self.control("GET", "faults")
        self.assertEqual(j["faults"], [])
        st, _, _, _ = self.control("POST", "faults", {"status": 500})
        self.assertEqual(st, 400)

    def test_counters_and_request_log(self):
        self.assertEqual(self.control("DELETE", "counters")[0], 204)
        self.assertEqual(self.control("DELETE", "requests")[0], 204)
        self.req("GET", "/v1/secret/data/cnt?version=1&x=2")
        self.req("GET", "/v1/secret/data/cnt")
        self.req("LIST", "/v1/secret/metadata/cnt", token=None)
        self.control("POST", "seal")
        try:
            self.req("GET", "/v1/secret/data/cnt", headers={"X-Vault-Namespace": "ns1/",
                                                            "X-Vault-Wrap-TTL": "30s"})
        finally:
            self.control("POST", "unseal")
        st, _, _, j = self.control("GET", "counters")
        self.assertEqual(st, 200)
        self.assertEqual(j["total"], 4)
        self.assertEqual(j["requests"], {"GET secret/data/cnt": 3,
                                         "LIST secret/metadata/cnt": 1})
        st, _, raw, j = self.control("GET", "requests")
        self.assertEqual(len(j), 4)
        self.assertEqual(j[0]["method"], "GET")
        self.assertEqual(j[0]["path"], "secret/data/cnt")
        self.assertEqual(j[0]["query_keys"], ["version", "x"])
        self.assertEqual((j[0]["status"], j[0]["has_token"]), (404, True))
        self.assertEqual((j[2]["status"], j[2]["has_token"]), (403, False))
        self.assertEqual((j[3]["status"], j[3]["namespace"], j[3]["wrap_ttl"]),
                         (503, "ns1/", "30s"))
        self.assertNotIn(self.root.encode(), raw)

    def test_control_revoke(self):
        a = self.token(["default"])
        b = self.token(["default"])
        st, _, _, j = self.control("POST", "revoke", {"accessor": a["accessor"]})
        self.assertEqual((st, j["revoked"]), (200, 1))
        st, _, _, _ = self.req("GET", "/v1/auth/token/lookup-self", token=a["client_token"])
        self.assertEqual(st, 403)
        st, _, _, _ = self.req("GET", "/v1/auth/token/lookup-self", token=b["client_token"])
        self.assertEqual(st, 200)
        st, _, _, j = self.control("POST", "revoke", {"all_non_root": True})
        self.assertEqual(st, 200)
        self.assertGreaterEqual(j["revoked"], 1)
        st, _, _, _ = self.req("GET", "/v1/auth/token/lookup-self", token=b["client_token"])
        self.assertEqual(st, 403)
        st, _, _, _ = self.req("GET", "/v1/auth/token/lookup-self")
        self.assertEqual(st, 200, "root survives all_non_root")
        st, _, _, _ = self.control("POST", "revoke", {"accessor": "nope"})
        self.assertEqual(st, 404)

    # ---------------- connection handling ----------------

    def test_keep_alive_reuse_is_fast(self):
        c = self.srv.conn()
        try:
            call(c, "GET", "/v1/sys/health")
            sock = c.sock
            self.assertIsNotNone(sock)
            t0 = time.monotonic()
            for i in range(100):
                st, _, _, _ = call(c, "POST", "/v1/secret/data/ka", {"data": {"i": str(i)}},
                                   token=self.root)
                self.assertEqual(st, 200)
                st, _, _, _ = call(c, "GET", "/v1/secret/data/ka", token=self.root)
                self.assertEqual(st, 200)
                st, _, _, _ = call(c, "DELETE", "/v1/kvone/none", token=self.root)
                self.assertEqual(st, 204)
            elapsed = time.monotonic() - t0
            self.assertIs(c.sock, sock, "connection was not reused")
        finally:
            c.close()
        self.assertLess(elapsed, 3.0, "300 keep-alive requests took %.2fs (Nagle/delayed "
                                      "ACK stall?)" % elapsed)

    def test_parallel_connections(self):
        import threading
        errors = []

        def worker(n):
            try:
                c = self.srv.conn()
                for i in range(20):
                    st, _, _, _ = call(c, "POST", "/v1/secret/data/par/%d" % n,
                                       {"data": {"i": str(i)}}, token=self.root)
                    if st != 200:
                        errors.append(st)
                c.close()
            except Exception as e:           # noqa: BLE001
                errors.append(type(e).__name__)
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        st, _, _, j = self.req("GET", "/v1/secret/metadata/par/7")
        self.assertEqual(j["data"]["current_version"], 20)


class UnixSocketTest(unittest.TestCase):
    def test_unix_socket(self):
        d = tempfile.mkdtemp(prefix="vds-sock-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "vault.sock")
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(path)
        stale.close()                               # leaves a stale socket file behind
        s = DevServer(listen="unix:" + path)
        try:
            self.assertEqual(s.url, "unix://" + path)
            self.assertEqual(s.stdout_line, "listening on unix://%s\n" % path)

            class UnixConn(http.client.HTTPConnection):
                def connect(self):
                    self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    self.sock.settimeout(10)
                    self.sock.connect(path)

            c = UnixConn("localhost")
            st, _, _, j = call(c, "GET", "/v1/auth/token/lookup-self", token=s.root_token)
            self.assertEqual((st, j["data"]["policies"]), (200, ["root"]))
            sock = c.sock
            st, _, _, _ = call(c, "POST", "/v1/secret/data/u", {"data": {"a": "b"}},
                               token=s.root_token)
            self.assertEqual(st, 200)
            self.assertIs(c.sock, sock, "unix connection was not reused")
            c.close()
        finally:
            rc = s.stop()
        self.assertEqual(rc, 0)
        self.assertFalse(os.path.exists(path), "socket file not removed on SIGTERM")
        self.assertFalse(s.addr_left, "addr file not removed")

    def test_refuses_to_replace_regular_file(self):
        d = tempfile.mkdtemp(prefix="vds-sock-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "not-a-socket")
        with open(path, "w") as f:
            f.write("keep me")
        with self.assertRaises(RuntimeError):
            DevServer(listen="unix:" + path)
        with open(path) as f:
            self.assertEqual(f.read(), "keep me")


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@unittest.skipIf(shutil.which("openssl") is None, "openssl command not found; TLS test skipped")
class TLSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="vds-tls-")
        d = cls.dir
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            # key identifiers and key usages keep Python 3.13's strict X.509 checks happy
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n"
                    "subjectKeyIdentifier=hash\n"
                    "authorityKeyIdentifier=keyid,issuer\n")
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
                 "-out", "ca.pem", "-days", "1", "-subj", "/CN=vds test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-addext", "subjectKeyIdentifier=hash", cwd=d)
        for name in ("server", "client"):
            _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
                     "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
            _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                     "-CAcreateserial", "-out", name + ".pem", "-days", "1",
                     "-extfile", "ext.cnf", cwd=d)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ctx(self, client_cert=False):
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.pem"))
        if client_cert:
            ctx.load_cert_chain(os.path.join(self.dir, "client.pem"),
                                os.path.join(self.dir, "client.key"))
        return ctx

    def test_https(self):
        d = self.dir
        s = DevServer("--tls-cert", os.path.join(d, "server.pem"),
                      "--tls-key", os.path.join(d, "server.key"))
        try:
            self.assertTrue(s.url.startswith("https://127.0.0.1:"))
            self.assertEqual(s.stdout_line, "listening on %s\n" % s.url)
            c = http.client.HTTPSConnection(s.host, s.port, context=self.ctx(), timeout=10)
            st, _, _, j = call(c, "GET", "/v1/sys/health")
            self.assertEqual((st, j["sealed"]), (200, False))
            sock = c.sock
            st, _, _, _ = call(c, "GET", "/v1/auth/token/lookup-self", token=s.root_token)
            self.assertEqual(st, 200)
            self.assertIs(c.sock, sock, "TLS connection was not reused")
            c.close()
            # a plain-HTTP client gets Go's own 400, nothing that looks like Vault
            p = http.client.HTTPConnection(s.host, s.port, timeout=5)
            st, _, body, j = call(p, "GET", "/v1/sys/health")
            self.assertEqual((st, body, j),
                             (400, b"Client sent an HTTP request to an HTTPS server.\n", None))
            p.close()
        finally:
            self.assertEqual(s.stop(), 0)

    def test_client_certificate_required(self):
        d = self.dir
        s = DevServer("--tls-cert", os.path.join(d, "server.pem"),
                      "--tls-key", os.path.join(d, "server.key"),
                      "--tls-client-ca", os.path.join(d, "ca.pem"))
        try:
            c = http.client.HTTPSConnection(s.host, s.port, context=self.ctx(True), timeout=10)
            st, _, _, _ = call(c, "GET", "/v1/sys/health")
            self.assertEqual(st, 200)
            c.close()
            c = http.client.HTTPSConnection(s.host, s.port, context=self.ctx(False), timeout=10)
            with self.assertRaises((ssl.SSLError, ConnectionError, http.client.HTTPException,
                                    OSError)):
                call(c, "GET", "/v1/sys/health")
            c.close()
        finally:
            self.assertEqual(s.stop(), 0)


def load_tests(loader, tests, pattern):
    """Also run test_devserver_editions.py (--mimic, namespaces, quotas, agent, standby)
    and test_devserver_lifecycle.py (test clock, lease and token TTLs, KV v2 metadata)."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import test_devserver_editions
    import test_devserver_lifecycle
    tests.addTests(loader.loadTestsFromModule(test_devserver_editions))
    tests.addTests(loader.loadTestsFromModule(test_devserver_lifecycle))
    return tests


if __name__ == "__main__":
    unittest.main(verbosity=2)
