"""Settings for the vaultshim Django example.

An ordinary settings module: secrets come from os.environ and nothing here
knows about Vault. Launched through vaultshim-exec, the mapped names are in
os.environ before Python starts (eager mode), so these lines read Vault's
values.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# No insecure fallback: a missing SECRET_KEY should stop the app, not weaken it.
SECRET_KEY = os.environ["SECRET_KEY"]

DEBUG = os.environ.get("DJANGO_DEBUG", "false").lower() in ("1", "true", "yes")

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = []

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "proj.urls"
WSGI_APPLICATION = "proj.wsgi.application"

# sqlite keeps the example self-contained; the password shows how a real
# engine (postgresql, mysql) would get its credentials.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DB_NAME_PATH", str(BASE_DIR / "db.sqlite3")),
        "USER": os.environ.get("DB_USER", ""),
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
        "HOST": os.environ.get("DB_HOST", ""),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# Production hardening, so `manage.py check --deploy` only says what is left
# to the deployment (TLS in front of the app).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
