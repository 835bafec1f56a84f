"""An ordinary Flask app configured from the environment.

Nothing here knows about vaultshim or Vault: the settings come from os.environ,
as in any twelve-factor app. Launched through vaultshim-exec, the mapped names
are already in os.environ when Python starts (eager mode), so the same code
reads its secrets from Vault.

/proof shows, for each setting, whether it is set and the SHA-256 of its value
(never the value), with the worker's pid, so a test can check what every
gunicorn worker got without the secrets leaving the process.
"""
import hashlib
import os

from flask import Flask, jsonify

SETTINGS = (
    "SECRET_KEY",
    "DB_USER",
    "DB_PASSWORD",
    "DB_HOST",
    "DB_NAME",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
)

app = Flask(__name__)

for name in SETTINGS:
    app.config[name] = os.environ.get(name)

# The URL a Flask-SQLAlchemy app would pass to create_engine; built here,
# never connected to.
app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://{}:{}@{}/{}".format(
    app.config["DB_USER"] or "",
    app.config["DB_PASSWORD"] or "",
    app.config["DB_HOST"] or "localhost",
    app.config["DB_NAME"] or "",
)


def _digest(value):
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


@app.route("/proof")
def proof():
    keys = SETTINGS + ("SQLALCHEMY_DATABASE_URI",)
    return jsonify(
        pid=os.getpid(),
        set={k: app.config.get(k) is not None for k in keys},
        sha256={k: _digest(app.config.get(k)) for k in keys},
    )


@app.route("/")
def index():
    return "ok\n"
