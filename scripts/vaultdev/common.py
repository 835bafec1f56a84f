"""Shared by the rule modules (leases, namespaces, quotas) and the server: Refuse and
normalize_ns."""


class Refuse(Exception):
    """An error answer: HTTP status and the `errors` list of Vault's body."""

    def __init__(self, status, errors):
        super().__init__(status, errors)
        self.status = status
        self.errors = list(errors)


def normalize_ns(path):
    """'org/team' or '/org/team/' -> 'org/team/'; '' or '/' -> '' (the root namespace)."""
    segs = [s for s in (path or "").strip().split("/") if s]
    return "".join(s + "/" for s in segs)
