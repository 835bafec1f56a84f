#!/usr/bin/env python3
"""Expectations for tests/integration/test_migrate.sh, and the checks that
compare what vaultshim migrate did against them. Never prints a value: only
names, lengths, digests of expected-vs-actual verdicts, "differs".

Each fixture (written by make-fixtures.sh) is described statement by
statement: the raw bytes of every statement setting the name (a duplicate has
two), the value python-dotenv's rules give (no interpolation: vaultshim
refuses ${...} unless named), whether `--secrets-only` picks it, and whether
migrate must skip it.

usage: expect.py selftest FX FILE
       expect.py names FX MODE                  names migrate must write
       expect.py skipped FX MODE                names shown as skip
   MODE: all (--all), secrets (--secrets-only) or keys=A,B (--keys A,B)
       expect.py vault FX MODE JSON [--kv1] [--extra NAME=VALUE ...]
       expect.py digests FX MODE FILE           lines "NAME <sha256|UNSET>"
       expect.py strip FX MODE ORIG OUT         expected bytes after --strip
       expect.py leaks FX FILE...               no secret value in the files
"""
import hashlib
import json
import os
import sys

BOM = b"\xef\xbb\xbf"


def E(name, raws, value, secret=True, skip=None):
    return {"name": name, "raws": raws, "value": value, "secret": secret, "skip": skip}


