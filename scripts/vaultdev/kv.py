"""The KV secrets engines: v1 (also cubbyhole/'s store) and v2 (versions,
metadata, check-and-set, delete/undelete/destroy, config).

Depends on api, values and clock; the KV mixin of vault.Vault keeps each mount's
data in its SecretMount.kv.
"""

from . import clock
from .api import APIError, ERR_UNSUPPORTED_OP, bad_request, envelope, jresp, no_content, ok
from .values import go_duration, merge_patch, parse_duration, rfc3339, str_list, to_bool, to_int

DEFAULT_KV_MAX_VERSIONS = 10
KV2_BAD_PATH = ("Invalid path for a versioned K/V secrets engine. See the API docs for the "
                "appropriate API endpoints to use. If using the Vault CLI, use 'vault kv %s' "
                "for this operation.")
KV2_SUBPATHS = ("data/", "metadata/", "delete/", "undelete/", "destroy/", "subkeys/")


class KV:
    """KV v1 and v2 (a mixin of vault.Vault)."""

    @staticmethod
    def _list_keys(paths, prefix):
        keys = set()
        for k in paths:
            if k.startswith(prefix):
                tail = k[len(prefix):]
                if not tail:
                    continue
                if "/" in tail:
                    keys.add(tail.split("/", 1)[0] + "/")
                else:
                    keys.add(tail)
        return sorted(keys)

    def kv1(self, r, m, store, rest, lease, mtype):
        if r.op == "list":
            keys = self._list_keys(store.keys(), rest)
            if not keys:
                raise APIError(404, [])
            return ok({"keys": keys}, mount_type=mtype)
        if rest == "":
            if r.op == "read":
                raise APIError(404, [])
            raise APIError(405, ERR_UNSUPPORTED_OP)
        if r.op == "read":
            data = store.get(rest)
            if data is None:
                raise APIError(404, [])
            ld = lease
            for key in ("ttl", "lease"):
                if key in data:
                    try:
                        ld = parse_duration(data[key], key)
                    except APIError:
                        pass
                    break
            return ok(dict(data), lease_duration=ld, mount_type=mtype)
        if r.op == "update":
            if not r.body:
                raise bad_request("missing data fields")
            store[rest] = dict(r.body)
            return no_content()
        if r.op == "delete":
            store.pop(rest, None)
            return no_content()
        raise APIError(405, ERR_UNSUPPORTED_OP)

    # KV v2

    def _kv2_max(self, m, e):
        # path_data.go AddVersion: the larger of the key's and the mount's max_versions
        return max(e["max_versions"], m.config["max_versions"]) or DEFAULT_KV_MAX_VERSIONS

    @staticmethod
    def _kv2_dva(m, e):
        """delete_version_after.go deletionTime: the smaller non-zero of mount and key."""
        return min([d for d in (m.config["delete_version_after"], e["delete_version_after"])
                    if d > 0] or [0])

    @staticmethod
    def _kv2_new_entry():
        now = clock.now_ns()
        return {"versions": {}, "current_version": 0, "oldest_version": 0, "max_versions": 0,
                "cas_required": False, "delete_version_after": 0, "custom_metadata": None,
                "created_time": now, "updated_time": now}

    def _kv2_put(self, m, path, data):
        now = clock.now_ns()
        e = m.kv.get(path)
        if e is None:
            e = m.kv[path] = self._kv2_new_entry()
            e["created_time"] = now      # AddVersion: CreatedTime = the first version's
        ver = e["current_version"] + 1
        dva = self._kv2_dva(m, e)
        e["versions"][ver] = {"data": data, "created_time": now,
                              "deletion_time": (now + dva * 1000000000) if dva else None,
                              "destroyed": False}
        e["current_version"] = ver
        e["updated_time"] = now
        # AddVersion's sliding window: oldest_version stays 0 until the window is full,
        # then becomes current - max + 1 (so 1 after the 10th write of 10 allowed)
        mx = self._kv2_max(m, e)
        if ver - e["oldest_version"] >= mx:
            gone = ver - mx
            for old in range(e["oldest_version"], gone + 1):
                e["versions"].pop(old, None)
            e["oldest_version"] = gone + 1
        return e, ver

    @staticmethod
    def _kv2_deleted(v, now_ns):
        return v["deletion_time"] is not None and v["deletion_time"] <= now_ns

    @staticmethod
    def _kv2_vmeta(e, ver, v):
        return {"created_time": rfc3339(v["created_time"]),
                "custom_metadata": e["custom_metadata"],
                "deletion_time": rfc3339(v["deletion_time"]) if v["deletion_time"] else "",
                "destroyed": v["destroyed"], "version": ver}

    def _kv2_cas(self, m, e, body):
        opts = body.get("options")
        has_cas = isinstance(opts, dict) and opts.get("cas") is not None
        if not has_cas and (m.config["cas_required"] or (e and e["cas_required"])):
            raise bad_request("check-and-set parameter required for this call")
        if has_cas:
            cas = to_int(opts.get("cas"), "cas")
            if cas != (e["current_version"] if e else 0):
                raise bad_request("check-and-set parameter did not match the current version")

    def kv2(self, r, m, rest):
        op = r.op
        if rest == "config" or rest == "config/":
            return self._kv2_config(r, m)
        sect = None
        for s in KV2_SUBPATHS:
            if rest.startswith(s):
                sect = s[:-1]
                key = rest[len(s):]
                break
        if sect is None or sect == "subkeys":
            verb = {"read": "get", "update": "put", "patch": "patch", "list": "list",
                    "delete": "delete"}.get(op, "get")
            return jresp(404, envelope(None, warnings=[KV2_BAD_PATH % verb], mount_type="kv"))
        now = clock.now_ns()
        e = m.kv.get(key)
        if sect == "data":
            return self._kv2_data(r, m, key, e, now)
        if sect == "metadata":
            return self._kv2_metadata(r, m, key, e, now)
        return self._kv2_versions(r, m, sect, e, now)

    @staticmethod
    def _kv2_config(r, m):
        """config: the mount's max_versions, cas_required, delete_version_after."""
        op = r.op
        if op == "read":
            return ok({"cas_required": m.config["cas_required"],
                       "delete_version_after": go_duration(m.config["delete_version_after"]),
                       "max_versions": m.config["max_versions"]}, mount_type="kv")
        if op == "update":
            b = r.body
            if "max_versions" in b:
                m.config["max_versions"] = to_int(b["max_versions"], "max_versions")
            if "cas_required" in b:
                m.config["cas_required"] = to_bool(b["cas_required"], "cas_required")
            if "delete_version_after" in b:
                m.config["delete_version_after"] = parse_duration(
                    b["delete_version_after"], "delete_version_after") or 0
            return no_content()
        raise APIError(405, ERR_UNSUPPORTED_OP)

    def _kv2_data(self, r, m, key, e, now):
        """data/<key>: read (?version=), write, PATCH (merge patch), delete."""
        op = r.op
        if op == "read":
            if e is None or not e["current_version"]:
                raise APIError(404, [])
            ver = to_int(r.body.get("version"), "version")
            if ver == 0:
                ver = e["current_version"]
            v = e["versions"].get(ver)
            if v is None:
                raise APIError(404, [])
            meta = self._kv2_vmeta(e, ver, v)
            if v["destroyed"] or self._kv2_deleted(v, now):
                return jresp(404, envelope({"data": None, "metadata": meta}, mount_type="kv"))
            return ok({"data": v["data"], "metadata": meta}, mount_type="kv")
        if op == "update":
            data = r.body.get("data")
            if not isinstance(data, dict):
                raise bad_request("no data provided")
            self._kv2_cas(m, e, r.body)
            e, ver = self._kv2_put(m, key, data)
            return ok(self._kv2_vmeta(e, ver, e["versions"][ver]), mount_type="kv")
        if op == "patch":
            ctype = (r.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/merge-patch+json":
                raise APIError(415, ["PATCH requires Content-Type of "
                                     "application/merge-patch+json, provided %s" % ctype])
            if e is None or not e["current_version"]:
                raise APIError(404, [])
            cur = e["versions"].get(e["current_version"])
            if cur is None or cur["destroyed"] or self._kv2_deleted(cur, now):
                raise APIError(404, [])
            patch = r.body.get("data")
            if not isinstance(patch, dict):
                raise bad_request("no data provided")
            self._kv2_cas(m, e, r.body)
            e, ver = self._kv2_put(m, key, merge_patch(cur["data"], patch))
            return ok(self._kv2_vmeta(e, ver, e["versions"][ver]), mount_type="kv")
        if op == "delete":
            if e and e["current_version"]:
                v = e["versions"].get(e["current_version"])
                if v and not v["destroyed"] and not self._kv2_deleted(v, now):
                    v["deletion_time"] = now
            return no_content()
        raise APIError(405, ERR_UNSUPPORTED_OP)

    def _kv2_metadata(self, r, m, key, e, now):
        """metadata/<key>: list, read, write or patch the key's settings, delete all."""
        op = r.op
        if op == "list":
            keys = self._list_keys(m.kv.keys(), key)
            if not keys:
                raise APIError(404, [])
            return ok({"keys": keys}, mount_type="kv")
        if op == "read":
            if e is None:
                raise APIError(404, [])
            versions = {}
            for ver, v in sorted(e["versions"].items()):
                versions[str(ver)] = {"created_time": rfc3339(v["created_time"]),
                                      "deletion_time": (rfc3339(v["deletion_time"])
                                                        if v["deletion_time"] else ""),
                                      "destroyed": v["destroyed"]}
            return ok({"cas_required": e["cas_required"],
                       "created_time": rfc3339(e["created_time"]),
                       "current_version": e["current_version"],
                       "custom_metadata": e["custom_metadata"],
                       "delete_version_after": go_duration(e["delete_version_after"]),
                       "max_versions": e["max_versions"],
                       "oldest_version": e["oldest_version"],
                       "updated_time": rfc3339(e["updated_time"]),
                       "versions": versions}, mount_type="kv")
        if op in ("update", "patch"):
            b = r.body
            if not {"max_versions", "cas_required", "delete_version_after",
                    "custom_metadata"} & set(b):
                return no_content()      # path_metadata.go: "Fast path validation"
            if e is None:
                e = m.kv[key] = self._kv2_new_entry()
            elif self.edition.openbao:
                e["updated_time"] = now  # OpenBao's metadata write/patch; Vault's: not
            if "max_versions" in b:
                e["max_versions"] = to_int(b["max_versions"], "max_versions")
            if "cas_required" in b:
                e["cas_required"] = to_bool(b["cas_required"], "cas_required")
            if "delete_version_after" in b:
                e["delete_version_after"] = parse_duration(b["delete_version_after"],
                                                           "delete_version_after") or 0
            if "custom_metadata" in b:
                cm = b["custom_metadata"]
                if cm is not None and not isinstance(cm, dict):
                    raise bad_request("custom_metadata must be a map of strings")
                if op == "patch" and cm is not None:
                    cm = {k: v for k, v in merge_patch(e["custom_metadata"] or {},
                                                       cm).items()}
                e["custom_metadata"] = {str(k): str(v) for k, v in cm.items()} if cm else None
            return no_content()
        if op == "delete":
            m.kv.pop(key, None)
            return no_content()
        raise APIError(405, ERR_UNSUPPORTED_OP)

    def _kv2_versions(self, r, m, sect, e, now):
        """delete/, undelete/ and destroy/<key> with {"versions": [...]}."""
        op = r.op
        if op != "update":
            raise APIError(405, ERR_UNSUPPORTED_OP)
        versions = r.body.get("versions")
        if versions is None or versions == [] or versions == "":
            raise bad_request("no version number provided")
        if isinstance(versions, (int, str)):
            versions = str_list(str(versions))
        if not isinstance(versions, list):
            raise bad_request("versions must be a list of integers")
        vers = [to_int(v, "versions") for v in versions]
        if e is None:
            return no_content()
        for ver in vers:
            v = e["versions"].get(ver)
            if v is None:
                continue
            if sect == "delete":
                if not v["destroyed"] and not self._kv2_deleted(v, now):
                    v["deletion_time"] = now
            elif sect == "undelete":
                if not v["destroyed"]:
                    # path_delete.go undelete: a fresh deletion_time from delete_version_after
                    dva = self._kv2_dva(m, e)
                    v["deletion_time"] = (now + dva * 1000000000) if dva else None
            else:
                v["destroyed"] = True
                v["data"] = None
        return no_content()
