"""The command line: options, the root token, and main() (build the Vault, listen,
print "listening on <URL>", serve until SIGTERM or SIGINT, clean up).

Depends on vault, server, api, values, edition, relay and ttl.
"""

import argparse
import os
import signal
import ssl
import sys
import threading

from . import edition as editions
from . import relay
from . import ttl as ttlcalc
from .api import APIError
from .server import make_server, write_addr_file
from .values import new_token_id, parse_duration
from .vault import Vault


def make_parser():
    """The options, with their help texts (--help prints them)."""
    ap = argparse.ArgumentParser(
        prog="vault-dev-server",
        description="In-memory stand-in for `vault server -dev` (KV v1/v2, tokens, ACL "
                    "policies, AppRole, leases, response wrapping, health) for tests and demos. "
                    "Prints exactly one line 'listening on <URL>' once bound.",
        epilog="Root token precedence: --root-token-file, --root-token, $VAULT_DEV_ROOT_TOKEN_ID, "
               "else a random hvs.* token that is never printed. Test-control API "
               "(--control): POST /_control/seal|unseal, POST|GET|DELETE /_control/faults, "
               "GET|DELETE /_control/counters, GET|DELETE /_control/requests, "
               "POST /_control/revoke, GET|POST /_control/clock. See tests/devserver/README.md.")
    ap.add_argument("--listen", default="127.0.0.1:8200", metavar="ADDR",
                    help="HOST:PORT (port 0 = pick a free port; [::1]:PORT for IPv6) or "
                         "unix:/path/to/socket (default: %(default)s)")
    tg = ap.add_mutually_exclusive_group()
    tg.add_argument("--root-token", metavar="TOKEN",
                    help="root token id (visible in the process list; prefer --root-token-file)")
    tg.add_argument("--root-token-file", metavar="FILE",
                    help="read the root token id from FILE (surrounding whitespace stripped)")
    ap.add_argument("--kv-v1", action="append", default=[], metavar="MOUNT",
                    help="mount an extra KV v1 engine at MOUNT (repeatable)")
    ap.add_argument("--kv-v2", action="append", default=[], metavar="MOUNT",
                    help="mount an extra KV v2 engine at MOUNT (repeatable; secret/ is always "
                         "KV v2)")
    ap.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate")
    ap.add_argument("--tls-key", metavar="FILE", help="PEM private key for --tls-cert")
    ap.add_argument("--tls-client-ca", metavar="FILE",
                    help="require client certificates signed by this CA bundle")
    ap.add_argument("--control", action="store_true",
                    help="enable the unauthenticated test-control API under /_control/")
    ap.add_argument("--addr-file", metavar="FILE",
                    help="also write the listen URL to FILE (atomically) once bound; removed "
                         "on shutdown")
    ap.add_argument("--standby-of", metavar="URL",
                    help="act as an HA standby of the active node at URL: forward every API "
                         "request but sys/health and sys/seal-status there and relay the "
                         "answer; sys/health says standby (429 unless standbyok)")
    ap.add_argument("--no-forwarding", action="store_true",
                    help="with --standby-of: answer 307 to the active node instead of "
                         "forwarding (Vault does so when forwarding fails or the request "
                         "has X-Vault-No-Request-Forwarding)")
    ap.add_argument("--agent-of", metavar="URL",
                    help="act as a Vault Agent/Proxy API proxy in front of URL (http://, "
                         "https:// or unix:///): relay every request, adding the auto-auth "
                         "token to those without X-Vault-Token")
    ap.add_argument("--agent-token-file", metavar="FILE",
                    help="with --agent-of: the auto-auth token (re-read on every request)")
    ap.add_argument("--mimic", metavar="EDITION", default=editions.DEFAULT,
                    help="play this server: vault-X.Y.Z, vault-X.Y.Z+ent or openbao-X.Y.Z "
                         "(default: %(default)s): version in sys/health, invalid-token "
                         "wording, namespaces (+ent, openbao >= 2.3)")
    ap.add_argument("--max-lease-ttl", metavar="DURATION", default="768h",
                    help="the system max lease TTL, Vault's max_lease_ttl (default: "
                         "%(default)s): no lease or token outlives it from its issue time")
    ap.add_argument("--default-lease-ttl", metavar="DURATION", default="768h",
                    help="the system default lease TTL, Vault's default_lease_ttl (default: "
                         "%(default)s; at most --max-lease-ttl)")
    ap.add_argument("--log-requests", action="store_true",
                    help="log 'METHOD path status' lines to stderr (no headers, bodies or "
                         "query strings)")
    return ap


