"""Helpers of scripts/vault-dev-server, one concern per module.

vault-dev-server puts the directory holding this package (next to its own real
path) on sys.path, so a source tree and `make install` ($(PREFIX)/share/vaultshim/)
both find it.  Standard library only, like the server.
"""
