#!/usr/bin/python3
"""A forward HTTP proxy for the client's proxy tests (stdlib only).

Usage: fwdproxy.py PORTFILE LOGFILE
Listens on 127.0.0.1 (a free port, written to PORTFILE once bound), takes
absolute-form requests (GET http://host:port/v1/... HTTP/1.1) and sends each
to 127.0.0.1:port whatever the host is called, so that a name that resolves
nowhere (vault.invalid) is reachable only through the proxy. Each request
appends one line "METHOD host token|notoken" to LOGFILE: never the token.
A CONNECT (a tunnel for https) is logged as "CONNECT host notoken" and
refused with 502: the tests only need to see whether one was asked for.
"""
import http.client
import http.server
import os
import sys
import urllib.parse


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        return

    def _relay(self):
        url = urllib.parse.urlsplit(self.path)
        if not url.scheme or not url.port:
            self.send_error(400, "absolute-form request with a port expected")
            return
        token = "token" if self.headers.get("X-Vault-Token") else "notoken"
        with open(sys.argv[2], "a") as log:
            log.write("%s %s %s\n" % (self.command, url.hostname, token))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-connection", "connection", "host")}
        up = http.client.HTTPConnection("127.0.0.1", url.port, timeout=10)
        path = url.path + ("?" + url.query if url.query else "")
        up.request(self.command, path, body=body or None, headers=headers)
        resp = up.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_LIST = _relay

    def do_CONNECT(self):
        with open(sys.argv[2], "a") as log:
            log.write("CONNECT %s notoken\n" % self.path.rsplit(":", 1)[0])
        self.send_error(502, "no tunnels here")


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
