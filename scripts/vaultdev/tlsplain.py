"""Plain HTTP sent to the TLS listener, answered as Go's net/http answers it.

Go (net/http server.go, conn.serve): when the TLS handshake fails with a
tls.RecordHeaderError whose five record-header bytes look like HTTP
(tlsRecordHeaderLooksLikeHTTP: "GET /", "HEAD ", "POST ", "PUT /", "OPTIO"), it
writes "HTTP/1.0 400 Bad Request\\r\\n\\r\\nClient sent an HTTP request to an HTTPS
server.\\n" on the raw connection and closes it.  Any other non-TLS bytes just end the
handshake with nothing sent.
"""

import socket
import time

_LOOKS_LIKE_HTTP = (b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO")
ANSWER = b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"


def answered_plain_http(sock, timeout=10.0):
    """Peek at the first five bytes; if they are plain HTTP, answer as Go does and
    return True (the caller then closes the socket).  False: go on with TLS."""
    deadline = time.monotonic() + timeout
    head = b""
    try:
        while len(head) < 5 and time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            head = sock.recv(5, socket.MSG_PEEK)
            if not head:
                return False
            if head[:1] == b"\x16":          # a TLS handshake record
                return False
            if len(head) < 5:
                time.sleep(0.01)
    except OSError:
        return False
    if head[:5] not in _LOOKS_LIKE_HTTP:
        return False
    try:
        sock.sendall(ANSWER)
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True