FIXTURES = {
    "nasty": [
        E("DEBUG", [b"DEBUG=true\n"], "true", False),
        E("PORT", [b"PORT=8080 # http port\n"], "8080", False),
        E("APP_NAME", [b"APP_NAME=nasty-demo\n"], "nasty-demo", False),
        E("GREETING", ["GREETING=héllo 日本 👋\n".encode()], "héllo 日本 👋", False),
        E("DQ_SECRET", [b'DQ_SECRET="say \\"hi\\" back\\\\slash nl\\nnext tab\\tend"\n'],
          'say "hi" back\\slash nl\nnext tab\tend'),
        E("SQ_PASSWORD", [b"SQ_PASSWORD='C:\\temp\\new it\\'s'\n"], "C:\\temp\\new it's"),
        E("SQ_LITERAL_SECRET", [b"SQ_LITERAL_SECRET='no $HOME ${NOT_EXPANDED} \"dq\" \\\\ kept'\n"],
          'no $HOME ${NOT_EXPANDED} "dq" \\ kept'),
        E("PRIVATE_KEY_PEM", [b'PRIVATE_KEY_PEM="-----BEGIN PRIVATE KEY-----\n'
                              b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCfakefakefake+/0123456789\n"
                              b"bm90IGEgcmVhbCBrZXksIGp1c3QgYSB0ZXN0IGZpeHR1cmU=\n"
                              b'-----END PRIVATE KEY-----"\n'],
          "-----BEGIN PRIVATE KEY-----\n"
          "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCfakefakefake+/0123456789\n"
          "bm90IGEgcmVhbCBrZXksIGp1c3QgYSB0ZXN0IGZpeHR1cmU=\n"
          "-----END PRIVATE KEY-----"),
        E("JWT_SIGNING_KEY", [b'JWT_SIGNING_KEY="-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIfakeECkey0123==\\n'
                              b'-----END EC PRIVATE KEY-----\\n"\n'],
          "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIfakeECkey0123==\n-----END EC PRIVATE KEY-----\n"),
        E("B64_SECRET", [b"B64_SECRET=YWJjZGVmZ2g=\n"], "YWJjZGVmZ2g="),
        E("QUERY_TOKEN", [b"QUERY_TOKEN=a=b==c&d=e==\n"], "a=b==c&d=e=="),
        E("DATABASE_URL", [b"DATABASE_URL=postgres://u:p%40ss@h:5432/db?sslmode=require\n"],
          "postgres://u:p%40ss@h:5432/db?sslmode=require"),
        E("REDIS_URL", [b"REDIS_URL=redis://cache:6379/0\n"], "redis://cache:6379/0", False),
        E("UNICODE_SECRET", ["UNICODE_SECRET=café 日本 🔑 naïve\n".encode()], "café 日本 🔑 naïve"),
        E("EMOJI_PASSWORD", ['EMOJI_PASSWORD="🔐 ünïcödé 日本語"\n'.encode()], "🔐 ünïcödé 日本語"),
        E("CRLF_TOKEN", [b"CRLF_TOKEN=crlf-line-value\r\n"], "crlf-line-value"),
        E("CRLF_QUOTED_SECRET", [b'CRLF_QUOTED_SECRET="quoted crlf value"\r\n'], "quoted crlf value"),
        E("EXPORTED_TOKEN", [b"export EXPORTED_TOKEN=exported-tok-123\n"], "exported-tok-123"),
        E("EXPORT_SPACED_SECRET", [b"export   EXPORT_SPACED_SECRET='exp spaced'\n"], "exp spaced"),
        E("COMMENTED_SECRET", [b"COMMENTED_SECRET=value-before-comment # trailing comment\n"],
          "value-before-comment"),
        E("HASH_IN_PASSWORD", [b"HASH_IN_PASSWORD=abc#def#ghi\n"], "abc#def#ghi"),
        E("SPACED_PASSWORD", [b"SPACED_PASSWORD = spaced value   \n"], "spaced value"),
        E("INDENTED_SECRET", [b"\tINDENTED_SECRET=indented-value\n"], "indented-value"),
        E("SQ_NAME_TOKEN", [b"'SQ_NAME_TOKEN'=quoted-name-value\n"], "quoted-name-value"),
        E("DUP_SECRET", [b"DUP_SECRET=first-dup-value\n", b'DUP_SECRET="second dup value"\n'],
          "second dup value"),
        E("API_TOKEN", [b"API_TOKEN=\n"], ""),
        E("DOLLAR_PASSWORD", [b"DOLLAR_PASSWORD=pa$$word$1\n"], "pa$$word$1"),
        E("INTERP_SECRET", [b"INTERP_SECRET=${HOME}/not-expanded\n"], "${HOME}/not-expanded",
          skip="holds ${...}"),
        E("BARE_SECRET", [b"BARE_SECRET\n"], None, skip="no value"),
        E("DQ_COMMENT_SECRET", [b'DQ_COMMENT_SECRET="quoted # not a comment" # real comment\n'],
          "quoted # not a comment"),
        E("EMPTY_QUOTED_SECRET", [b'EMPTY_QUOTED_SECRET=""\n'], ""),
        E("LAST_TOKEN", [b"LAST_TOKEN=no-final-newline"], "no-final-newline"),
    ],
    "crlf": [
        E("FLASK_SECRET_KEY", [b"export FLASK_SECRET_KEY=crlf-flask-sk-0xC0FFEE\r\n"], "crlf-flask-sk-0xC0FFEE"),
        E("MAIL_PASSWORD", [b'MAIL_PASSWORD="multi\r\nline crlf"\r\n'], "multi\nline crlf"),
        E("LOG_LEVEL", [b"LOG_LEVEL=info\r\n"], "info", False),
        E("DB_PASSWORD", [b"DB_PASSWORD='single q crlf' # c\r\n"], "single q crlf"),
        E("TAB_TOKEN", [b'TAB_TOKEN="tab\\there"\r\n'], "tab\there"),
        E("WORKERS", [b"WORKERS=4\r\n"], "4", False),
    ],
    "flask": [
        E("FLASK_APP", [b"FLASK_APP=app.py\n"], "app.py", False),
        E("FLASK_ENV", [b"FLASK_ENV=production\n"], "production", False),
        E("SECRET_KEY", [b"SECRET_KEY=flask-sk-5f1e9b0c7d\n"], "flask-sk-5f1e9b0c7d"),
        E("SQLALCHEMY_DATABASE_URI", [b"SQLALCHEMY_DATABASE_URI=postgresql://store:db%2Fp4ss@db:5432/store\n"],
          "postgresql://store:db%2Fp4ss@db:5432/store"),
        E("MAIL_SERVER", [b"MAIL_SERVER=smtp.example.com\n"], "smtp.example.com", False),
        E("MAIL_PASSWORD", [b'MAIL_PASSWORD="m@il pass w/ spaces"\n'], "m@il pass w/ spaces"),
        E("STRIPE_API_KEY", [b"STRIPE_API_KEY=sk_test_fake_4eC39HqLyjWDarjtT1zdp7\n"],
          "sk_test_fake_4eC39HqLyjWDarjtT1zdp7"),
    ],
}


