# gunicorn settings for the example. Nothing vaultshim-specific: the secrets
# reach the app through the environment vaultshim-exec prepared.
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = 2
# Workers are forked from the master, which already holds the resolved values:
# one Vault resolution per start, not one per worker.
preload_app = False
accesslog = "-"
