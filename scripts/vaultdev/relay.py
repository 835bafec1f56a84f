"""Passing a request on to another server and its answer back unchanged.

Two roles use it:
 - --agent-of: a Vault Agent/Proxy API proxy with `use_auto_auth_token = true`
   (OpenBao internal/command/agentproxyshared/cache/handler.go ProxyHandler, same
   design as Vault's command/agentproxyshared/cache): a request without
   X-Vault-Token gets the auto-auth token, one with its own token keeps it; status,
   headers and body come back as the server sent them.
 - --standby-of: an HA standby forwarding to the active node (Vault
   http/handler.go handleRequestForwarding) and relaying its answer.
"""

import http.client
import os
import socket
import ssl
import urllib.parse

# RFC 9110 section 7.6.1 connection-specific fields: never relayed
HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
       "upgrade", "proxy-authenticate", "proxy-authorization"}


class _UnixConn(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Upstream:
    def __init__(self, url):
        url = url.rstrip("/")
        self.url = url
        if url.startswith("unix://"):
            self.kind, self.path = "unix", url[len("unix://"):]
            return
        sp = urllib.parse.urlsplit(url)
        if sp.scheme not in ("http", "https") or not sp.hostname:
            raise ValueError("upstream must be http://HOST:PORT, https://HOST:PORT or "
                             "unix:///path, not %r" % url)
        self.kind = sp.scheme
        self.host = sp.hostname
        self.port = sp.port or (443 if sp.scheme == "https" else 80)
        self.netloc = sp.netloc

    def conn(self, timeout=60):
        if self.kind == "unix":
            return _UnixConn(self.path, timeout)
        if self.kind == "https":
            ctx = ssl.create_default_context(cafile=os.environ.get("VAULT_CACERT") or None)
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def host_header(self):
        return "localhost" if self.kind == "unix" else self.netloc


def read_token_file(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError:
        return None


def forward(upstream, method, target, headers, body, auto_token=None):
    """One request upstream; returns (status, reason, [(name, value)], body bytes).

    headers: the client's request headers (an email.message.Message or a dict).
    auto_token: added as X-Vault-Token when the request carries no token of its own.
    Raises OSError / http.client.HTTPException when upstream cannot be reached."""
    out = []
    has_token = False
    for k, v in headers.items():
        lk = k.lower()
        if lk in HOP or lk in ("host", "content-length", "expect"):
            continue
        if lk == "x-vault-token" and v:
            has_token = True
        out.append((k, v))
    if auto_token and not has_token:
        out.append(("X-Vault-Token", auto_token))
    c = upstream.conn()
    try:
        c.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        c.putheader("Host", upstream.host_header())
        for k, v in out:
            c.putheader(k, v)
        if body or method in ("POST", "PUT", "PATCH"):
            c.putheader("Content-Length", str(len(body or b"")))
        c.endheaders(body or None)
        resp = c.getresponse()
        data = resp.read()
        hdrs = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP]
        return resp.status, resp.reason, hdrs, data
    finally:
        c.close()


def write_back(handler, status, reason, hdrs, data, head=False):
    """Send an upstream answer on the client's connection, headers as they came
    (handler: the server's Handler, whose send_raw frames it)."""
    lines = ["HTTP/1.1 %d %s" % (status, reason)]
    have_len = False
    for k, v in hdrs:
        if k.lower() == "content-length":
            have_len = True
        lines.append("%s: %s" % (k, v))
    if not have_len and status not in (204, 304) and not 100 <= status < 200:
        lines.append("Content-Length: %d" % len(data))
    handler.send_raw(status, lines, data, head)