def picked(fx, mode):
    if mode.startswith("keys="):
        keys = mode[5:].split(",")
        return [e for e in FIXTURES[fx] if e["name"] in keys]
    return [e for e in FIXTURES[fx] if mode == "all" or e["secret"]]


def migrated(fx, mode):
    # a name given in --keys is migrated literally even when it holds ${...}
    named = mode.startswith("keys=")
    return [e for e in picked(fx, mode) if e["value"] is not None and (named or not e["skip"])]


def sha(v):
    return hashlib.sha256(v.encode("utf-8", "surrogateescape")).hexdigest()


def describe(exp, got):
    if got is None:
        return "missing (expected %d bytes)" % len(exp.encode())
    return "differs (expected %d bytes, got %d)" % (len(exp.encode()), len(got.encode("utf-8", "surrogateescape")))


def finish(bad, what):
    if bad:
        for b in bad:
            print("# %s: %s" % (what, b))
        return 1
    return 0


def cmd_selftest(fx, path):
    data = open(path, "rb").read()
    bad = []
    rest = data
    for e in FIXTURES[fx]:
        for r in e["raws"]:
            n = data.count(r)
            at = data.find(r)
            line_start = at == 0 or data[at - 1:at] == b"\n" or data[:at] == BOM
            if n != 1 or not line_start:
                bad.append("%s: raw statement found %d times%s" % (e["name"], n, "" if line_start else " (not at a line start)"))
            rest = rest.replace(r, b"", 1)
    for line in rest.replace(BOM, b"", 1).splitlines():
        s = line.strip()
        if s and not s.startswith(b"#"):
            bad.append("a statement not in the table: %d bytes" % len(line))
    return finish(bad, "fixture " + fx)


def cmd_vault(fx, mode, jpath, args):
    j = json.load(open(jpath))
    kv1 = "--kv1" in args
    extra = dict(a.split("=", 1) for a in args if "=" in a)
    data = j["data"] if kv1 else j["data"]["data"]
    exp = {e["name"]: e["value"] for e in migrated(fx, mode)}
    exp.update(extra)
    bad = []
    for n, v in exp.items():
        if data.get(n) != v:
            bad.append("%s: %s" % (n, describe(v, data.get(n))))
    for n in sorted(set(data) - set(exp)):
        bad.append("%s: in Vault but not expected there" % n)
    return finish(bad, "vault")


def cmd_digests(fx, mode, path):
    got = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        p = line.split()
        if len(p) == 2:
            got[p[0]] = p[1]
    bad = []
    for e in migrated(fx, mode):
        g = got.get(e["name"])
        if g != sha(e["value"]):
            bad.append("%s: %s" % (e["name"], "unset in the program" if g == "UNSET" else
                                   "not reported" if g is None else "differs (sha256 mismatch)"))
    return finish(bad, "program")


def cmd_strip(fx, mode, orig, out):
    data = open(orig, "rb").read()
    for e in migrated(fx, mode):
        for r in e["raws"]:
            assert data.count(r) == 1, e["name"]
            data = data.replace(r, b"", 1)
    with open(out, "wb") as f:
        f.write(data)
    return 0


def secret_needles(fx):
    for e in FIXTURES[fx]:
        v = e["value"]
        if not e["secret"] or not v:
            continue
        if len(v) >= 6:
            yield e["name"], v.encode()
        for part in v.split("\n"):
            if len(part) >= 12:
                yield e["name"], part.encode()


def cmd_leaks(fx, files):
    bad = set()
    for f in files:
        data = open(f, "rb").read()
        for n, needle in secret_needles(fx):
            if needle in data:
                bad.add("%s: value found in %s" % (n, os.path.basename(f)))
    return finish(sorted(bad), "leak")


def main(a):
    c = a[0]
    if c == "selftest":
        return cmd_selftest(a[1], a[2])
    if c == "names":
        print(" ".join(e["name"] for e in migrated(a[1], a[2])))
        return 0
    if c == "skipped":
        print(" ".join(e["name"] for e in picked(a[1], a[2]) if e["skip"]))
        return 0
    if c == "vault":
        return cmd_vault(a[1], a[2], a[3], a[4:])
    if c == "digests":
        return cmd_digests(a[1], a[2], a[3])
    if c == "strip":
        return cmd_strip(a[1], a[2], a[3], a[4])
    if c == "leaks":
        return cmd_leaks(a[1], a[2:])
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
