"""Srv: one dev server for one test, as test_devserver_editions.py and
test_devserver_lifecycle.py use it.

Builds on DevServer and call() of test_devserver_protocol.py (which starts the
process and sends one request); standard library only.  Not a test module itself
(unittest's discovery skips the name).
"""

from test_devserver_protocol import DevServer, call


class Srv:
    """A DevServer stopped at the test's cleanup; each request goes on a fresh
    connection with the root token unless token= says otherwise (None: no token)."""

    def __init__(self, test, *args, **kw):
        self.d = DevServer(*args, **kw)
        test.addCleanup(self.d.stop)
        self.root = self.d.root_token
        self.url = self.d.url

    def req(self, method, path, body=None, token="ROOT", headers=None):
        """(status, headers, body bytes, parsed JSON), as call() answers."""
        if token == "ROOT":
            token = self.root
        c = self.d.conn()
        try:
            return call(c, method, path, body=body, token=token, headers=headers)
        finally:
            c.close()

    def req_json(self, method, path, body=None, token="ROOT", headers=None):
        """(status, parsed JSON)."""
        st, _, _, j = self.req(method, path, body, token=token, headers=headers)
        return st, j

    def create_token(self, body, parent="ROOT", headers=None):
        """auth/token/create with body, by parent: the JSON answer, which must be a 200."""
        st, j = self.req_json("POST", "/v1/auth/token/create", body, token=parent,
                              headers=headers)
        assert st == 200, (st, j)
        return j

    def token(self, policies, headers=None, parent="ROOT", **extra):
        """A new token with these policies (and extra fields of the create): its ID."""
        body = {"policies": policies}
        body.update(extra)
        return self.create_token(body, parent, headers)["auth"]["client_token"]

    def advance(self, secs):
        """Move the server's clock (the server needs --control): the JSON answer."""
        st, j = self.req_json("POST", "/_control/clock", {"advance_s": secs}, token=None)
        assert st == 200, (st, j)
        return j
