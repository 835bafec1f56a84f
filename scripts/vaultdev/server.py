"""The listening socket: TCP (IPv4 or IPv6) or a unix socket, TLS when configured
(with Go's answer to plain HTTP on it), one thread a connection, and the addr file.

Depends on handler and tlsplain.
"""

import http.server
import os
import re
import socket
import socketserver
import ssl
import stat
import sys

from . import tlsplain
from .handler import Handler


class _ServerMixin:
    agent = None
    agent_token_file = None
    no_forwarding = False
    ssl_ctx = None
    is_unix = False
    vault = None
    control = False
    log_requests = False
    daemon_threads = True
    request_queue_size = 256

    def finish_request(self, request, client_address):
        if self.ssl_ctx is None:
            return super().finish_request(request, client_address)
        if tlsplain.answered_plain_http(request):
            return None
        try:
            request.settimeout(10)
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError, ValueError):
            return None
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass
        return None

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout)):
            return
        if self.log_requests:
            sys.stderr.write("vault-dev-server: connection error %s\n" % type(exc).__name__)


class TCPServer(_ServerMixin, http.server.ThreadingHTTPServer):
    allow_reuse_address = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port


class TCP6Server(TCPServer):
    address_family = socket.AF_INET6


class UnixServer(_ServerMixin, socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    is_unix = True


def write_addr_file(path, url):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.tmp.%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(url + "\n")
    os.replace(tmp, path)


def make_server(args):
    listen = args.listen
    if listen.startswith("unix:"):
        sock_path = listen[len("unix:"):]
        if sock_path.startswith("//"):
            sock_path = sock_path[2:]
        if not sock_path:
            raise SystemExit("vault-dev-server: empty unix socket path")
        sock_path = os.path.abspath(sock_path)
        try:
            st = os.lstat(sock_path)
            if stat.S_ISSOCK(st.st_mode):
                os.unlink(sock_path)
            else:
                raise SystemExit("vault-dev-server: %s exists and is not a socket" % sock_path)
        except FileNotFoundError:
            pass
        srv = UnixServer(sock_path, Handler)
        return srv, "unix://" + sock_path, sock_path
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)", listen) or re.fullmatch(r"([^:]*):(\d+)", listen)
    if not m:
        raise SystemExit("vault-dev-server: --listen must be HOST:PORT or unix:/path")
    host, port = m.group(1) or "127.0.0.1", int(m.group(2))
    cls = TCP6Server if ":" in host else TCPServer
    srv = cls((host, port), Handler)
    scheme = "https" if args.tls_cert else "http"
    shown = "[%s]" % host if ":" in host else host
    return srv, "%s://%s:%d" % (scheme, shown, srv.server_address[1]), None
