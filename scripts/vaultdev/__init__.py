"""The dev server behind scripts/vault-dev-server (its entry point), one concern per
module: cli (options, main), server (sockets), handler (HTTP), vault (the state and
the request path) and its mixins (tokens, policy, mounts, system, wrapping, auth,
approle, jwt, kv, database, control), with api and values under them all, and the
rules they borrow: clock, edition, leases, namespaces, quotas, relay, tlsplain, ttl.

vault-dev-server puts the directory holding this package (next to its own real
path) on sys.path, so a source tree and `make install` ($(PREFIX)/share/vaultshim/)
both find it.  Standard library only, like the server.
"""
