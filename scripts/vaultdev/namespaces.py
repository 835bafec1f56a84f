"""Namespaces, as Vault Enterprise (and OpenBao >= 2.3) have them.

A request's namespace is X-Vault-Namespace joined with any leading path segments
that name child namespaces (/v1/org/team/secret/app with the header "org" or none:
both reach org/team/): Vault docs "enterprise/namespaces", api-docs index
"Namespaces".  An unknown namespace in the header is refused before routing; the
wording used is OpenBao's (internal/vault/request_handling.go, 404 "namespace not
found"), since Vault Enterprise's source is not public.  Each namespace has its own
mounts (sys/, cubbyhole/, identity/, auth token/, but no secret/), policies and
cubbyhole; the API is sys/namespaces/<path> (create, read, list, delete).
"""

import random
import string

from .common import Refuse, normalize_ns

NOT_FOUND = ["namespace not found"]


class Namespace:
    def __init__(self, path, mounts, auth_mounts, policies, custom_metadata=None):
        self.path = path                      # "" (root), "org/", "org/team/"
        self.id = "root" if not path else "".join(
            random.choice(string.ascii_letters + string.digits) for _ in range(5))
        self.mounts = mounts
        self.auth_mounts = auth_mounts
        self.policies = policies
        self.custom_metadata = dict(custom_metadata or {})

    def info(self):
        return {"id": self.id, "path": self.path, "custom_metadata": dict(self.custom_metadata)}


def descend(spaces, ns_path, path):
    """Follow leading segments of path that name child namespaces of ns_path."""
    while "/" in path:
        seg, rest = path.split("/", 1)
        if not seg or ns_path + seg + "/" not in spaces:
            break
        ns_path, path = ns_path + seg + "/", rest
    return ns_path, path


def resolve(spaces, header, path):
    """(namespace path, path inside it) for a request; Refuse 404 for an unknown header."""
    ns_path = normalize_ns(header)
    if ns_path and ns_path not in spaces:
        raise Refuse(404, NOT_FOUND)
    return descend(spaces, ns_path, path)


def api(spaces, cur, op, name, body, make):
    """sys/namespaces[/<name>] in namespace cur.  make(path, custom_metadata) builds a
    new Namespace.  Returns the data of a 200 answer, or None for 204."""
    name = name.strip("/")
    if not name:
        if op != "list":
            raise Refuse(405, ["unsupported operation"])
        kids = sorted(p for p in spaces if p.startswith(cur) and p != cur
                      and "/" not in p[len(cur):].rstrip("/"))
        if not kids:
            raise Refuse(404, [])
        keys = [p[len(cur):] for p in kids]
        return {"keys": keys, "key_info": {p[len(cur):]: spaces[p].info() for p in kids}}
    full = cur + normalize_ns(name)
    if op == "read":
        ns = spaces.get(full)
        if ns is None:
            raise Refuse(404, [])
        return ns.info()
    if op == "delete":
        if full not in spaces:
            return None
        if any(p != full and p.startswith(full) for p in spaces):
            raise Refuse(400, ["cannot delete namespace (%s) containing child namespaces"
                               % full])
        del spaces[full]
        return None
    if op not in ("update", "patch"):
        raise Refuse(405, ["unsupported operation"])
    meta = body.get("custom_metadata") if isinstance(body, dict) else None
    if meta is not None and not isinstance(meta, dict):
        raise Refuse(400, ["custom_metadata must be a map of strings"])
    parent = full[:full[:-1].rfind("/") + 1] if "/" in full[:-1] else ""
    if parent not in spaces:
        raise Refuse(400, ["parent namespace does not exist"])
    ns = spaces.get(full)
    if ns is None:
        if op == "patch":
            raise Refuse(404, [])
        ns = spaces[full] = make(full, meta)
    elif meta is not None:
        ns.custom_metadata = dict(meta)
    return ns.info()


def relative(token_ns, cur):
    """The path prefix that takes token_ns's policies to namespace cur, or None when
    cur is not token_ns or below it (a token never reaches up or sideways)."""
    if not cur.startswith(token_ns):
        return None
    return cur[len(token_ns):]
