"""--mimic EDITION: which server the dev server plays, and what differs between them.

EDITION is vault-X.Y.Z (Community), vault-X.Y.Z+ent (Enterprise) or openbao-X.Y.Z.
"""

import re

DEFAULT = "vault-1.19.0"
USAGE = ("--mimic must be vault-X.Y.Z, vault-X.Y.Z+ent or openbao-X.Y.Z "
         "(e.g. vault-1.16.3, vault-1.19.0+ent, openbao-2.3.1)")

_RE = re.compile(r"(vault|openbao)-(\d+)\.(\d+)\.(\d+)(\+ent)?")

# The 403 bodies for a token that is unknown, expired or revoked.
#  - Vault >= 1.17.0 appends logical.ErrInvalidToken to the permission-denied error
#    (CHANGELOG 1.17.0, PR #25953; docs PR #26687 "concepts/tokens.mdx, Error
#    Responses"): a two-error multierror.
#    Vault's own test TestRequestHandling_fetchACLTokenEntryAndEntity_UnknownToken
#    requires both errors from the token lookup itself, so the mount lookup (which
#    calls it directly) says so too.
#  - Vault <= 1.16 and OpenBao: fetchACLTokenEntryAndEntity returns plain
#    logical.ErrPermissionDenied for a nil token entry, and handleRequest answers
#    logical.ErrorResponse(ctErr.Error()): the bare text "permission denied", with
#    nothing to tell it from a policy denial but the multierror dressing of the
#    latter (vault/request_handling.go of that era; OpenBao's copy).
INVALID_TOKEN_117 = ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]
BARE_DENIED = ["permission denied"]


class Edition:
    def __init__(self, spec):
        m = _RE.fullmatch(spec or "")
        if not m:
            raise ValueError(USAGE)
        self.spec = spec
        self.product = m.group(1)
        self.version_tuple = tuple(int(m.group(i)) for i in (2, 3, 4))
        self.ent = bool(m.group(5))
        if self.ent and self.product != "vault":
            raise ValueError(USAGE)
        self.openbao = self.product == "openbao"
        # sys/health and sys/seal-status print the version with "+ent" on Enterprise
        self.version = "%d.%d.%d" % self.version_tuple + ("+ent" if self.ent else "")
        self.enterprise = self.ent

    @property
    def namespaces(self):
        # Enterprise has namespaces; Community pins the root namespace and never
        # reads X-Vault-Namespace (Vault http/util.go, CE build); OpenBao has them
        # since 2.3.0 (its CHANGELOG; internal/vault/request_handling.go).
        if self.openbao:
            return self.version_tuple >= (2, 3, 0)
        return self.ent

    @property
    def invalid_token_errors(self):
        if not self.openbao and self.version_tuple >= (1, 17, 0):
            return INVALID_TOKEN_117
        return BARE_DENIED

    @property
    def mount_type_field(self):
        # Vault's sdk/logical/translate_response.go sends a top-level mount_type;
        # OpenBao's copy of that file has no such field.
        return not self.openbao


def parse(spec):
    """Edition for spec, or ValueError with the one-line usage."""
    return Edition(spec)
