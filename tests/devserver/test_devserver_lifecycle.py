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
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from test_devserver_protocol import SERVER, DevServer, call  # noqa: E402
from devsrv import Srv  # noqa: E402


class ClockTest(unittest.TestCase):

    def test_advance_moves_token_expiry(self):
        s = Srv(self, "--control")
        tok = s.token(["default"], ttl="60s")
        st, j = s.req_json("GET", "/v1/auth/token/lookup-self", token=tok)
        self.assertEqual(st, 200)
        self.assertIn(j["data"]["ttl"], (59, 60))
        j = s.advance(30)
        self.assertEqual(j["offset_s"], 30)
        st, j = s.req_json("GET", "/v1/auth/token/lookup-self", token=tok)
        self.assertEqual(st, 200)
        self.assertIn(j["data"]["ttl"], (29, 30))
        s.advance(31)
        st, j = s.req_json("GET", "/v1/auth/token/lookup-self", token=tok)
        self.assertEqual(st, 403)

    def test_clock_reads_and_rejects_bad_input(self):
        s = Srv(self, "--control")
        st, j = s.req_json("GET", "/_control/clock", token=None)
        self.assertEqual((st, j["offset_s"]), (200, 0))
        for bad in (-1, "10", None, True):
            st, _ = s.req_json("POST", "/_control/clock", {"advance_s": bad}, token=None)
            self.assertEqual(st, 400, bad)
        s.advance(3600)
        st, j = s.req_json("GET", "/v1/sys/health", token=None)
        import time
        self.assertGreaterEqual(j["server_time_utc"], int(time.time()) + 3590)

    def test_clock_is_control_only(self):
        d = DevServer()
        self.addCleanup(d.stop)
        c = d.conn()
        self.addCleanup(c.close)
        st, _, _, _ = call(c, "POST", "/_control/clock", body={"advance_s": 5})
        self.assertEqual(st, 404)


CAPPED = 'TTL of "%s" exceeded the effective max_ttl of "%s"; TTL value is capped accordingly'


def _human(secs):
    """How lease.go humanDuration writes a whole number of seconds under a day."""
    h, rest = divmod(secs, 3600)
    m, sec = divmod(rest, 60)
    return "".join("%d%s" % (v, u) for v, u in ((h, "h"), (m, "m"), (sec, "s")) if v) or "0s"


