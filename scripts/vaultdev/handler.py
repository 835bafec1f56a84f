"""The HTTP layer: one request from the socket to the answer's bytes.  Reads the
body (Content-Length or chunked, 413 over MAX_BODY), dispatches /v1/ to the Vault,
/_control/ to its control API, or relays (--agent-of, --standby-of), applies
rate-limit quotas and injected faults, and logs "METHOD path status" lines.

Depends on api, common, control (fault answers), quotas and relay; the server
(server.py) puts the Vault and the options it reads on self.server.
"""

import email.utils
import http.client
import http.server
import re
import socket
import sys
import time
import traceback
import urllib.parse

from . import control, quotas, relay
from .api import Req, Resp, err_resp
from .common import normalize_ns

MAX_BODY = 32 * 1024 * 1024

_REDACT = re.compile(r"(hv[sbr]\.|s\.)[A-Za-z0-9_\-.]{8,}")


def redact_path(p):
    return _REDACT.sub("<redacted>", p)


class _DateCache:
    def __init__(self):
        self.sec = 0
        self.val = ""

    def get(self):
        now = int(time.time())
        if now != self.sec:
            self.sec = now
            self.val = email.utils.formatdate(now, usegmt=True)
        return self.val


_DATE = _DateCache()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 300
    server_version = "vault-dev-server"
    sys_version = ""

    def setup(self):
        if self.server.is_unix:
            self.disable_nagle_algorithm = False
        super().setup()

    def log_message(self, fmt, *args):
        # http.server's own messages can embed the raw request line (query values);
        # stay silent and log only through _finish.
        return

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def handle_expect_100(self):
        try:
            cl = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            cl = 0
        if cl > MAX_BODY:
            return True          # do not invite the upload; _dispatch answers 413
        return super().handle_expect_100()

    # ---- low level I/O ----

    def _write(self, resp, head=False, extra_headers=()):
        status = resp.status
        reason = self.responses.get(status, ("",))[0]
        lines = ["HTTP/1.1 %d %s" % (status, reason),
                 "Date: " + _DATE.get(),
                 "Cache-Control: no-store"]
        if resp.ctype:
            lines.append("Content-Type: " + resp.ctype)
        body = resp.body or b""
        if status != 204 and status != 304 and not (100 <= status < 200):
            lines.append("Content-Length: %d" % (0 if head else len(body)))
        for k, v in list(resp.headers) + list(extra_headers):
            lines.append("%s: %s" % (k, v))
        self.send_raw(status, lines, body, head)

    def send_raw(self, status, lines, body, head=False):
        """Status and header lines as given, Connection: close when the connection
        ends, then the body (none for HEAD or 204); a write error ends the connection."""
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not head and status != 204:
            data += body
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:              # broken pipe, reset, TLS errors
            self.close_connection = True

    def _read_body(self):
        """Return (bytes, None) or (None, Resp) on error (connection then closes)."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    self.close_connection = True
                    return None, None
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    self.close_connection = True
                    return None, err_resp(400, ["malformed chunked encoding"])
                if size == 0:
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > MAX_BODY:
                    self.close_connection = True
                    return None, err_resp(413, ["failed to parse JSON input: http: request "
                                                "body too large"])
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks), None
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b"", None
        try:
            n = int(cl)
            if n < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return None, err_resp(400, ["invalid Content-Length"])
        if n > MAX_BODY:
            self.close_connection = True
            if (self.headers.get("Expect") or "").lower() != "100-continue":
                self._drain(n)
            return None, err_resp(413, ["failed to parse JSON input: http: request body too "
                                        "large"])
        if n == 0:
            return b"", None
        data = self.rfile.read(n)
        if len(data) < n:
            self.close_connection = True
            return None, None
        return data, None

    def _drain(self, n):
        deadline = time.monotonic() + 5
        try:
            self.connection.settimeout(1.0)
            while n > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read(min(n, 1 << 20))
                if not chunk:
                    break
                n -= len(chunk)
        except (OSError, ValueError):
            pass

    # ---- dispatch ----

    def _dispatch(self):
        target = self.path
        if target.startswith(("http://", "https://")):
            sp = urllib.parse.urlsplit(target)
            target = sp.path + ("?" + sp.query if sp.query else "")
        target = target.split("#", 1)[0]
        raw_path, _, query = target.partition("?")
        method = self.command
        body, early = self._read_body()
        if body is None and early is None:
            return
        srv = self.server
        if srv.agent is not None:
            self._agent(method, target, raw_path, body, early)
            return
        if raw_path.startswith("/v1/"):
            self._api(method, raw_path, query, body, early)
        elif raw_path == "/_control" or raw_path.startswith("/_control/"):
            if early is not None:
                self._finish(method, raw_path, early)
            elif not srv.control:
                self._finish(method, raw_path, err_resp(404, []))
            else:
                self._finish(method, raw_path, srv.vault.control(method, raw_path, body))
        else:
            self._finish(method, raw_path, early or err_resp(404, []))

    def _agent(self, method, target, raw_path, body, early):
        """--agent-of: relay to Vault with the auto-auth token (use_auto_auth_token=true)."""
        srv = self.server
        if early is not None:
            self._finish(method, raw_path, early)
            return
        tok = relay.read_token_file(srv.agent_token_file) if srv.agent_token_file else None
        try:
            st, reason, hdrs, data = relay.forward(srv.agent, method, target, self.headers,
                                                   body, auto_token=tok)
        except (OSError, http.client.HTTPException) as e:
            self._finish(method, raw_path, err_resp(502, ["error proxying request: %s"
                                                          % type(e).__name__]))
            return
        relay.write_back(self, st, reason, hdrs, data, head=method == "HEAD")
        if srv.log_requests:
            sys.stderr.write("%s %s %d\n" % (method, redact_path(raw_path), st))
            sys.stderr.flush()

    def _finish(self, method, path, resp, extra_headers=()):
        self._write(resp, head=method == "HEAD", extra_headers=extra_headers)
        if self.server.log_requests:
            sys.stderr.write("%s %s %d\n" % (method, redact_path(path), resp.status))
            sys.stderr.flush()

    def _api(self, method, raw_path, query, body, early):
        vault = self.server.vault
        path = urllib.parse.unquote(raw_path[len("/v1/"):])
        vault.count(method, path)
        q = {}
        for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
            q.setdefault(k, v)
        r = Req(method, path, q, body, self.headers)
        r.path_raw = path
        if early is not None:
            vault.record(r, early.status)
            self._finish(method, raw_path, early)
            return
        standby_of = getattr(self.server, "standby_of", None)
        if standby_of and path not in ("sys/health", "sys/seal-status"):
            self._standby(r, standby_of, raw_path, query, body)
            return
        extra = []
        # the rate-limit quota wrapper runs in front of request handling (http/util.go)
        ns = normalize_ns(self.headers.get("X-Vault-Namespace")) \
            if vault.edition.namespaces else ""
        client = "" if self.server.is_unix else self.client_address[0]
        allowed, qh = vault.quotas.check(ns + path, client)
        extra += qh
        if not allowed:
            vault.record(r, 429)
            self._finish(method, raw_path, err_resp(429, quotas.refusal_errors(path)), extra)
            return
        fault = vault.take_fault(method, path)
        if fault is not None and self._fault(r, fault, raw_path, extra):
            return
        try:
            resp = vault.handle(r)
        except Exception as e:       # noqa: BLE001 - never leak internals to the client
            tb = traceback.extract_tb(e.__traceback__)
            where = "%s:%d" % (tb[-1].filename, tb[-1].lineno) if tb else "?"
            sys.stderr.write("vault-dev-server: internal error %s at %s\n"
                             % (type(e).__name__, where))
            resp = err_resp(500, ["1 error occurred:\n\t* internal error\n\n"])
        vault.record(r, resp.status)
        self._finish(method, raw_path, resp, extra)

    def _standby(self, r, standby_of, raw_path, query, body):
        """--standby-of: forward r to the active node, or redirect there."""
        vault = self.server.vault
        method = r.method
        target = raw_path + ("?" + query if query else "")
        if not self.server.no_forwarding and not self.headers.get(
                "X-Vault-No-Request-Forwarding"):
            # Vault http/handler.go handleRequestForwarding: a standby forwards to
            # the active node and relays its answer; only when forwarding fails
            # (or is refused by the header above) does it redirect.
            try:
                st, reason, hdrs, data = relay.forward(
                    relay.Upstream(standby_of), method, target, self.headers, body)
            except (OSError, http.client.HTTPException, ValueError):
                st = None
            if st is not None:
                vault.record(r, st)
                relay.write_back(self, st, reason, hdrs, data, head=method == "HEAD")
                if self.server.log_requests:
                    sys.stderr.write("%s %s %d\n" % (method, redact_path(raw_path), st))
                return
        # respondStandby: 307 to the active node, same path and query, empty body
        loc = standby_of + target
        vault.record(r, 307)
        self._finish(method, raw_path, Resp(307, b"", ctype=None), [("Location", loc)])

    def _fault(self, r, fault, raw_path, extra):
        """Apply an injected fault to r: True when it answered (or dropped) the request,
        False when the request goes on to the Vault (a delay, a Retry-After only)."""
        vault = self.server.vault
        method = r.method
        if fault["delay_ms"]:
            time.sleep(fault["delay_ms"] / 1000.0)
        if fault["retry_after"] is not None:
            extra.append(("Retry-After", str(fault["retry_after"])))
        if fault["drop"]:
            vault.record(r, 0)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            if self.server.log_requests:
                sys.stderr.write("%s %s dropped\n" % (method, redact_path(raw_path)))
            return True
        resp = control.fault_response(fault)
        if resp is None:
            return False
        vault.record(r, resp.status)
        self._finish(method, raw_path, resp, extra)
        return True
