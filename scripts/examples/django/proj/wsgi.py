"""WSGI entry point: `vaultshim-exec -- gunicorn proj.wsgi` serves the same app."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
application = get_wsgi_application()