class LeaseTest(unittest.TestCase):
    """database/creds leases: sdk/framework/lease.go CalculateTTL, vault/expiration.go."""

    def creds(self, s, role, token="ROOT"):
        st, j = s.req_json("GET", "/v1/database/creds/" + role, token=token)
        self.assertEqual(st, 200, j)
        return j

    def test_role_ttls_parse_like_vault_and_set_the_lease(self):
        s = Srv(self, "--control")
        st, _ = s.req_json("POST", "/v1/database/roles/short",
                      {"db_name": "pg", "default_ttl": "30s", "max_ttl": "1h"})
        self.assertEqual(st, 204)
        st, j = s.req_json("GET", "/v1/database/roles/short")
        self.assertEqual((j["data"]["default_ttl"], j["data"]["max_ttl"]), (30, 3600))
        self.assertEqual(self.creds(s, "short")["lease_duration"], 30)
        s.req_json("POST", "/v1/database/roles/short", {"default_ttl": 90})
        st, j = s.req_json("GET", "/v1/database/roles/short")
        self.assertEqual((j["data"]["default_ttl"], j["data"]["max_ttl"]), (90, 3600))
        # no role, or a role without default_ttl: the mount's default (1h here)
        j = self.creds(s, "unconfigured")
        self.assertEqual((j["lease_duration"], j["renewable"], j["warnings"]), (3600, True, None))

    def test_default_ttl_over_max_ttl_is_capped_with_a_warning(self):
        s = Srv(self, "--control")
        s.req_json("POST", "/v1/database/roles/r", {"default_ttl": "2h", "max_ttl": "1h"})
        j = self.creds(s, "r")
        self.assertEqual(j["lease_duration"], 3600)
        self.assertEqual(j["warnings"], [CAPPED % ("2h", "1h")])

    def test_system_max_lease_ttl_flag(self):
        s = Srv(self, "--control", "--max-lease-ttl", "2h", "--default-lease-ttl", "1h")
        s.req_json("POST", "/v1/database/roles/r", {"default_ttl": "3h"})
        j = self.creds(s, "r")
        self.assertEqual((j["lease_duration"], j["warnings"]), (7200, [CAPPED % ("3h", "2h")]))
        st, j = s.req_json("GET", "/v1/sys/auth/token/tune")
        self.assertEqual((j["data"]["default_lease_ttl"], j["data"]["max_lease_ttl"]),
                         (3600, 7200))
        bad = subprocess.run([sys.executable, SERVER, "--listen", "127.0.0.1:0",
                              "--max-lease-ttl", "1h"], capture_output=True, timeout=20)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"cannot have DefaultLeaseTTL larger than MaxLeaseTTL", bad.stderr)

    def test_renew_extends_up_to_max_ttl_then_the_lease_is_gone(self):
        s = Srv(self, "--control")
        s.req_json("POST", "/v1/database/roles/r", {"default_ttl": "10m", "max_ttl": "1h"})
        lease = self.creds(s, "r")["lease_id"]
        st, j = s.req_json("PUT", "/v1/sys/leases/lookup", {"lease_id": lease})
        self.assertEqual(st, 200)
        d = j["data"]
        self.assertEqual(set(d), {"id", "issue_time", "expire_time", "last_renewal", "ttl",
                                  "renewable"})
        self.assertEqual((d["id"], d["last_renewal"], d["renewable"]), (lease, None, True))
        self.assertIn(d["ttl"], (599, 600))
        s.advance(300)
        st, j = s.req_json("PUT", "/v1/sys/leases/renew", {"lease_id": lease, "increment": "30m"})
        self.assertEqual((st, j["lease_duration"], j["warnings"]), (200, 1800, None))
        st, j = s.req_json("PUT", "/v1/sys/leases/lookup", {"lease_id": lease})
        self.assertIsNotNone(j["data"]["last_renewal"])
        self.assertIn(j["data"]["ttl"], (1799, 1800))
        s.advance(1500)                      # 30 minutes after issue: 30 left of max_ttl
        st, j = s.req_json("PUT", "/v1/sys/leases/renew", {"lease_id": lease, "increment": 3600})
        self.assertEqual(st, 200, j)
        self.assertIn(j["lease_duration"], (1799, 1800))
        self.assertEqual(j["warnings"], [CAPPED % ("1h", _human(j["lease_duration"]))])
        s.advance(1200)                      # 50 minutes: the role's default_ttl, capped too
        st, j = s.req_json("PUT", "/v1/sys/leases/renew", {"lease_id": lease, "increment": "0"})
        self.assertEqual(st, 200, j)
        self.assertIn(j["lease_duration"], (599, 600))
        s.advance(601)                       # past max_ttl: Vault revoked it at expiry
        st, j = s.req_json("PUT", "/v1/sys/leases/renew", {"lease_id": lease})
        self.assertEqual((st, j), (400, {"errors": ["lease not found"]}))
        st, j = s.req_json("PUT", "/v1/sys/leases/lookup", {"lease_id": lease})
        self.assertEqual((st, j), (400, {"errors": ["invalid lease"]}))

    def test_expiry_without_renewal(self):
        s = Srv(self, "--control")
        lease = self.creds(s, "x")["lease_id"]
        s.advance(3601)
        st, j = s.req_json("PUT", "/v1/sys/leases/lookup", {"lease_id": lease})
        self.assertEqual((st, j), (400, {"errors": ["invalid lease"]}))
        st, _ = s.req_json("LIST", "/v1/sys/leases/lookup/database/creds/")
        self.assertEqual(st, 404)

    def test_list_revoke_and_revoke_prefix(self):
        s = Srv(self, "--control")
        a = [self.creds(s, "a")["lease_id"] for _ in range(3)]
        self.creds(s, "b")
        for path in ("database/creds/", "database/creds"):
            st, j = s.req_json("LIST", "/v1/sys/leases/lookup/" + path)
            self.assertEqual((st, j["data"]), (200, {"keys": ["a/", "b/"]}))
        st, j = s.req_json("LIST", "/v1/sys/leases/lookup/database/creds/a/")
        self.assertEqual(sorted("database/creds/a/" + k for k in j["data"]["keys"]), sorted(a))
        # PathsSpecial.Root "leases/lookup/*": sudo, which the default policy lacks
        user = s.token(["default"])
        st, j = s.req_json("LIST", "/v1/sys/leases/lookup/database/creds/", token=user)
        self.assertEqual(st, 403)
        st, _ = s.req_json("PUT", "/v1/sys/leases/revoke", {"lease_id": a[0]})
        self.assertEqual(st, 204)
        st, _ = s.req_json("PUT", "/v1/sys/leases/revoke/" + a[1])
        self.assertEqual(st, 204)
        st, j = s.req_json("LIST", "/v1/sys/leases/lookup/database/creds/a")
        self.assertEqual(j["data"]["keys"], [a[2][len("database/creds/a/"):]])
        st, _ = s.req_json("PUT", "/v1/sys/leases/revoke", {"lease_id": "database/creds/a/none"})
        self.assertEqual(st, 204)        # Vault: revoking an unknown lease is no error
        st, j = s.req_json("PUT", "/v1/sys/leases/revoke", {})
        self.assertEqual((st, j), (400, {"errors": ["lease_id must be specified"]}))
        st, _ = s.req_json("PUT", "/v1/sys/leases/revoke-prefix/database/creds/a", token=user)
        self.assertEqual(st, 403)
        st, _ = s.req_json("PUT", "/v1/sys/leases/revoke-prefix/database/creds/a")
        self.assertEqual(st, 204)
        st, j = s.req_json("LIST", "/v1/sys/leases/lookup/database/creds/")
        self.assertEqual(j["data"]["keys"], ["b/"])
        st, _ = s.req_json("PUT", "/v1/sys/leases/revoke-prefix/database/")
        st, _ = s.req_json("LIST", "/v1/sys/leases/lookup/database/creds/")
        self.assertEqual(st, 404)



