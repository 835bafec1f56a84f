#!/usr/bin/python3
"""Drive scripts/vault-dev-server with hvac (Debian python3-hvac 0.11.2).

Run:  /usr/bin/python3 -m unittest -v tests/devserver/test_hvac_fidelity.py
  or  /usr/bin/python3 tests/devserver/test_hvac_fidelity.py

Nothing here prints tokens or secret values: comparisons are done with
assertTrue(a == b, "description") so a failure never echoes the values.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import warnings

try:
    import hvac
    from hvac import exceptions as hvac_exc
except ImportError:          # pragma: no cover - reported as a skip below
    hvac = None

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "vault-dev-server")


class DevServer:
    """Start the dev server on a free port with a random root token kept in a 0600 file."""

    def __init__(self, *extra_args):
        self.tmp = tempfile.mkdtemp(prefix="vds-hvac-")
        self.root_token = "hvs." + secrets.token_urlsafe(18)
        token_file = os.path.join(self.tmp, "root-token")
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.root_token + "\n")
        self.addr_file = os.path.join(self.tmp, "addr")
        self.stderr_path = os.path.join(self.tmp, "stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--listen", "127.0.0.1:0", "--addr-file", self.addr_file,
             "--root-token-file", token_file, "--control"] + list(extra_args),
            stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.addr_file):
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("vault-dev-server exited early; see its stderr")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("vault-dev-server did not write its addr file within 10 s")
            time.sleep(0.02)
        with open(self.addr_file) as f:
            self.url = f.read().strip()

    def control(self, method, name, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.url + "/_control/" + name, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
            return resp.status, (json.loads(body) if body else None)

    def stop(self):
        rc = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                rc = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        else:
            rc = self.proc.returncode
        self._stderr.close()
        addr_left = os.path.exists(self.addr_file)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc, addr_left


@unittest.skipIf(hvac is None, "python3-hvac is not installed (apt-get install python3-hvac)")
class HvacFidelityTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", DeprecationWarning)
        cls.srv = DevServer()
        cls.client = hvac.Client(url=cls.srv.url, token=cls.srv.root_token)

    @classmethod
    def tearDownClass(cls):
        cls.client.adapter.close()
        rc, addr_left = cls.srv.stop()
        if rc != 0 or addr_left:
            raise AssertionError("server did not shut down cleanly (rc=%r, addr file left=%r)"
                                 % (rc, addr_left))

    def new_client(self, token=None):
        c = hvac.Client(url=self.srv.url, token=token)
        self.addCleanup(c.adapter.close)
        return c

    # ------------------------------------------------------------------

    def test_is_authenticated(self):
        self.assertTrue(self.client.is_authenticated())
        self.assertFalse(self.new_client("hvs.not-a-real-token").is_authenticated())
        info = self.client.lookup_token()["data"]
        self.assertEqual(info["policies"], ["root"])
        self.assertEqual(info["ttl"], 0)
        self.assertIsNone(info["expire_time"])
        self.assertEqual(info["path"], "auth/token/root")

    def test_kv2_roundtrip(self):
        kv = self.client.secrets.kv.v2
        v1 = {"user": "u-" + secrets.token_hex(4), "pw": secrets.token_hex(8)}
        v2 = {"user": "u-" + secrets.token_hex(4), "pw": secrets.token_hex(8)}
        r = kv.create_or_update_secret(path="hvac/app", secret=v1)
        self.assertEqual(r["data"]["version"], 1)
        r = kv.create_or_update_secret(path="hvac/app", secret=v2, cas=1)
        self.assertEqual(r["data"]["version"], 2)
        kv.create_or_update_secret(path="hvac/dir/leaf", secret={"k": "v"})

        latest = kv.read_secret_version(path="hvac/app")
        self.assertTrue(latest["data"]["data"] == v2, "latest version data mismatch")
        self.assertEqual(latest["data"]["metadata"]["version"], 2)
        first = kv.read_secret_version(path="hvac/app", version=1)
        self.assertTrue(first["data"]["data"] == v1, "version 1 data mismatch")

        keys = kv.list_secrets(path="hvac")["data"]["keys"]
        self.assertEqual(keys, ["app", "dir/"])

        meta = kv.read_secret_metadata(path="hvac/app")["data"]
        self.assertEqual(meta["current_version"], 2)
        self.assertEqual(sorted(meta["versions"]), ["1", "2"])
        for key in ("cas_required", "created_time", "delete_version_after", "max_versions",
                    "oldest_version", "updated_time", "custom_metadata"):
            self.assertIn(key, meta)

        with self.assertRaises(hvac_exc.InvalidRequest) as cm:
            kv.create_or_update_secret(path="hvac/app", secret={"x": "y"}, cas=1)
        self.assertIn("check-and-set parameter did not match the current version",
                      str(cm.exception))
        with self.assertRaises(hvac_exc.InvalidRequest):
            kv.create_or_update_secret(path="hvac/app", secret={"x": "y"}, cas=0)

        kv.delete_latest_version_of_secret(path="hvac/app")
        with self.assertRaises(hvac_exc.InvalidPath):
            kv.read_secret_version(path="hvac/app")
        # older version still readable; undelete brings the latest back
        self.assertEqual(kv.read_secret_version(path="hvac/app", version=1)["data"]["metadata"]
                         ["version"], 1)
        kv.undelete_secret_versions(path="hvac/app", versions=[2])
        self.assertEqual(kv.read_secret_version(path="hvac/app")["data"]["metadata"]["version"], 2)
        kv.destroy_secret_versions(path="hvac/app", versions=[1])
        with self.assertRaises(hvac_exc.InvalidPath):
            kv.read_secret_version(path="hvac/app", version=1)
        kv.delete_metadata_and_all_versions(path="hvac/app")
        with self.assertRaises(hvac_exc.InvalidPath):
            kv.read_secret_metadata(path="hvac/app")
        with self.assertRaises(hvac_exc.InvalidPath):
            kv.read_secret_version(path="hvac/missing")

    def test_kv2_patch_uses_read_then_write(self):
        kv = self.client.secrets.kv.v2
        kv.create_or_update_secret(path="hvpatch/me", secret={"a": "1", "b": "2"})
        kv.patch(path="hvpatch/me", secret={"b": "3"})
        data = kv.read_secret_version(path="hvpatch/me")["data"]
        self.assertTrue(data["data"] == {"a": "1", "b": "3"}, "patched data mismatch")
        self.assertEqual(data["metadata"]["version"], 2)

    def test_kv1_mount(self):
        self.client.sys.enable_secrets_engine(backend_type="kv", path="hvkv1",
                                              options={"version": "1"})
        mounts = self.client.sys.list_mounted_secrets_engines()["data"]
        self.assertEqual(mounts["hvkv1/"]["options"], {"version": "1"})
        kv = self.client.secrets.kv.v1
        value = {"pw": secrets.token_hex(8)}
        kv.create_or_update_secret(path="svc/db", secret=value, mount_point="hvkv1")
        got = kv.read_secret(path="svc/db", mount_point="hvkv1")
        self.assertTrue(got["data"] == value, "kv v1 data mismatch")
        self.assertEqual(got["lease_duration"], 2764800)
        # second write goes through PUT (hvac reads first)
        kv.create_or_update_secret(path="svc/db", secret={"pw": "x"}, mount_point="hvkv1")
        self.assertEqual(kv.list_secrets(path="svc", mount_point="hvkv1")["data"]["keys"], ["db"])
        self.assertEqual(self.client.list("hvkv1/svc")["data"]["keys"], ["db"])
        kv.delete_secret(path="svc/db", mount_point="hvkv1")
        with self.assertRaises(hvac_exc.InvalidPath):
            kv.read_secret(path="svc/db", mount_point="hvkv1")
        self.assertIsNone(self.client.list("hvkv1/svc"))
        self.client.sys.disable_secrets_engine("hvkv1")
        self.assertNotIn("hvkv1/", self.client.sys.list_mounted_secrets_engines()["data"])

    def test_policy_and_limited_token(self):
        policy = """
        # app can read its own secret and list the folder
        path "secret/data/limited/allowed" { capabilities = ["read"] }
        path "secret/metadata/limited/*" {
            capabilities = ["list"]   // listing only
        }
        path "secret/data/limited/denied" { capabilities = ["deny"] }
        """
        self.client.sys.create_or_update_policy(name="hvac-app", policy=policy)
        self.assertIn("hvac-app", self.client.sys.list_policies()["data"]["policies"])
        read_back = self.client.sys.read_policy(name="hvac-app")["data"]["rules"]
        self.assertEqual(read_back, policy)

        kv = self.client.secrets.kv.v2
        kv.create_or_update_secret(path="limited/allowed", secret={"v": "1"})
        kv.create_or_update_secret(path="limited/denied", secret={"v": "2"})

        created = self.client.auth.token.create(policies=["hvac-app"], ttl="1h")["auth"]
        self.assertEqual(created["policies"], ["default", "hvac-app"])
        self.assertEqual(created["lease_duration"], 3600)
        self.assertTrue(created["client_token"].startswith("hvs."))
        limited = self.new_client(created["client_token"])
        self.assertTrue(limited.is_authenticated())
        self.assertEqual(limited.secrets.kv.v2.read_secret_version(
            path="limited/allowed")["data"]["data"]["v"], "1")
        self.assertEqual(limited.secrets.kv.v2.list_secrets(path="limited")["data"]["keys"],
                         ["allowed", "denied"])
        with self.assertRaises(hvac_exc.Forbidden):
            limited.secrets.kv.v2.read_secret_version(path="limited/denied")
        with self.assertRaises(hvac_exc.Forbidden):
            limited.secrets.kv.v2.create_or_update_secret(path="limited/allowed", secret={"v": 9})
        with self.assertRaises(hvac_exc.Forbidden):
            limited.sys.list_mounted_secrets_engines()

        ttl = limited.lookup_token()["data"]["ttl"]
        self.assertTrue(3590 <= ttl <= 3600, "ttl of limited token out of range")
        renewed = limited.auth.token.renew_self(increment="2h")["auth"]
        self.assertEqual(renewed["lease_duration"], 7200)

        limited.auth.token.revoke_self()
        self.assertFalse(limited.is_authenticated())
        self.client.sys.delete_policy(name="hvac-app")

    def test_token_ttl_expiry_and_num_uses(self):
        short = self.client.auth.token.create(policies=["default"], ttl="1s")["auth"]
        c = self.new_client(short["client_token"])
        self.assertTrue(c.is_authenticated())
        time.sleep(1.3)
        self.assertFalse(c.is_authenticated())

        once = self.client.auth.token.create(policies=["default"], num_uses=1)["auth"]
        c = self.new_client(once["client_token"])
        self.assertTrue(c.is_authenticated())
        self.assertFalse(c.is_authenticated())

    def test_sealed_raises_vault_down(self):
        self.srv.control("POST", "seal")
        try:
            with self.assertRaises(hvac_exc.VaultDown):
                self.client.secrets.kv.v2.read_secret_version(path="anything")
            self.assertTrue(self.client.sys.is_sealed())
            health = self.client.sys.read_health_status(method="GET")
            self.assertEqual(health.status_code, 503)
        finally:
            self.srv.control("POST", "unseal")
        self.assertFalse(self.client.sys.is_sealed())
        self.assertEqual(self.client.sys.read_health_status(method="GET")["sealed"], False)

    def test_approle_login(self):
        self.client.sys.enable_auth_method("approle")
        self.assertIn("approle/", self.client.sys.list_auth_methods()["data"])
        self.client.sys.create_or_update_policy(
            name="hvac-approle", policy='path "secret/data/approle/*" { capabilities = ["read"] }')
        self.client.secrets.kv.v2.create_or_update_secret(path="approle/cfg",
                                                          secret={"k": "approle-value"})
        self.client.auth.approle.create_or_update_approle(
            role_name="web", token_policies=["hvac-approle"], token_ttl="10m")
        role_id = self.client.auth.approle.read_role_id(role_name="web")["data"]["role_id"]
        gen = self.client.auth.approle.generate_secret_id(role_name="web")["data"]
        self.assertIn("secret_id_accessor", gen)

        app = self.new_client()
        with self.assertRaises(hvac_exc.InvalidRequest) as cm:
            app.auth.approle.login(role_id=role_id, secret_id="wrong")
        self.assertIn("invalid role or secret ID", str(cm.exception))
        login = app.auth.approle.login(role_id=role_id, secret_id=gen["secret_id"])["auth"]
        self.assertEqual(login["metadata"], {"role_name": "web"})
        self.assertEqual(login["policies"], ["default", "hvac-approle"])
        self.assertEqual(login["lease_duration"], 600)
        self.assertTrue(app.is_authenticated())
        got = app.secrets.kv.v2.read_secret_version(path="approle/cfg")["data"]["data"]
        self.assertTrue(got == {"k": "approle-value"}, "approle token read mismatch")
        with self.assertRaises(hvac_exc.Forbidden):
            app.secrets.kv.v2.read_secret_version(path="limited/other")
        self.assertEqual(app.lookup_token()["data"]["path"], "auth/approle/login")

        # bind_secret_id=false: hvac sends "secret_id": null
        self.client.auth.approle.create_or_update_approle(
            role_name="nosecret", token_policies=["hvac-approle"], bind_secret_id=False)
        rid2 = self.client.auth.approle.read_role_id(role_name="nosecret")["data"]["role_id"]
        app2 = self.new_client()
        app2.auth.approle.login(role_id=rid2)
        self.assertTrue(app2.is_authenticated())

    def test_database_creds_and_lease_renew(self):
        creds = self.client.read("database/creds/app")
        self.assertTrue(creds["lease_id"].startswith("database/creds/app/"))
        self.assertTrue(creds["renewable"])
        self.assertEqual(creds["lease_duration"], 3600)
        self.assertTrue(creds["data"]["username"].startswith("v-token-app-"))
        self.assertTrue(creds["data"]["password"])
        gen = self.client.secrets.database.generate_credentials(name="app")
        self.assertNotEqual(gen["lease_id"], creds["lease_id"])
        renewed = self.client.sys.renew_lease(lease_id=creds["lease_id"], increment=60)
        self.assertEqual(renewed["lease_id"], creds["lease_id"])
        self.assertEqual(renewed["lease_duration"], 60)
        renewed = self.client.sys.renew_lease(lease_id=creds["lease_id"])
        self.assertEqual(renewed["lease_duration"], 3600)
        with self.assertRaises(hvac_exc.InvalidRequest) as cm:
            self.client.sys.renew_lease(lease_id="database/creds/app/nope")
        self.assertIn("lease not found", str(cm.exception))

    def test_wrap_and_unwrap(self):
        self.client.secrets.kv.v2.create_or_update_secret(path="wrap/me", secret={"z": "zap"})
        wrapped = self.client.read("secret/data/wrap/me", wrap_ttl="60s")
        self.assertIsNone(wrapped["data"])
        info = wrapped["wrap_info"]
        self.assertEqual(info["ttl"], 60)
        self.assertEqual(info["creation_path"], "secret/data/wrap/me")
        un = self.client.sys.unwrap(token=info["token"])
        self.assertTrue(un["data"]["data"] == {"z": "zap"}, "unwrapped data mismatch")
        with self.assertRaises(hvac_exc.InvalidRequest):
            self.client.sys.unwrap(token=info["token"])
        # unwrap with the wrapping token as X-Vault-Token (hvac Client(token=wrapping token))
        wrapped = self.client.read("secret/data/wrap/me", wrap_ttl=30)
        w = self.new_client(wrapped["wrap_info"]["token"])
        un = w.sys.unwrap()
        self.assertTrue(un["data"]["data"] == {"z": "zap"}, "unwrapped data mismatch")

    def test_kv2_wrong_path_is_invalid_path(self):
        self.assertIsNone(self.client.read("secret/not-a-v2-path"))
        with self.assertRaises(hvac_exc.Forbidden):
            self.new_client().read("secret/data/x")


if __name__ == "__main__":
    unittest.main(verbosity=2)