def parse_args(argv):
    """The options of argv, checked: a bad one exits 2 with a message on stderr."""
    ap = make_parser()
    args = ap.parse_args(argv)
    try:
        args.edition = editions.parse(args.mimic)
    except ValueError as e:
        ap.exit(2, "vault-dev-server: %s\n" % e)
    try:
        args.max_lease_ttl = parse_duration(args.max_lease_ttl, "max-lease-ttl") \
            or ttlcalc.SYSTEM_MAX_LEASE_TTL
        args.default_lease_ttl = parse_duration(args.default_lease_ttl, "default-lease-ttl") \
            or ttlcalc.SYSTEM_DEFAULT_LEASE_TTL
    except APIError as e:
        ap.error(e.errors[0])
    if args.default_lease_ttl > args.max_lease_ttl:
        # vault/core.go CreateCore
        ap.error("cannot have DefaultLeaseTTL larger than MaxLeaseTTL")
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key must be given together")
    if args.tls_client_ca and not args.tls_cert:
        ap.error("--tls-client-ca requires --tls-cert/--tls-key")
    if args.no_forwarding and not args.standby_of:
        ap.error("--no-forwarding requires --standby-of")
    if args.agent_token_file and not args.agent_of:
        ap.error("--agent-token-file requires --agent-of")
    if args.agent_of and args.standby_of:
        ap.error("--agent-of and --standby-of exclude each other")
    for name in ("agent_of", "standby_of"):
        if getattr(args, name):
            try:
                relay.Upstream(getattr(args, name))
            except ValueError as e:
                ap.error("--%s: %s" % (name.replace("_", "-"), e))
    return args


def resolve_root_token(args):
    if args.root_token_file:
        try:
            with open(args.root_token_file, "r", encoding="utf-8") as f:
                tok = f.read().strip()
        except OSError as e:
            raise SystemExit("vault-dev-server: cannot read --root-token-file: %s"
                             % e.strerror)
        if not tok:
            raise SystemExit("vault-dev-server: --root-token-file is empty")
        return tok
    if args.root_token:
        return args.root_token.strip()
    env = os.environ.get("VAULT_DEV_ROOT_TOKEN_ID", "").strip()
    if env:
        return env
    return new_token_id()


def tls_context(args):
    """The server's TLS context for --tls-cert/--tls-key[/--tls-client-ca], or None."""
    if not args.tls_cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.tls_client_ca)
    except (OSError, ssl.SSLError) as e:
        raise SystemExit("vault-dev-server: TLS setup failed: %s" % e)
    return ctx


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    root = resolve_root_token(args)
    try:
        vault = Vault(root, args.kv_v1, args.kv_v2, args.edition)
        vault.max_lease_ttl, vault.default_lease_ttl = args.max_lease_ttl, args.default_lease_ttl
    except APIError as e:
        raise SystemExit("vault-dev-server: bad mount name: %s" % "; ".join(e.errors))
    ctx = tls_context(args)
    try:
        srv, url, sock_path = make_server(args)
    except OSError as e:
        raise SystemExit("vault-dev-server: cannot listen on %s: %s" % (args.listen, e.strerror))
    srv.vault = vault
    srv.ssl_ctx = ctx
    srv.control = args.control
    srv.standby_of = args.standby_of.rstrip("/") if args.standby_of else None
    srv.no_forwarding = args.no_forwarding
    vault.standby = bool(args.standby_of)
    srv.agent = relay.Upstream(args.agent_of) if args.agent_of else None
    srv.agent_token_file = args.agent_token_file
    srv.log_requests = args.log_requests
    serve(srv, url, sock_path, args.addr_file)
    return 0


def serve(srv, url, sock_path, addr_file):
    """Serve in a thread until SIGTERM or SIGINT; then close, and remove the socket
    file and the addr file."""
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                              name="vault-dev-server", daemon=True)
    thread.start()
    try:
        if addr_file:
            write_addr_file(addr_file, url)
        try:
            sys.stdout.write("listening on %s\n" % url)
            sys.stdout.flush()
        except (BrokenPipeError, OSError):
            pass
        while not stop.wait(0.5):
            if not thread.is_alive():
                break
    finally:
        srv.shutdown()
        srv.server_close()
        if sock_path:
            try:
                os.unlink(sock_path)
            except OSError:
                pass
        if addr_file:
            try:
                os.unlink(addr_file)
            except OSError:
                pass