class TokenTTLTest(unittest.TestCase):
    """Token renewal: vault/expiration.go RenewToken + CalculateTTL, token_store.go."""

    def renew_self(self, s, tok, inc=None):
        st, j = s.req_json("PUT", "/v1/auth/token/renew-self",
                      {} if inc is None else {"increment": inc}, token=tok)
        self.assertEqual(st, 200, j)
        return j

    def test_explicit_max_ttl_caps_renewals_then_the_token_dies(self):
        s = Srv(self, "--control")
        tok = s.token(["default"], ttl="10m", explicit_max_ttl="30m")
        s.advance(300)
        j = self.renew_self(s, tok, "1h")
        left = j["auth"]["lease_duration"]
        self.assertIn(left, (1499, 1500))
        self.assertEqual(j["warnings"], [CAPPED % ("1h", _human(left))])
        # renew (by another token) honours it too; no increment: the TTL granted last
        s.advance(1200)
        st, j = s.req_json("PUT", "/v1/auth/token/renew", {"token": tok})
        self.assertEqual(st, 200, j)
        self.assertIn(j["auth"]["lease_duration"], (299, 300))
        self.assertEqual(len(j["warnings"]), 1)
        st, j = s.req_json("GET", "/v1/auth/token/lookup-self", token=tok)
        self.assertEqual(j["data"]["explicit_max_ttl"], 1800)
        s.advance(301)
        st, _ = s.req_json("PUT", "/v1/auth/token/renew-self", {}, token=tok)
        self.assertEqual(st, 403)

    def test_system_max_ttl_caps_creation_and_renewal(self):
        s = Srv(self, "--control", "--max-lease-ttl", "2h", "--default-lease-ttl", "1h")
        j = s.create_token({"policies": ["default"]})
        self.assertEqual((j["auth"]["lease_duration"], j["warnings"]), (3600, None))
        tok = j["auth"]["client_token"]
        j = s.create_token({"policies": ["default"], "ttl": "3h"})
        self.assertEqual((j["auth"]["lease_duration"], j["warnings"]),
                         (7200, [CAPPED % ("3h", "2h")]))
        s.advance(1800)
        j = self.renew_self(s, tok, "3h")
        left = j["auth"]["lease_duration"]
        self.assertIn(left, (5399, 5400))
        self.assertEqual(j["warnings"], [CAPPED % ("3h", _human(left))])
        j = self.renew_self(s, tok, "10m")
        self.assertEqual((j["auth"]["lease_duration"], j["warnings"]), (600, None))

    def test_periodic_token_renews_to_its_period_without_a_max(self):
        s = Srv(self, "--control", "--max-lease-ttl", "2h", "--default-lease-ttl", "1h")
        tok = s.token(["default"], period="1h")
        for _ in range(4):                   # 4 x 50 minutes: well past the system max
            s.advance(3000)
            j = self.renew_self(s, tok, "10h")
            self.assertEqual((j["auth"]["lease_duration"], j["warnings"]), (3600, None))
        st, j = s.req_json("GET", "/v1/auth/token/lookup-self", token=tok)
        self.assertEqual((j["data"]["period"], j["data"]["creation_ttl"]), (3600, 3600))
        j = s.create_token({"policies": ["default"], "period": "3h"})
        self.assertEqual(j["auth"]["lease_duration"], 7200)
        self.assertEqual(j["warnings"], ['period of "3h" exceeded the effective max_ttl of '
                                         '"2h"; period value is capped accordingly'])

    def approle(self, s, **role):
        st, _ = s.req_json("POST", "/v1/sys/auth/approle", {"type": "approle"})
        self.assertEqual(st, 204)
        st, _ = s.req_json("POST", "/v1/auth/approle/role/app", role)
        self.assertEqual(st, 204)
        st, j = s.req_json("GET", "/v1/auth/approle/role/app/role-id")
        rid = j["data"]["role_id"]
        st, j = s.req_json("POST", "/v1/auth/approle/role/app/secret-id", {})
        st, j = s.req_json("POST", "/v1/auth/approle/login",
                      {"role_id": rid, "secret_id": j["data"]["secret_id"]}, token=None)
        self.assertEqual(st, 200, j)
        return j

    def test_approle_token_ttl_and_token_max_ttl(self):
        s = Srv(self, "--control")
        j = self.approle(s, token_ttl="10m", token_max_ttl="30m", token_policies="default")
        self.assertEqual((j["auth"]["lease_duration"], j["warnings"]), (600, None))
        tok = j["auth"]["client_token"]
        s.advance(300)
        j = self.renew_self(s, tok, "1h")
        left = j["auth"]["lease_duration"]
        self.assertIn(left, (1499, 1500))
        self.assertEqual(j["warnings"], [CAPPED % ("1h", _human(left))])
        # no increment: the role's token_ttl (read again: a changed role counts)
        st, _ = s.req_json("POST", "/v1/auth/approle/role/app", {"token_ttl": "5m"})
        j = self.renew_self(s, tok)
        self.assertEqual((j["auth"]["lease_duration"], j["warnings"]), (300, None))

    def test_approle_token_max_ttl_below_the_default(self):
        s = Srv(self, "--control")
        j = self.approle(s, token_max_ttl="10m")
        self.assertEqual(j["auth"]["lease_duration"], 600)
        self.assertEqual(j["warnings"], [CAPPED % ("768h", "10m")])



RFC3339NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$")


class KVMetadataTest(unittest.TestCase):
    """KV v2 metadata as change polling reads it (the KV plugin's path_metadata.go,
    path_data.go AddVersion, path_delete.go, delete_version_after.go)."""

    def write(self, s, path, data, mount="secret"):
        st, j = s.req_json("POST", "/v1/%s/data/%s" % (mount, path), {"data": data})
        self.assertEqual(st, 200, j)
        return j["data"]

    def meta(self, s, path, mount="secret"):
        st, j = s.req_json("GET", "/v1/%s/metadata/%s" % (mount, path))
        self.assertEqual(st, 200, j)
        return j["data"]

    def test_fields_and_what_moves_updated_time(self):
        s = Srv(self, "--control")
        v1 = self.write(s, "app", {"a": "1"})
        m = self.meta(s, "app")
        self.assertEqual(set(m), {"cas_required", "created_time", "current_version",
                                  "custom_metadata", "delete_version_after", "max_versions",
                                  "oldest_version", "updated_time", "versions"})
        self.assertEqual((m["current_version"], m["oldest_version"], m["max_versions"],
                          m["cas_required"], m["custom_metadata"], m["delete_version_after"]),
                         (1, 0, 0, False, None, "0s"))
        self.assertEqual(m["created_time"], v1["created_time"])
        self.assertEqual(m["updated_time"], v1["created_time"])
        self.assertEqual(m["versions"], {"1": {"created_time": v1["created_time"],
                                               "deletion_time": "", "destroyed": False}})
        for t in (m["created_time"], m["updated_time"]):
            self.assertRegex(t, RFC3339NANO)     # Go's RFC3339Nano: no trailing zeros
        s.advance(10)
        v2 = self.write(s, "app", {"a": "2"})
        m = self.meta(s, "app")
        self.assertEqual((m["current_version"], m["updated_time"], m["created_time"]),
                         (2, v2["created_time"], v1["created_time"]))
        self.assertGreater(m["updated_time"][:19], v1["created_time"][:19])
        # Vault's metadata write changes no updated_time (OpenBao's does)
        st, _ = s.req_json("POST", "/v1/secret/metadata/app", {"custom_metadata": {"owner": "ops"}})
        self.assertEqual(st, 204)
        m = self.meta(s, "app")
        self.assertEqual((m["custom_metadata"], m["updated_time"]),
                         ({"owner": "ops"}, v2["created_time"]))
        # soft delete and destroy: versions change, current_version and updated_time do not
        st, _ = s.req_json("DELETE", "/v1/secret/data/app")
        st, _ = s.req_json("POST", "/v1/secret/destroy/app", {"versions": [1]})
        m = self.meta(s, "app")
        self.assertEqual((m["current_version"], m["updated_time"]), (2, v2["created_time"]))
        self.assertRegex(m["versions"]["2"]["deletion_time"], RFC3339NANO)
        self.assertTrue(m["versions"]["1"]["destroyed"])
        # a metadata write naming nothing Vault knows creates nothing
        st, _ = s.req_json("POST", "/v1/secret/metadata/nothing", {"foo": "bar"})
        self.assertEqual(st, 204)
        st, _ = s.req_json("GET", "/v1/secret/metadata/nothing")
        self.assertEqual(st, 404)

    def test_openbao_metadata_write_moves_updated_time(self):
        s = Srv(self, "--control", "--mimic", "openbao-2.3.1")
        v1 = self.write(s, "app", {"a": "1"})
        s.advance(5)
        s.req_json("POST", "/v1/secret/metadata/app", {"max_versions": 4})
        self.assertNotEqual(self.meta(s, "app")["updated_time"], v1["created_time"])

    def test_oldest_version_window(self):
        s = Srv(self, "--control")
        for i in range(10):
            self.write(s, "w", {"i": str(i)})
        m = self.meta(s, "w")
        # AddVersion: current - oldest >= max (10 - 0) moves oldest to 1, keeping v1
        self.assertEqual((m["current_version"], m["oldest_version"], len(m["versions"])),
                         (10, 1, 10))
        self.write(s, "w", {"i": "10"})
        m = self.meta(s, "w")
        self.assertEqual((m["oldest_version"], sorted(map(int, m["versions"]))),
                         (2, list(range(2, 12))))
        # the larger of the key's and the mount's max_versions counts
        st, _ = s.req_json("POST", "/v1/secret/config", {"max_versions": 5})
        st, _ = s.req_json("POST", "/v1/secret/metadata/k", {"max_versions": 3})
        for i in range(6):
            self.write(s, "k", {"i": str(i)})
        m = self.meta(s, "k")
        self.assertEqual((m["max_versions"], m["oldest_version"],
                          sorted(map(int, m["versions"]))), (3, 2, [2, 3, 4, 5, 6]))

    def test_delete_version_after_and_undelete(self):
        s = Srv(self, "--control")
        st, _ = s.req_json("POST", "/v1/secret/config", {"delete_version_after": "1h"})
        st, _ = s.req_json("POST", "/v1/secret/metadata/d", {"delete_version_after": "10m"})
        v1 = self.write(s, "d", {"x": "1"})
        self.assertNotEqual(v1["deletion_time"], "")
        st, _ = s.req_json("DELETE", "/v1/secret/data/d")
        st, _ = s.req_json("POST", "/v1/secret/undelete/d", {"versions": [1]})
        m = self.meta(s, "d")
        self.assertEqual(m["delete_version_after"], "10m0s")
        # undelete sets a fresh deletion_time (the smaller delete_version_after)
        self.assertNotEqual(m["versions"]["1"]["deletion_time"], "")
        st, _ = s.req_json("GET", "/v1/secret/data/d")
        self.assertEqual(st, 200)
        s.advance(601)                       # past the 10 minutes: deleted again
        st, j = s.req_json("GET", "/v1/secret/data/d")
        self.assertEqual(st, 404)
        self.assertEqual(j["data"]["metadata"]["version"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
